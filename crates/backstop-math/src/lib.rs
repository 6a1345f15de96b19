//! Backstop's functional core: every number the program decides on (oracle normalisation, execution and margin
//! prices, position PnL, margin health, fees, LP share pricing, parameter bounds) is computed here, over plain
//! integers, with no Solana types. The program, the keeper and the simulator share this one copy.
//!
//! Conventions:
//! - Fixed point only; every intermediate product is taken in `i128`/`u128` and every division names its rounding.
//! - Rounding always goes against the party the result is paid to: the trader, the LP, the staker. The protocol's
//!   buffers may gain an atom, never lose one.
//! - Precisions are in [`constants`]; every function documents the precision of what it takes and returns.

#![no_std]
#![deny(clippy::cast_possible_truncation, clippy::cast_sign_loss, clippy::cast_possible_wrap)]

pub mod book;
pub mod breaker;
pub mod constants;
pub mod controls;
pub mod dynamic;
pub mod error;
pub mod fees;
pub mod fund;
pub mod funding;
pub mod governance;
pub mod ledger;
pub mod lp;
pub mod margin;
pub mod oracle;
pub mod oracle_view;
pub mod params;
pub mod position;
pub mod price;
pub mod safe_math;
pub mod staking;
pub mod timelock;
pub mod waterfall;

pub use error::{MathError, MathResult};
