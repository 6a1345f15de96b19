//! Governance and guardian instructions. Governance is whatever key the exchange records as its
//! authority (in production a multisig vault PDA, which signs through CPI); the program only checks that it
//! signed. A safety tightening within its limit applies at once; anything else is queued behind the exchange's
//! timelock (`backstop_math::timelock::Timelock`: queue, take when due, cancel) and applied by anyone once it has
//! elapsed; the guardian can only make markets more restricted. No instruction here can move a
//! token: the fund pays out only through cover and stakers' own withdrawals.

pub mod accept_authority;
pub mod activate_market;
pub mod apply_exchange_change;
pub mod apply_market_params;
pub mod apply_oracle_change;
pub mod cancel_exchange_change;
pub mod cancel_fund_change;
pub mod cancel_market_change;
pub mod propose_authority;
pub mod propose_exchange_change;
pub mod propose_oracle_change;
pub mod set_market_status;
pub mod update_fund_params;
pub mod update_market_params;

pub use accept_authority::*;
pub use activate_market::*;
pub use apply_exchange_change::*;
pub use apply_market_params::*;
pub use apply_oracle_change::*;
pub use cancel_exchange_change::*;
pub use cancel_fund_change::*;
pub use cancel_market_change::*;
pub use propose_authority::*;
pub use propose_exchange_change::*;
pub use propose_oracle_change::*;
pub use set_market_status::*;
pub use update_fund_params::*;
pub use update_market_params::*;

use crate::error::BackstopError;
use anchor_lang::prelude::*;

/// The moment a listing made now may be activated. (Every other timelocked change goes through
/// `backstop_math::timelock::Timelock`.)
pub fn eta(now: i64, delay: i64) -> Result<i64> {
    now.checked_add(delay).ok_or_else(|| error!(BackstopError::Overflow))
}
