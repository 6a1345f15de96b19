//! Insurance fund staking: shares at the fund's vested value, a cooldown, the lesser of the value
//! at request and at withdrawal, and a redemption gate. The numbers are `backstop_math::staking`'s.

pub mod cancel_unstake;
pub mod create_stake_position;
pub mod request_unstake;
pub mod stake;
pub mod unstake;

pub use cancel_unstake::*;
pub use create_stake_position::*;
pub use request_unstake::*;
pub use stake::*;
pub use unstake::*;
