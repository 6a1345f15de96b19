//! The scales every amount in the IDL is written in (a field's doc names its precision), published as the IDL's
//! constants (`#[constant]`) so a client reads them with the layouts. The values are the core's.

use anchor_lang::prelude::constant;
use backstop_math::constants as scale;

/// 1 quote per base unit, in a price: PRICE_PRECISION = 10⁶.
#[constant]
pub const PRICE_PRECISION: i64 = scale::PRICE_PRECISION;
/// 1 base unit, in a position's size: BASE_PRECISION = 10⁹.
#[constant]
pub const BASE_PRECISION: i64 = scale::BASE_PRECISION;
/// 1 quote token, in an amount: QUOTE_PRECISION = 10⁶ (the quote mint has 6 decimals).
#[constant]
pub const QUOTE_PRECISION: i64 = scale::QUOTE_PRECISION;
/// 100 %, in a ratio in basis points.
#[constant]
pub const BPS_DENOMINATOR: i64 = scale::BPS_DENOMINATOR;
/// The funding index is quote atoms per base unit times this.
#[constant]
pub const FUNDING_INDEX_PRECISION: i64 = backstop_math::funding::FUNDING_INDEX_PRECISION;
/// The socialized-loss index's unit: a balance touched at index I and read at index J is worth balance × J / I.
#[constant]
pub const SOCIAL_INDEX_ONE: u64 = backstop_math::ledger::SOCIAL_INDEX_ONE;
