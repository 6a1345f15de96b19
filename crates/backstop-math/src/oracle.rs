//! One normalised price, whatever the oracle kind, and the rules that decide whether it may be used.
//!
//! The program reads an oracle account into a [`RawOracleReading`] (legacy Pyth push account or PriceUpdateV2);
//! from there on nothing knows which kind it came from.

use crate::constants::{BPS_DENOMINATOR, PRICE_EXPO};
use crate::error::{MathError, MathResult};
use crate::safe_math::{div_ceil, div_floor, mul_div_ceil, mul_div_floor, to_i64};

pub use crate::oracle_view::OracleView;
pub use crate::price::OraclePrice;

/// An oracle price exactly as published, before any check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawOracleReading {
    /// Price mantissa: price = mantissa × 10^expo.
    pub price: i64,
    /// Confidence interval, same exponent as `price`.
    pub conf: u64,
    pub expo: i32,
    /// Unix seconds at which the publishers' aggregate was formed.
    pub publish_time: i64,
    /// Whether the aggregate is in Trading status (always true for a PriceUpdateV2, which only carries trading
    /// prices).
    pub trading: bool,
    /// The publishers' exponentially weighted moving average price, same exponent (0 when unknown).
    pub ema_price: i64,
    /// The same average of the confidence, same exponent: how uncertain the publishers have been lately, which
    /// one print (chosen by whoever posts it) barely moves.
    pub ema_conf: u64,
}

/// What a market allows of its oracle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OracleGuards {
    /// Oldest acceptable publish time, as an age in seconds relative to `now`.
    pub max_age_secs: u32,
    /// Widest acceptable confidence, as basis points of the price.
    pub max_conf_bps: u32,
    /// Publish time of the last price the market used; a reading older than this is refused.
    pub last_publish_time: i64,
    /// Widest distance between price and EMA, bps of the EMA (0: no check).
    pub max_ema_divergence_bps: u32,
}

/// Exponents Backstop normalises. Every Pyth feed uses -5..=-10; the margin either side is headroom.
pub const MIN_ORACLE_EXPO: i32 = -18;
pub const MAX_ORACLE_EXPO: i32 = 6;

/// How far a publish time may be ahead of the validator clock, in seconds.
pub const MAX_ORACLE_CLOCK_SKEW_SECS: i64 = 10;

/// Checks a reading against the market's guards and normalises it to PRICE_PRECISION. A print far from the
/// publishers' EMA is not refused here: what each action may do with it is [`OracleView`]'s to say.
///
/// Order of checks is part of the contract (tests pin which error a reading with several faults gets):
/// status, sign, exponent, staleness, future, ordering, confidence.
pub fn validate_reading(reading: &RawOracleReading, guards: &OracleGuards, now: i64) -> MathResult<OracleView> {
    validate_reading_at(reading, guards, now, PRICE_EXPO)
}

/// [`validate_reading`], normalised to `10^target_expo` instead: a fund asset's price is read at
/// [`crate::constants::ASSET_PRICE_EXPO`], fine enough for a token worth a millionth of a dollar.
pub fn validate_reading_at(
    reading: &RawOracleReading,
    guards: &OracleGuards,
    now: i64,
    target_expo: i32,
) -> MathResult<OracleView> {
    if !reading.trading {
        return Err(MathError::OracleNotTrading);
    }
    if reading.price <= 0 {
        return Err(MathError::OracleNonPositivePrice);
    }
    if !(MIN_ORACLE_EXPO..=MAX_ORACLE_EXPO).contains(&reading.expo) {
        return Err(MathError::OracleBadExponent);
    }
    let age = now.checked_sub(reading.publish_time).ok_or(MathError::Overflow)?;
    if age > i64::from(guards.max_age_secs) {
        return Err(MathError::OracleStale);
    }
    // A publish time slightly ahead of the validator clock is normal (different clocks); far ahead it is not, and
    // once used it would make every honest print `OracleOutOfOrder` until the clock caught up (liquidations too).
    if age < -MAX_ORACLE_CLOCK_SKEW_SECS {
        return Err(MathError::OracleFromFuture);
    }
    if reading.publish_time < guards.last_publish_time {
        return Err(MathError::OracleOutOfOrder);
    }
    // Price rounds down and confidence up: the normalised band is never narrower than the published one.
    let to_target = |mantissa: i128, round_up: bool| rescale(mantissa, reading.expo, target_expo, round_up);
    let price = to_i64(to_target(i128::from(reading.price), false)?)?;
    let conf = to_i64(to_target(i128::from(reading.conf), true)?)?;
    if price <= 0 {
        // A positive price below one PRICE_PRECISION atom cannot be represented.
        return Err(MathError::OracleNonPositivePrice);
    }
    let widest = mul_div_ceil(i128::from(price), i128::from(guards.max_conf_bps), i128::from(BPS_DENOMINATOR))?;
    if i128::from(conf) > widest || conf >= price {
        return Err(MathError::OracleUncertain);
    }
    let print = OraclePrice { price, conf, publish_time: reading.publish_time };
    let uncertainty_bps = uncertainty_bps(reading)?;
    if guards.max_ema_divergence_bps == 0 || reading.ema_price <= 0 {
        return Ok(OracleView::agreeing(print, uncertainty_bps));
    }
    // Divergence is judged at the published exponent (both sides share it), the band edges in PRICE_PRECISION,
    // narrowed by their rounding: the program never believes a print further out than the bound says.
    let ema = i128::from(reading.ema_price);
    let allowed = mul_div_floor(ema, i128::from(guards.max_ema_divergence_bps), i128::from(BPS_DENOMINATOR))?;
    if (i128::from(reading.price) - ema).abs() <= allowed {
        // Inside the band every action takes the print as it is; the band itself is only worked out when needed.
        return Ok(OracleView::agreeing(print, uncertainty_bps));
    }
    let band_low = to_i64(to_target(ema - allowed, true)?)?;
    let band_high = to_i64(to_target(ema + allowed, false)?)?;
    let ema = to_i64(to_target(ema, false)?)?;
    Ok(OracleView { print, ema, band_low, band_high, diverged: true, uncertainty_bps })
}

