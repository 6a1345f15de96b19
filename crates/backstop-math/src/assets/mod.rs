//! A fund's non-quote assets: how each is valued, what it is worth in the crash of a market it backs (wrong-way
//! risk), and how a deficit sells it ([`auction`]). How an unstake pays them in kind is
//! [`crate::staking::unstake`]'s [`crate::staking::InKind`].
//!
//! Values are quote atoms (QUOTE_PRECISION). An asset's price is its oracle's, normalised to
//! ASSET_PRICE_PRECISION (10^12) per whole token, so `amount` atoms of a token with `decimals` decimals are worth
//! `amount × price / 10^(decimals + 6)` quote atoms (a quote atom is 10^6 price units).
//!
//! Each use takes the side of the price that goes against whoever is paid:
//! - **a claim on the fund** (a stake's shares, an unstake request, the gate, adequacy): the low side, the lesser
//!   of `price − conf` and the publishers' EMA, less the asset's haircut ([`Holding::claim_value`]);
//! - **what a new stake buys into**: the high side, the greater of `price + conf` and the EMA, with no haircut
//!   ([`Holding::buy_in_value`]): the stake is valued low and what it buys high, so no newcomer buys a claim
//!   worth more than it brought;
//! - **an auction sale**: the high side less the auction's discount, rounded up (the bidder is paid in the
//!   asset).
//!
//! Every use takes a fresh print inside its EMA band ([`AssetPrice::read`]); the EMA bounds which of the recent
//! prints a caller can choose to its advantage.
//!
//! A haircut is at least the auction's deepest discount ([`AssetParams::validate`]), so at a given print an
//! asset's claim value never exceeds what the worst sale of it would raise.

pub mod auction;
#[cfg(test)]
mod review;
#[cfg(test)]
mod tests;

use crate::constants::{ASSET_PRICE_EXPO, BPS_DENOMINATOR, QUOTE_DECIMALS};
use crate::error::{MathError, MathResult};
use crate::oracle::{ema_at, pow10, validate_reading_at, OracleGuards, RawOracleReading};
use crate::price::OraclePrice;
use crate::safe_math::{add_u64, mul_div_ceil, mul_div_floor, to_u64};
use crate::staking::OtherAssets;
use auction::AuctionRules;

/// Most markets an asset can name a correlation for; the others take its default.
pub const MAX_CORRELATIONS: usize = 8;
/// Deepest haircut governance may set, bps: an asset worth less than a tenth of its price is not a buffer.
pub const MAX_HAIRCUT_BPS: u16 = 9_000;
/// Most decimals an asset's mint may have: a token atom's price then stays at least 10^-18 of its
/// whole-token price, and 10^(12 + 6) price units per quote atom times a u64 bid stays inside i128.
pub const MAX_ASSET_DECIMALS: u8 = 12;
/// A correlation of one: the asset moves one for one with the market's price. bps.
pub const FULL_CORRELATION_BPS: u16 = 10_000;

crate::idl_struct! {
    /// How strongly an asset falls with one market's crash.
    #[repr(C)]
    #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, bytemuck::Pod, bytemuck::Zeroable)]
    #[cfg_attr(feature = "borsh", derive(borsh::BorshSerialize, borsh::BorshDeserialize))]
    pub struct MarketCorrelation {
        /// The backed market's id.
        pub market_id: u16,
        /// The share of that market's stressed shock the asset is assumed to fall by, bps (10 000: one for one).
        /// Only falls are counted: an asset that might rise in the crash is credited nothing for it.
        pub correlation_bps: u16,
    }
}

crate::idl_struct! {
    /// What governance sets for one asset a fund accepts.
    #[repr(C)]
    #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, bytemuck::Pod, bytemuck::Zeroable)]
    #[cfg_attr(feature = "borsh", derive(borsh::BorshSerialize, borsh::BorshDeserialize))]
    pub struct AssetParams {
        /// Share of the asset's low-side value the fund does not count, bps: at least the auction's deepest
        /// discount, at most 90 %.
        pub haircut_bps: u16,
        /// Correlation with every backed market not named in `correlations`, bps.
        pub default_correlation_bps: u16,
        /// How many entries of `correlations` are in use (the rest are zero).
        pub correlation_count: u16,
        /// Zero.
        pub _padding: [u8; 2],
        /// How a deficit sells this asset: the discount's start, step and deepest point.
        pub auction: AuctionRules,
        /// Correlations with named markets, one entry per market.
        pub correlations: [MarketCorrelation; MAX_CORRELATIONS],
    }
}

