//! Program state: zero-copy accounts with frozen layouts. Offsets given in each file count the 8-byte Anchor
//! discriminator.

pub mod exchange;
pub mod insurance_fund;
pub mod lp_position;
pub mod margin_account;
pub mod market;
pub mod market_book;
pub mod stake_position;

pub use exchange::*;
pub use insurance_fund::*;
pub use lp_position::*;
pub use margin_account::*;
pub use market::*;
pub use market_book::*;
pub use stake_position::*;
