//! Every PDA seed, in one place. Addresses (`b"<seed>"` then the listed keys):
//! - exchange: `[EXCHANGE]`
//! - insurance fund: `[INSURANCE_FUND, fund_id.to_le_bytes()]`; its vault `[FUND_VAULT, fund]`
//! - market: `[MARKET, market_id.to_le_bytes()]`; its vault `[MARKET_VAULT, market]`; its bankruptcy book
//!   `[MARKET_BOOK, market]`
//! - margin account: `[MARGIN_ACCOUNT, market, owner]`
//! - LP position: `[LP_POSITION, market, owner]`
//! - stake position: `[STAKE_POSITION, fund, owner]`

pub const EXCHANGE: &[u8] = b"exchange";
pub const INSURANCE_FUND: &[u8] = b"insurance_fund";
pub const FUND_VAULT: &[u8] = b"fund_vault";
pub const MARKET: &[u8] = b"market";
pub const MARKET_VAULT: &[u8] = b"market_vault";
pub const MARKET_BOOK: &[u8] = b"market_book";
pub const MARGIN_ACCOUNT: &[u8] = b"margin_account";
pub const LP_POSITION: &[u8] = b"lp_position";
pub const STAKE_POSITION: &[u8] = b"stake_position";
/// The PDA that signs every event CPI (Anchor's `#[event_cpi]` convention, so indexers decode events as usual).
pub const EVENT_AUTHORITY: &[u8] = b"__event_authority";