impl AssetParams {
    /// Bounds: haircut ≤ 90 %; the auction's start ≤ deepest discount ≤ min(haircut, 50 %) and a step of 1 ..=
    /// 1 000 bps a minute; every correlation ≤ 100 %, at most one per market, unused entries zero.
    pub fn validate(&self) -> MathResult<()> {
        let count = usize::from(self.correlation_count);
        let ok = self.haircut_bps <= MAX_HAIRCUT_BPS
            && self.auction.validate(self.haircut_bps)
            && self._padding == [0; 2]
            && self.default_correlation_bps <= FULL_CORRELATION_BPS
            && count <= MAX_CORRELATIONS
            && self.correlations[..count.min(MAX_CORRELATIONS)].iter().enumerate().all(|(i, entry)| {
                entry.correlation_bps <= FULL_CORRELATION_BPS
                    && self.correlations[..i].iter().all(|earlier| earlier.market_id != entry.market_id)
            })
            && self.correlations[count.min(MAX_CORRELATIONS)..]
                .iter()
                .all(|unused| *unused == MarketCorrelation::default());
        if ok {
            Ok(())
        } else {
            Err(MathError::InvalidAssetParams)
        }
    }

    /// The asset's correlation with `market_id`, bps.
    pub fn correlation_with(&self, market_id: u16) -> u16 {
        let used = &self.correlations[..usize::from(self.correlation_count).min(MAX_CORRELATIONS)];
        used.iter()
            .find(|entry| entry.market_id == market_id)
            .map_or(self.default_correlation_bps, |e| e.correlation_bps)
    }
}

/// A fund asset's validated print and the publishers' EMA, at ASSET_PRICE_PRECISION.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AssetPrice {
    /// precision: ASSET_PRICE_PRECISION.
    pub print: OraclePrice,
    /// precision: ASSET_PRICE_PRECISION; 0 when the oracle publishes none.
    pub ema: i64,
}

impl AssetPrice {
    /// The price a fund asset is taken at, for any use: the reading validated as a market's is, at
    /// ASSET_PRICE_PRECISION ([`crate::constants::ASSET_PRICE_EXPO`]), no older than `max_age_secs`, and inside
    /// its EMA band. A print off its EMA is refused, not clamped: nothing a fund asset's price decides has to
    /// happen in that instant (a stake, an exit or a sale waits; a cover does not need the price).
    pub fn read(reading: &RawOracleReading, guards: &OracleGuards, now: i64, max_age_secs: u32) -> MathResult<Self> {
        let view = validate_reading_at(reading, guards, now, ASSET_PRICE_EXPO)?;
        view.require_fresh(now, max_age_secs)?;
        Ok(Self { print: view.agreed()?, ema: ema_at(reading, ASSET_PRICE_EXPO)? })
    }

    /// The low side: the lesser of `price − conf` and the EMA, so a print chosen among the recent ones cannot
    /// lift it above the hour's average. precision: ASSET_PRICE_PRECISION.
    pub fn low(&self) -> MathResult<i64> {
        let low = self.print.low()?;
        Ok(if self.ema > 0 { low.min(self.ema) } else { low })
    }

    /// The high side: the greater of `price + conf` and the EMA. precision: ASSET_PRICE_PRECISION.
    pub fn high(&self) -> MathResult<i64> {
        Ok(self.print.high()?.max(self.ema))
    }
}

/// `amount` atoms of a token with `decimals` decimals at `price` (ASSET_PRICE_PRECISION per whole token), in
/// quote atoms, rounded down.
pub fn value_floor(amount: u64, price: i64, decimals: u8) -> MathResult<u64> {
    to_u64(mul_div_floor(i128::from(amount), i128::from(price), scale(decimals)?)?)
}

