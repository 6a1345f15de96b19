//! Funding: the crowded side pays a rate that grows with open-interest skew, capped; the other side and
//! the LP pool, which carries the net imbalance, receive it.
//!
//! `rate = clamp(coefficient × (OI_long − OI_short) / max(OI_long + OI_short, depth), −cap, +cap)` per hour,
//! positive when longs pay. A cumulative index (quote per base unit) advances with elapsed time on every
//! instruction that touches the market; each account settles `size × (index now − index at its last touch)` when
//! it is next touched, rounded up (against the payer: a payer pays the atom, a receiver gets one less).

use crate::constants::BASE_PRECISION;
use crate::error::{MathError, MathResult};
use crate::safe_math::{div_ceil, div_trunc, to_i64};

/// The index is quote atoms per base unit, times this. precision of `cumulative_funding_index`.
pub const FUNDING_INDEX_PRECISION: i64 = 1_000_000;
/// Funding rates are parts per billion of notional per hour.
pub const FUNDING_RATE_PRECISION: i64 = 1_000_000_000;
const PPM_TO_PPB: i64 = 1_000;
const SECONDS_PER_HOUR: i64 = 3_600;

/// The hourly funding rate for this open interest, in ppb (positive: longs pay).
pub fn funding_rate_ppb(
    open_interest_long: u64,
    open_interest_short: u64,
    coefficient_ppm: u32,
    cap_ppm: u32,
    depth: u64,
) -> MathResult<i64> {
    let long = i128::from(open_interest_long);
    let short = i128::from(open_interest_short);
    // Open interest is capped at i64::MAX (`max_open_interest`), so the skew and the coefficient are 64-bit
    // values and their product cannot overflow i128: a widening multiply, not the checked 128-bit routine.
    let skew = i64::try_from(long - short).map_err(|_| MathError::Overflow)?;
    let denominator = (long + short).max(i128::from(depth)).max(1);
    let coefficient = i64::from(coefficient_ppm) * PPM_TO_PPB;
    let cap = i128::from(cap_ppm) * i128::from(PPM_TO_PPB);
    // Truncated toward zero: the rate never exceeds the formula's.
    let rate = div_trunc(i128::from(coefficient) * i128::from(skew), denominator)?;
    to_i64(rate.clamp(-cap, cap))
}

/// How far the index moves in `elapsed` seconds at `rate_ppb` and `price` (PRICE_PRECISION = quote atoms per
/// base unit). Truncated toward zero.
pub fn index_delta(rate_ppb: i64, price: i64, elapsed: i64) -> MathResult<i64> {
    Ok(index_delta_carried(rate_ppb, price, elapsed, 0)?.0)
}

/// As [`index_delta`], with `carry` (what earlier accruals truncated away, in the same units as the numerator)
/// added first, and what this one truncates returned to carry on. Without it, touches every second on a
/// low-priced asset truncated a small rate to nothing, every time (the security review).
pub fn index_delta_carried(rate_ppb: i64, price: i64, elapsed: i64, carry: i64) -> MathResult<(i64, i64)> {
    if elapsed <= 0 || rate_ppb == 0 {
        return Ok((0, carry));
    }
    // rate × price × elapsed × INDEX_PRECISION / (3600 × RATE_PRECISION), with the common factor cancelled
    // exactly (RATE_PRECISION is a multiple of INDEX_PRECISION): the same truncation, but the numerator usually
    // fits in 64 bits, where division is one SBF instruction instead of a 128-bit routine.
    // Two 64-bit factors cannot overflow i128 (a widening multiply); the checked 128-bit routine only when the
    // first product leaves 64 bits.
    let rate_price = i128::from(rate_ppb) * i128::from(price);
    let numerator = match i64::try_from(rate_price) {
        Ok(small) => i128::from(small) * i128::from(elapsed),
        Err(_) => rate_price.checked_mul(i128::from(elapsed)).ok_or(MathError::Overflow)?,
    };
    let numerator = numerator.checked_add(i128::from(carry)).ok_or(MathError::Overflow)?;
    const DENOMINATOR: i64 = SECONDS_PER_HOUR * RATE_PER_INDEX_PRECISION;
    // Both truncate toward zero, so quotient × denominator + remainder is the numerator exactly. Native 64-bit
    // division where the numerator fits (nearly always); |remainder| < 3.6e6 either way.
    if let Ok(small) = i64::try_from(numerator) {
        return Ok((small / DENOMINATOR, small % DENOMINATOR));
    }
    let delta = div_trunc(numerator, i128::from(DENOMINATOR))?;
    let remainder = numerator.checked_sub(delta * i128::from(DENOMINATOR)).ok_or(MathError::Overflow)?;
    Ok((to_i64(delta)?, to_i64(remainder)?))
}

const RATE_PER_INDEX_PRECISION: i64 = FUNDING_RATE_PRECISION / FUNDING_INDEX_PRECISION;
const _: () = assert!(FUNDING_RATE_PRECISION % FUNDING_INDEX_PRECISION == 0);