/// The publishers' recent uncertainty, bps: average confidence over average price when the oracle publishes both
/// (a zero average confidence is "unknown", not "certain"), else the print's own ratio. Both at the published
/// exponent (they share it). Saturates: an absurd ratio trips the breaker, it never refuses the read.
fn uncertainty_bps(reading: &RawOracleReading) -> MathResult<u64> {
    let (conf, price) = if reading.ema_price > 0 && reading.ema_conf > 0 {
        (reading.ema_conf, reading.ema_price)
    } else {
        (reading.conf, reading.price)
    };
    let bps = mul_div_floor(i128::from(conf), i128::from(BPS_DENOMINATOR), i128::from(price))?;
    Ok(u64::try_from(bps).unwrap_or(u64::MAX))
}

/// 10^0 ..= 10^38, every power of ten an i128 holds: a table lookup instead of `checked_pow`, whose loop of
/// checked 128-bit multiplications is a few hundred compute units on SBF.
const POWERS_OF_TEN: [i128; 39] = {
    let mut table = [1i128; 39];
    let mut i = 1;
    while i < table.len() {
        table[i] = table[i - 1] * 10;
        i += 1;
    }
    table
};

/// The publishers' EMA of a reading at `10^target_expo`, rounded down (0 when none is published).
pub fn ema_at(reading: &RawOracleReading, target_expo: i32) -> MathResult<i64> {
    if reading.ema_price <= 0 {
        return Ok(0);
    }
    to_i64(rescale(i128::from(reading.ema_price), reading.expo, target_expo, false)?)
}

/// 10^`exponent`, for every power of ten an i128 holds.
pub fn pow10(exponent: u32) -> MathResult<i128> {
    usize::try_from(exponent).ok().and_then(|index| POWERS_OF_TEN.get(index)).copied().ok_or(MathError::Overflow)
}