/// [`value_floor`], rounded up.
pub fn value_ceil(amount: u64, price: i64, decimals: u8) -> MathResult<u64> {
    to_u64(mul_div_ceil(i128::from(amount), i128::from(price), scale(decimals)?)?)
}

/// Token atoms × price units per quote atom: 10^(decimals + 12 − 6).
pub fn scale(decimals: u8) -> MathResult<i128> {
    if decimals > MAX_ASSET_DECIMALS {
        return Err(MathError::InvalidAssetParams);
    }
    let price_digits = ASSET_PRICE_EXPO.unsigned_abs() - u32::from(QUOTE_DECIMALS);
    pow10(u32::from(decimals) + price_digits)
}

/// `value × (1 − bps)`, rounded down.
pub fn less_bps(value: u64, bps: u32) -> MathResult<u64> {
    let kept = BPS_DENOMINATOR - i64::from(bps.min(10_000));
    to_u64(mul_div_floor(i128::from(value), i128::from(kept), i128::from(BPS_DENOMINATOR))?)
}

/// One asset as the fund holds it, for one instruction.
#[derive(Debug, Clone, Copy)]
pub struct Holding<'a> {
    /// Tokens the fund owes out of the asset's vault (its books, never the vault's raw balance).
    pub amount: u64,
    pub decimals: u8,
    pub params: &'a AssetParams,
    /// `None` when the oracle gave no usable price this instruction.
    pub price: Option<AssetPrice>,
}

impl Holding<'_> {
    /// What a claim on the holding is worth: the low side less haircut, rounded down; nothing when unpriced.
    pub fn claim_value(&self) -> MathResult<u64> {
        let Some(price) = self.price else { return Ok(0) };
        less_bps(value_floor(self.amount, price.low()?, self.decimals)?, u32::from(self.params.haircut_bps))
    }

    /// The most the holding is worth: the high side, rounded up; nothing when unpriced.
    pub fn buy_in_value(&self) -> MathResult<u64> {
        let Some(price) = self.price else { return Ok(0) };
        value_ceil(self.amount, price.high()?, self.decimals)
    }

    /// What the holding counts for against `market_id`'s crash: its claim value after falling by the market's
    /// shock times the asset's correlation with it (the wrong-way discount), rounded down.
    pub fn stressed_value(&self, market_id: u16, shock_bps: u32) -> MathResult<u64> {
        let correlation = u32::from(self.params.correlation_with(market_id));
        // The fall in bps, rounded up: correlation (bps) × shock (bps) / 10 000.
        let fall = (correlation * shock_bps.min(10_000)).div_ceil(10_000);
        less_bps(self.claim_value()?, fall)
    }
}

/// What a fund's non-quote holdings are worth to a claim and to a new stake ([`OtherAssets`]). An asset the fund
/// holds none of needs no price.
pub fn other_assets<'a>(holdings: impl IntoIterator<Item = Holding<'a>>) -> MathResult<OtherAssets> {
    let mut others = OtherAssets::NONE;
    for holding in holdings.into_iter().filter(|holding| holding.amount > 0) {
        others.held = true;
        others.complete &= holding.price.is_some();
        others.claim = add_u64(others.claim, holding.claim_value()?)?;
        others.buy_in = add_u64(others.buy_in, holding.buy_in_value()?)?;
    }
    Ok(others)
}

/// The non-quote holdings against one market's crash: their claim value, and what it becomes at the market's
/// stressed shock (`claim − stressed` is the wrong-way discount).
pub fn stressed_assets<'a>(
    holdings: impl IntoIterator<Item = Holding<'a>>,
    market_id: u16,
    shock_bps: u32,
) -> MathResult<(u64, u64)> {
    let (mut claim, mut stressed) = (0u64, 0u64);
    for holding in holdings {
        claim = add_u64(claim, holding.claim_value()?)?;
        stressed = add_u64(stressed, holding.stressed_value(market_id, shock_bps)?)?;
    }
    Ok((claim, stressed))
}