/// What a position of `base` owes between two index values (positive: it pays), rounded up.
/// precision: QUOTE_PRECISION.
pub fn funding_owed(base: i64, index_then: i64, index_now: i64) -> MathResult<i64> {
    // The usual case on a busy market (same second, or no position) skips a 128-bit division.
    if base == 0 || index_then == index_now {
        return Ok(0);
    }
    let delta = i128::from(index_now) - i128::from(index_then);
    let owed = match i64::try_from(delta) {
        // The usual case: a widening 64 × 64 multiply, which cannot overflow.
        Ok(small) => i128::from(base) * i128::from(small),
        Err(_) => i128::from(base).checked_mul(delta).ok_or(MathError::Overflow)?,
    };
    to_i64(div_ceil(owed, i128::from(BASE_PRECISION) * i128::from(FUNDING_INDEX_PRECISION))?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::constants::BASE_PRECISION_U64;

    const UNIT: u64 = BASE_PRECISION_U64;

    proptest::proptest! {
        #[test]
        fn the_reduced_index_fraction_truncates_exactly_as_the_full_one(
            rate in -100_000_000i64..100_000_000,
            price in 1i64..1_000_000_000_000,
            elapsed in 1i64..10_000_000,
        ) {
            let full = i128::from(rate) * i128::from(price) * i128::from(elapsed) * i128::from(FUNDING_INDEX_PRECISION)
                / (i128::from(SECONDS_PER_HOUR) * i128::from(FUNDING_RATE_PRECISION));
            proptest::prop_assert_eq!(index_delta(rate, price, elapsed), to_i64(full));
        }
    }

    #[test]
    fn rate_follows_skew_and_is_capped() {
        // 100 ppm/h at full skew, cap 50 ppm/h, depth 100 units.
        assert_eq!(funding_rate_ppb(300 * UNIT, 100 * UNIT, 100, 50, 100 * UNIT), Ok(50_000)); // skew ½ → 50 ppm
        assert_eq!(funding_rate_ppb(250 * UNIT, 150 * UNIT, 100, 50, 100 * UNIT), Ok(25_000)); // skew ¼ → 25 ppm
        assert_eq!(funding_rate_ppb(100 * UNIT, 300 * UNIT, 100, 50, 100 * UNIT), Ok(-50_000));
        assert_eq!(funding_rate_ppb(0, 0, 100, 50, 100 * UNIT), Ok(0));
        assert_eq!(funding_rate_ppb(7 * UNIT, 7 * UNIT, 100, 50, 100 * UNIT), Ok(0));
        // Thin market: 10 long against depth 100 → skew 10 %.
        assert_eq!(funding_rate_ppb(10 * UNIT, 0, 100, 50, 100 * UNIT), Ok(10_000));
    }

    #[test]
    fn index_moves_with_time_and_price() {
        // 50 ppm/h on a $100 unit is $0.005 per hour = 5 000 quote atoms; index carries ×1e6.
        assert_eq!(index_delta(50_000, 100_000_000, 3_600), Ok(5_000 * FUNDING_INDEX_PRECISION));
        assert_eq!(index_delta(50_000, 100_000_000, 6 * 3_600), Ok(30_000 * FUNDING_INDEX_PRECISION));
        assert_eq!(index_delta(-50_000, 100_000_000, 3_600), Ok(-5_000 * FUNDING_INDEX_PRECISION));
        assert_eq!(index_delta(50_000, 100_000_000, 0), Ok(0));
    }

    /// The review's finding: on a $0.001 asset at 1 ppm/hour, a touch every second moved the index by nothing,
    /// every time. With the carry, 3,600 one-second accruals move it exactly as one hour does.
    #[test]
    fn per_second_accruals_add_up_to_the_hourly_one() {
        let (rate, price) = (1_000, 1_000); // 1 ppm/hour in ppb; $0.001 at PRICE_PRECISION
        assert_eq!(index_delta(rate, price, 1), Ok(0), "one second alone truncates to nothing");
        let mut carry = 0;
        let mut index = 0;
        for _ in 0..3_600 {
            let (delta, left) = index_delta_carried(rate, price, 1, carry).unwrap();
            index += delta;
            carry = left;
        }
        assert_eq!(index, index_delta(rate, price, 3_600).unwrap());
        assert_eq!(index, 1_000);
    }

    #[test]
    fn settlement_rounds_against_the_payer() {
        let step = 5_000 * FUNDING_INDEX_PRECISION; // $0.005 per unit
        assert_eq!(funding_owed(10 * BASE_PRECISION, 0, step), Ok(50_000)); // a long pays $0.05
        assert_eq!(funding_owed(-10 * BASE_PRECISION, 0, step), Ok(-50_000)); // a short receives $0.05
        assert_eq!(funding_owed(1, 0, 1), Ok(1)); // a payer pays the atom
        assert_eq!(funding_owed(-1, 0, 1), Ok(0)); // a receiver does not get it
    }
}