/// Moves `mantissa × 10^expo` to `10^target_expo`, rounding up or down when digits are dropped.
fn rescale(mantissa: i128, expo: i32, target_expo: i32, round_up: bool) -> MathResult<i128> {
    let shift = expo.checked_sub(target_expo).ok_or(MathError::Overflow)?;
    let factor = pow10(shift.unsigned_abs())?;
    if shift >= 0 {
        mantissa.checked_mul(factor).ok_or(MathError::Overflow)
    } else if round_up {
        div_ceil(mantissa, factor)
    } else {
        div_floor(mantissa, factor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_700_000_000;

    fn reading(price: i64, conf: u64, expo: i32) -> RawOracleReading {
        RawOracleReading { price, conf, expo, publish_time: NOW - 5, trading: true, ema_price: 0, ema_conf: 0 }
    }

    fn guards() -> OracleGuards {
        OracleGuards { max_age_secs: 30, max_conf_bps: 200, last_publish_time: 0, max_ema_divergence_bps: 2_000 }
    }

    #[test]
    fn normalises_pyth_sol_usd_to_six_decimals() {
        // The real legacy SOL/USD account: 159.3354425 ± 0.115166 at expo -8.
        let price = validate_reading(&reading(15_933_544_250, 11_516_600, -8), &guards(), NOW).unwrap().print;
        assert_eq!(price.price, 159_335_442); // floor
        assert_eq!(price.conf, 115_166); // exact
    }

    #[test]
    fn confidence_rounds_up_and_price_down() {
        let price = validate_reading(&reading(1_999, 1, -9), &guards(), NOW);
        // 0.000001999 -> 1 atom of price, conf 1e-9 -> 1 atom: conf >= price, so refused as uncertain.
        assert_eq!(price.err(), Some(MathError::OracleUncertain));
    }

    #[test]
    fn positive_exponent_scales_up() {
        let price = validate_reading(&reading(3, 0, 2), &guards(), NOW).unwrap().print;
        assert_eq!(price.price, 300 * crate::constants::PRICE_PRECISION);
    }

    #[test]
    fn each_fault_has_its_error() {
        let g = guards();
        let mut r = reading(100_000_000, 10_000, -8);
        r.trading = false;
        assert_eq!(validate_reading(&r, &g, NOW), Err(MathError::OracleNotTrading));
        assert_eq!(validate_reading(&reading(0, 0, -8), &g, NOW), Err(MathError::OracleNonPositivePrice));
        assert_eq!(validate_reading(&reading(-5, 0, -8), &g, NOW), Err(MathError::OracleNonPositivePrice));
        assert_eq!(validate_reading(&reading(1, 0, -19), &g, NOW), Err(MathError::OracleBadExponent));
        assert_eq!(validate_reading(&reading(1, 0, 7), &g, NOW), Err(MathError::OracleBadExponent));
        assert_eq!(validate_reading(&reading(100_000_000, 10_000, -8), &g, NOW + 26), Err(MathError::OracleStale));
        // NOW - 5 is the reading's publish time: 15 s ahead of the clock is refused, 10 s is tolerated skew.
        assert_eq!(validate_reading(&reading(100_000_000, 10_000, -8), &g, NOW - 20), Err(MathError::OracleFromFuture));
        assert!(validate_reading(&reading(100_000_000, 10_000, -8), &g, NOW - 15).is_ok());
        let ordered = OracleGuards { last_publish_time: NOW - 4, ..g };
        assert_eq!(
            validate_reading(&reading(100_000_000, 10_000, -8), &ordered, NOW),
            Err(MathError::OracleOutOfOrder)
        );
        // 2.01 % confidence against a 2 % bound.
        assert_eq!(validate_reading(&reading(100_000_000, 2_010_000, -8), &g, NOW), Err(MathError::OracleUncertain));
    }

    #[test]
    fn a_print_far_from_its_ema_is_flagged_with_its_band() {
        let g = guards(); // 20 %
        let mut r = reading(120_000_000, 10_000, -8);
        r.ema_price = 100_000_000;
        let view = validate_reading(&r, &g, NOW).unwrap();
        assert!(!view.diverged, "exactly 20 % off the EMA");
        r.price = 120_000_001;
        let view = validate_reading(&r, &g, NOW).unwrap();
        assert!(view.diverged, "one atom beyond");
        assert_eq!((view.ema, view.band_low, view.band_high), (1_000_000, 800_000, 1_200_000));
        r.ema_price = 10_000_000; // a tenfold pump the average has not followed
        let view = validate_reading(&r, &g, NOW).unwrap();
        assert!(view.diverged);
        assert_eq!((view.print.price, view.band_low, view.band_high), (1_200_000, 80_000, 120_000));
        let off = OracleGuards { max_ema_divergence_bps: 0, ..g };
        assert!(!validate_reading(&r, &off, NOW).unwrap().diverged);
    }

    #[test]
    fn boundaries_are_inclusive() {
        let g = guards();
        assert!(validate_reading(&reading(100_000_000, 2_000_000, -8), &g, NOW).is_ok()); // exactly 2 %
        assert!(validate_reading(&reading(100_000_000, 0, -8), &g, NOW + 25).is_ok()); // exactly 30 s old
        let same_time = OracleGuards { last_publish_time: NOW - 5, ..g };
        assert!(validate_reading(&reading(100_000_000, 0, -8), &same_time, NOW).is_ok());
    }

    #[test]
    fn execution_and_margin_prices_move_against_the_holder() {
        let p = OraclePrice { price: 100_000_000, conf: 50_000, publish_time: NOW };
        assert_eq!(p.execution_price(true, 10_000), Ok(100_050_000));
        assert_eq!(p.execution_price(false, 10_000), Ok(99_950_000));
        assert_eq!(p.execution_price(true, 5_000), Ok(100_025_000));
        assert_eq!(p.execution_price(true, 0), Ok(100_000_000));
        assert_eq!(p.margin_price(5), Ok(99_950_000));
        assert_eq!(p.margin_price(-5), Ok(100_050_000));
    }
}
