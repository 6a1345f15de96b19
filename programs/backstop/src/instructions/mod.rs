//! One instruction, one file: its accounts with their constraints, then `validate()` for what constraints cannot
//! say, then the handler.

pub mod cover_bankruptcy;
pub mod create_lp_position;
pub mod create_margin_account;
pub mod deposit;
pub mod extend_market_book;
pub mod fund_health;
pub mod governance;
pub mod initialize_exchange;
pub mod initialize_insurance_fund;
pub mod initialize_market;
pub mod liquidate;
pub mod lp_deposit;
pub mod lp_withdraw;
pub mod refresh_market;
pub mod request_lp_withdraw;
pub mod settle_fund_revenue;
pub mod staking;
pub mod sweep_treasury_fees;
pub mod touch_account;
pub mod trade;
pub mod withdraw;

pub use cover_bankruptcy::*;
pub use create_lp_position::*;
pub use create_margin_account::*;
pub use deposit::*;
pub use extend_market_book::*;
pub use fund_health::*;
pub use governance::*;
pub use initialize_exchange::*;
pub use initialize_insurance_fund::*;
pub use initialize_market::*;
pub use liquidate::*;
pub use lp_deposit::*;
pub use lp_withdraw::*;
pub use refresh_market::*;
pub use request_lp_withdraw::*;
pub use settle_fund_revenue::*;
pub use staking::*;
pub use sweep_treasury_fees::*;
pub use touch_account::*;
pub use trade::*;
pub use withdraw::*;
