//! Every PDA seed, in one place. Addresses (`b"<seed>"` then the listed keys):
//! - exchange: `[EXCHANGE]`
//! - insurance fund: `[INSURANCE_FUND, fund_id.to_le_bytes()]`; its vault `[FUND_VAULT, fund]`
//! - market: `[MARKET, market_id.to_le_bytes()]`; its vault `[MARKET_VAULT, market]`; its bankruptcy book
//!   `[MARKET_BOOK, market]`
//! - margin account: `[MARGIN_ACCOUNT, market, owner]`
//! - LP position: `[LP_POSITION, market, owner]`
//! - stake position: `[STAKE_POSITION, fund, owner]`
//!
//! Each is published in the IDL's constants (`#[constant]`), where the TypeScript SDK reads it.

use anchor_lang::prelude::constant;

/// The exchange: `[EXCHANGE]`.
#[constant]
pub const EXCHANGE: &[u8] = b"exchange";
/// An insurance fund: `[INSURANCE_FUND, fund_id (u16 LE)]`.
#[constant]
pub const INSURANCE_FUND: &[u8] = b"insurance_fund";
/// A fund's token vault: `[FUND_VAULT, fund]`.
#[constant]
pub const FUND_VAULT: &[u8] = b"fund_vault";
/// A market: `[MARKET, market_id (u16 LE)]`.
#[constant]
pub const MARKET: &[u8] = b"market";
/// A market's token vault (traders' collateral and the LP pool): `[MARKET_VAULT, market]`.
#[constant]
pub const MARKET_VAULT: &[u8] = b"market_vault";
/// A market's bankruptcy book: `[MARKET_BOOK, market]`.
#[constant]
pub const MARKET_BOOK: &[u8] = b"market_book";
/// A trader's margin account in a market: `[MARGIN_ACCOUNT, market, owner]`.
#[constant]
pub const MARGIN_ACCOUNT: &[u8] = b"margin_account";
/// An LP's position in a market's pool: `[LP_POSITION, market, owner]`.
#[constant]
pub const LP_POSITION: &[u8] = b"lp_position";
/// A staker's position in a fund: `[STAKE_POSITION, fund, owner]`.
#[constant]
pub const STAKE_POSITION: &[u8] = b"stake_position";
/// The PDA that signs every event CPI (Anchor's `#[event_cpi]` convention, so indexers decode events as usual).
#[constant]
pub const EVENT_AUTHORITY: &[u8] = b"__event_authority";
