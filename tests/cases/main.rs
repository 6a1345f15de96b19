//! Backstop integration tests: the real program in a real bank. One file per topic.

#![allow(deprecated)] // see tests/src/lib.rs

mod accounts_layout;
mod attacks;
mod bankruptcy;
mod collateral;
mod conservation;
mod controls;
mod crash_below_the_ema;
mod fund;
mod funding;
mod governance;
mod initialize;
mod liquidation;
mod lp_pool;
mod oracle;
mod oracle_pull;
mod risk_book;
mod staking;
mod trade;
