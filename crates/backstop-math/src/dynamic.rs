//! The parametric controls: a realised-volatility estimate, the fee that rises with it, and the fund's fee share
//! that rises as its coverage falls. The circuit breaker is [`crate::breaker`].

use crate::constants::BPS_DENOMINATOR;
use crate::error::{MathError, MathResult};
use crate::fees::FeeSplit;
use crate::params::MarketParams;
use crate::safe_math::{mul_div_ceil, mul_div_floor, to_u64};

/// Returns are measured in parts per 10⁹; the variance rate is squared returns per second, in parts per 10¹⁸.
pub const RETURN_PRECISION: u64 = 1_000_000_000;
/// Volatility (over one window) is quoted in parts per million.
pub const VOLATILITY_PRECISION: u64 = 1_000_000;
/// Largest return one observation counts (1 000 %): far past every fee cap, and it keeps the square in range.
const MAX_RETURN: u128 = 10 * RETURN_PRECISION as u128;

/// Updates the variance rate (squared return per second) with the move from `last_price` to `price` over
/// `elapsed` seconds: an exponentially weighted mean of `return² / elapsed` whose weight is `elapsed / window`,
/// at most ½: no single observation, however long the gap before it, replaces the history (else one print
/// chosen near the last after a quiet hour would reset the fee to its floor).
///
/// For a random walk `return² / elapsed` has the same mean however often it is observed, so a keeper observing
/// every second and one observing every hour see the same rate (the review's F6: a mean of absolute returns
/// shrank with the observation interval, and floor rounding let per-second observations ratchet it to zero).
/// Every division rounds to the nearest, up and down alike, so many small updates carry no drift.
pub fn update_variance_rate(rate: u64, last_price: i64, price: i64, elapsed: i64, window_secs: u32) -> MathResult<u64> {
    if last_price <= 0 || price <= 0 || elapsed <= 0 || window_secs == 0 {
        return Ok(rate);
    }
    let change = price.abs_diff(last_price);
    let ret = scale(change, RETURN_PRECISION, last_price.unsigned_abs(), Rounding::Nearest)?.min(MAX_RETURN);
    let ret = to_u64_wide(ret)?;
    let elapsed = elapsed.unsigned_abs();
    let observed = scale(ret, ret, elapsed, Rounding::Nearest)?;
    let window = u64::from(window_secs);
    let weight = elapsed.min(window / 2);
    let current = u128::from(rate);
    // The step is taken on the magnitude and signed afterwards: rounding is the same up and down.
    let step = |gap: u128| match u64::try_from(gap) {
        Ok(gap) => scale(gap, weight, window, Rounding::Nearest),
        Err(_) => wide_div(gap * u128::from(weight), u128::from(window)),
    };
    let next =
        if observed >= current { current + step(observed - current)? } else { current - step(current - observed)? };
    Ok(u64::try_from(next).unwrap_or(u64::MAX))
}

/// Observations closer together than this are not taken (the anchor stays): a return over a few seconds is
/// mostly print-to-print noise, which `return² / elapsed` would read as volatility, and anyone can post prints.
pub const MIN_VARIANCE_INTERVAL_SECS: i64 = 10;

crate::idl_struct! {
    /// The variance estimate a market keeps: the rate, and the print the next return is measured from.
    #[repr(C)]
    #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, bytemuck::Pod, bytemuck::Zeroable)]
    pub struct VarianceEstimate {
        /// precision: parts per 10¹⁸ per second.
        pub rate: u64,
        /// precision: PRICE_PRECISION; 0 before the first observation.
        pub anchor_price: i64,
        /// Publish time of the anchor, Unix seconds.
        pub anchor_time: i64,
    }
}

impl VarianceEstimate {
    /// Takes a price published at `publish_time`: measured from the anchor when at least
    /// [`MIN_VARIANCE_INTERVAL_SECS`] later (then it becomes the anchor), ignored when sooner.
    pub fn observe(&self, price: i64, publish_time: i64, window_secs: u32) -> MathResult<Self> {
        if self.anchor_time == 0 || self.anchor_price <= 0 {
            return Ok(Self { anchor_price: price, anchor_time: publish_time, ..*self });
        }
        let elapsed = publish_time.saturating_sub(self.anchor_time);
        if elapsed < MIN_VARIANCE_INTERVAL_SECS {
            return Ok(*self);
        }
        let rate = update_variance_rate(self.rate, self.anchor_price, price, elapsed, window_secs)?;
        Ok(Self { rate, anchor_price: price, anchor_time: publish_time })
    }
}

/// Volatility over one window for a variance rate: `√(rate × window)`, in ppm, rounded to the nearest.
pub fn volatility_ppm(rate: u64, window_secs: u32) -> MathResult<u64> {
    let variance = u128::from(rate) * u128::from(window_secs);
    // (root + ½)² = root² + root + ¼: above it, the nearest root is the next one. In 64 bits where the variance
    // fits (every market short of a collapse): on SBF the 128-bit root is a chain of software divisions.
    let nearest = match u64::try_from(variance) {
        Ok(narrow) => {
            let root = crate::safe_math::isqrt_u64(narrow);
            u128::from(if narrow - root * root > root { root + 1 } else { root })
        }
        Err(_) => {
            let root = variance.isqrt();
            if variance - root * root > root {
                root + 1
            } else {
                root
            }
        }
    };
    let ppm = wide_div(nearest, u128::from(RETURN_PRECISION / VOLATILITY_PRECISION))?;
    u64::try_from(ppm).map_err(|_| MathError::Overflow)
}

/// Basis points in a whole, as the multiplier [`scale`] takes.
pub(crate) const BPS: u64 = BPS_DENOMINATOR.unsigned_abs();

pub(crate) fn to_u64_wide(value: u128) -> MathResult<u64> {
    u64::try_from(value).map_err(|_| MathError::Overflow)
}

/// How [`scale`] rounds.
#[derive(Clone, Copy)]
pub(crate) enum Rounding {
    Down,
    Nearest,
}

/// `a × b / d`, rounded as asked. On SBF 64-bit arithmetic is native and 128-bit a software routine, and ordinary
/// observations fit in 64 bits: the wide path is only for extreme prices and moves.
pub(crate) fn scale(a: u64, b: u64, d: u64, rounding: Rounding) -> MathResult<u128> {
    if d == 0 {
        return Err(MathError::Overflow);
    }
    let offset = match rounding {
        Rounding::Down => 0,
        Rounding::Nearest => d / 2,
    };
    if let Some(n) = a.checked_mul(b).and_then(|p| p.checked_add(offset)) {
        return Ok(u128::from(n / d));
    }
    Ok((u128::from(a) * u128::from(b) + u128::from(offset)) / u128::from(d))
}

/// `n / d` rounded to the nearest, halves up, with the same 64-bit fast path.
fn wide_div(n: u128, d: u128) -> MathResult<u128> {
    if d == 0 {
        return Err(MathError::Overflow);
    }
    let halfway = n + d / 2;
    if let (Ok(n), Ok(d)) = (u64::try_from(halfway), u64::try_from(d)) {
        return Ok(u128::from(n / d));
    }
    Ok(halfway / d)
}

/// Whether [`dynamic_fee_bps`] depends on the volatility: not when it has no coefficient, nor when its floor is its
/// cap. Where it does not, the volatility (a square root) need not be worked out for it.
pub fn fee_reads_volatility(params: &MarketParams) -> bool {
    params.fee_vol_coefficient != 0 && params.fee_floor_bps < params.fee_cap_bps
}

/// Whether [`dynamic_fund_share_bps`] can move at all (its maximum is above its base): where it cannot, neither
/// the coverage nor the adequacy it would read need be worked out.
pub fn fund_share_moves(params: &MarketParams) -> bool {
    params.fund_share_max_bps > params.fee_fund_share_bps
}

/// Whether [`dynamic_fund_share_bps`] reads the coverage (it moves, and a coverage target is set).
pub fn fund_share_reads_coverage(params: &MarketParams) -> bool {
    fund_share_moves(params) && params.coverage_target_bps != 0
}

/// The taker fee at variance rate `rate` (see [`VarianceEstimate`]): the volatility, a square root, worked out only
/// where the fee reads it.
pub fn taker_fee_at_rate(params: &MarketParams, rate: u64) -> MathResult<u32> {
    let volatility =
        if fee_reads_volatility(params) { volatility_ppm(rate, params.volatility_window_secs)? } else { 0 };
    dynamic_fee_bps(params, volatility)
}

/// Taker fee rate for this volatility: `base + coefficient × volatility_ppm / 10⁷` (coefficient 1 000 adds 1 bps
/// per 1 % of volatility), rounded up and clamped to [floor, cap] (bps).
pub fn dynamic_fee_bps(params: &MarketParams, volatility_ppm: u64) -> MathResult<u32> {
    // A 32-bit coefficient times a 64-bit volatility fits in 128 bits; in 64 (every volatility short of a
    // collapse) the division is one native instruction, not the 128-bit routine (~100 units on SBF).
    let product = u128::from(params.fee_vol_coefficient) * u128::from(volatility_ppm);
    let extra = match u64::try_from(product) {
        Ok(narrow) => u128::from(narrow.div_ceil(FEE_VOL_DIVISOR)),
        Err(_) => product.div_ceil(u128::from(FEE_VOL_DIVISOR)),
    };
    let fee = (u128::from(params.taker_fee_bps) + extra)
        .max(u128::from(params.fee_floor_bps))
        .min(u128::from(params.fee_cap_bps));
    u32::try_from(fee).map_err(|_| MathError::Overflow)
}

/// The coefficient's scale: 1 000 adds 1 bps per 1 % (10 000 ppm) of volatility.
const FEE_VOL_DIVISOR: u64 = 10_000_000;

/// The dynamic fund share: the fund's fee share rises linearly from `fee_fund_share_bps` to `fund_share_max_bps`
/// as its coverage (balance ÷ open interest) falls from `coverage_target_bps` to 0, or as its adequacy (balance ÷
/// the market's stressed deficit at the target shock, [`crate::book::adequacy_bps`]) falls from 1 to 0, whichever
/// asks for more. Adequacy is what anticipates: it falls as positions crowd toward their bankruptcy prices and as
/// volatility widens the target shock, before any deficit prints. Rounded up (toward the fund).
pub fn dynamic_fund_share_bps(params: &MarketParams, coverage_bps: u64, adequacy_bps: u64) -> MathResult<u32> {
    let base = u64::from(params.fee_fund_share_bps);
    let max = u64::from(params.fund_share_max_bps);
    if !fund_share_moves(params) {
        return u32::try_from(base).map_err(|_| MathError::Overflow);
    }
    let extra = |level: u64, target: u64| -> MathResult<i128> {
        if level >= target || target == 0 {
            return Ok(0);
        }
        mul_div_ceil(i128::from(max - base), i128::from(target - level), i128::from(target))
    };
    let coverage = extra(coverage_bps, u64::from(params.coverage_target_bps))?;
    let adequacy = extra(adequacy_bps, crate::book::ADEQUACY_ONE_BPS)?;
    u32::try_from(i128::from(base) + coverage.max(adequacy)).map_err(|_| MathError::Overflow)
}

pub fn split_fee_dynamic(fee: u64, fund_bps: u32, params: &MarketParams) -> MathResult<FeeSplit> {
    let extra = fund_bps.saturating_sub(params.fee_fund_share_bps);
    let from_lp = extra.min(params.fee_lp_share_bps);
    let from_treasury =
        if params.treasury_yields_to_fund == 1 { (extra - from_lp).min(params.fee_treasury_share_bps) } else { 0 };
    let fund = params.fee_fund_share_bps + from_lp + from_treasury;
    let treasury = params.fee_treasury_share_bps - from_treasury;
    let share = |bps: u32| to_u64(mul_div_floor(i128::from(fee), i128::from(bps), i128::from(BPS_DENOMINATOR))?);
    let fund_amount = share(fund)?;
    let treasury_amount = share(treasury)?;
    let lp = fee.checked_sub(fund_amount).and_then(|r| r.checked_sub(treasury_amount)).ok_or(MathError::Overflow)?;
    Ok(FeeSplit { fund: fund_amount, lp, treasury: treasury_amount })
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;
    use crate::params::tests::sample;
    use std::vec::Vec;

    #[test]
    fn the_variance_rate_weights_by_elapsed_time_and_caps_the_weight() {
        // A 2 % move over a full window moves the rate half way (the weight's cap) to 0.02² / 3 600 s.
        let rate = update_variance_rate(0, 100_000_000, 102_000_000, 3_600, 3_600).unwrap();
        assert_eq!(rate, 55_555_555_556);
        assert_eq!(volatility_ppm(rate * 2, 3_600), Ok(20_000), "the full observation: 2 % per hour");
        // The same move over 1/10 of the window: 1/10 of the way to 10× the rate.
        assert_eq!(update_variance_rate(0, 100_000_000, 102_000_000, 360, 3_600), Ok(111_111_111_111));
        // A flat half-window halves it; a six-hour gap weighs no more than half a window.
        assert_eq!(update_variance_rate(rate, 100_000_000, 100_000_000, 1_800, 3_600), Ok(27_777_777_778));
        let gap = update_variance_rate(rate, 100_000_000, 100_000_000, 6 * 3_600, 3_600).unwrap();
        assert_eq!(gap, 27_777_777_778, "a quiet print after a long gap cannot reset the rate");
        assert_eq!(update_variance_rate(7, 100, 200, 0, 3_600), Ok(7));
    }

    #[test]
    fn observations_closer_than_the_interval_are_not_taken() {
        let start = VarianceEstimate::default().observe(100_000_000, 1_000, 3_600).unwrap();
        assert_eq!((start.rate, start.anchor_price, start.anchor_time), (0, 100_000_000, 1_000));
        // A print 9 s later changes nothing, however far it moved.
        assert_eq!(start.observe(110_000_000, 1_009, 3_600), Ok(start));
        let next = start.observe(101_000_000, 1_010, 3_600).unwrap();
        assert_eq!((next.anchor_price, next.anchor_time), (101_000_000, 1_010));
        assert_eq!(next.rate, update_variance_rate(0, 100_000_000, 101_000_000, 10, 3_600).unwrap());
    }

    /// A deterministic ±`step_ppb` random walk, one step per second.
    fn walk(seconds: usize, step_ppb: i64, seed: u64) -> Vec<i64> {
        let mut state = seed;
        let mut price = 100_000_000_000i64; // $100 000 in PRICE_PRECISION: steps of a few ppm are exact
        let mut path = Vec::with_capacity(seconds + 1);
        path.push(price);
        for _ in 0..seconds {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let step = price / 1_000_000_000 * step_ppb;
            price += if state & 1 == 0 { step } else { -step };
            path.push(price);
        }
        path
    }

    #[test]
    fn per_second_and_hourly_observers_of_one_walk_agree() {
        // F6: 300 ppm per second (1.8 % per hour). Before, the per-second observer read 0 and the hourly 17 123.
        // Both go through the market's estimate, as the program does (the per-second one is taken every 10 s).
        let hours = 400;
        let path = walk(hours * 3_600, 300_000, 0x5eed);
        let (mut per_second, mut hourly) = (VarianceEstimate::default(), VarianceEstimate::default());
        let (mut per_second_sum, mut hourly_sum) = (0u128, 0u128);
        for (t, price) in path.iter().enumerate() {
            let at = 1 + i64::try_from(t).unwrap();
            per_second = per_second.observe(*price, at, 3_600).unwrap();
            if t % 3_600 == 0 {
                hourly = hourly.observe(*price, at, 3_600).unwrap();
                per_second_sum += u128::from(per_second.rate);
                hourly_sum += u128::from(hourly.rate);
            }
        }
        // The true rate is (3·10⁵)² = 9·10¹⁰ per second. The per-second observer tracks it closely; the hourly
        // one sees one return per hour (a chi-square of one degree) and averages about two of them, so over 400
        // hours its mean is within a few % (1σ) of it. Stated tolerance: 5 % and 20 % of the truth, 20 % apart.
        let truth = 90_000_000_000f64;
        let per_second_mean = per_second_sum as f64 / hours as f64;
        let hourly_mean = hourly_sum as f64 / hours as f64;
        assert!((per_second_mean / truth - 1.0).abs() < 0.05, "per second: {per_second_mean}");
        assert!((hourly_mean / truth - 1.0).abs() < 0.20, "hourly: {hourly_mean}");
        assert!((hourly_mean / per_second_mean - 1.0).abs() < 0.20, "{hourly_mean} vs {per_second_mean}");
        assert_eq!(volatility_ppm(90_000_000_000, 3_600), Ok(18_000));
    }

    #[test]
    fn rounding_to_the_nearest_does_not_ratchet_a_quiet_rate() {
        // A rate at its true level stays there under a stream of observations equal to it.
        let mut rate = 90_000_000_000u64;
        let path = walk(3_600, 300_000, 7);
        for pair in path.windows(2) {
            rate = update_variance_rate(rate, pair[0], pair[1], 1, 3_600).unwrap();
        }
        assert!((rate as f64 / 90_000_000_000f64 - 1.0).abs() < 0.01, "{rate}");
    }

    #[test]
    fn fee_rises_with_volatility_between_floor_and_cap() {
        let params = sample(); // base 5, floor 5, cap 50, coefficient 1 000
        assert_eq!(dynamic_fee_bps(&params, 0), Ok(5));
        assert_eq!(dynamic_fee_bps(&params, 10_000), Ok(6)); // 1 % volatility: +1 bps
        assert_eq!(dynamic_fee_bps(&params, 200_000), Ok(25)); // 20 %: +20 bps
        assert_eq!(dynamic_fee_bps(&params, 10_000_000), Ok(50)); // capped
    }

    #[test]
    fn fund_share_rises_linearly_as_coverage_falls() {
        let params = sample(); // base 5 000, max 9 000, target 500 bps
        let adequate = u64::MAX;
        assert_eq!(dynamic_fund_share_bps(&params, 500, adequate), Ok(5_000));
        assert_eq!(dynamic_fund_share_bps(&params, 10_000, adequate), Ok(5_000));
        assert_eq!(dynamic_fund_share_bps(&params, 250, adequate), Ok(7_000));
        assert_eq!(dynamic_fund_share_bps(&params, 0, adequate), Ok(9_000));
        // Adequacy drives it too, whichever asks for more: a fund at 3/4 of the stressed deficit with ample
        // coverage gives a quarter of the way; at half, with coverage at half its target, half the way.
        assert_eq!(dynamic_fund_share_bps(&params, 10_000, 7_500), Ok(6_000));
        assert_eq!(dynamic_fund_share_bps(&params, 250, 5_000), Ok(7_000));
        assert_eq!(dynamic_fund_share_bps(&params, 250, 2_500), Ok(8_000));
        assert_eq!(dynamic_fund_share_bps(&params, 10_000, 10_000), Ok(5_000));
    }

    proptest::proptest! {
        /// Where a control says it does not read an input, no value of that input changes what it gives; the fee is its
        /// definition at every volatility.
        #[test]
        fn an_input_a_control_does_not_read_changes_nothing(
            coefficient in proptest::prop_oneof![proptest::strategy::Just(0u32), 0u32..5_000],
            floor in 0u32..50,
            above in proptest::prop_oneof![proptest::strategy::Just(0u32), 0u32..50],
            max_share in 5_000u32..9_000,
            target in proptest::prop_oneof![proptest::strategy::Just(0u32), 1u32..2_000],
            volatility in 0u64..10_000_000,
            coverage in proptest::num::u64::ANY,
            adequacy in proptest::num::u64::ANY,
        ) {
            let mut params = sample();
            (params.fee_vol_coefficient, params.fee_floor_bps, params.fee_cap_bps) = (coefficient, floor, floor + above);
            params.taker_fee_bps = floor;
            (params.fund_share_max_bps, params.coverage_target_bps) = (max_share, target);
            if !fee_reads_volatility(&params) {
                proptest::prop_assert_eq!(dynamic_fee_bps(&params, volatility), dynamic_fee_bps(&params, 0));
            }
            // The 64-bit fast path is the definition: base + ⌈coefficient × volatility / 10⁷⌉, within [floor, cap].
            for volatility in [volatility, volatility.saturating_mul(1 << 40), u64::MAX] {
                let extra = (u128::from(coefficient) * u128::from(volatility)).div_ceil(10_000_000);
                let defined = (u128::from(floor) + extra).clamp(u128::from(floor), u128::from(floor + above));
                proptest::prop_assert_eq!(dynamic_fee_bps(&params, volatility), Ok(u32::try_from(defined).unwrap()));
            }
            if !fund_share_reads_coverage(&params) {
                proptest::prop_assert_eq!(
                    dynamic_fund_share_bps(&params, coverage, adequacy),
                    dynamic_fund_share_bps(&params, u64::MAX, adequacy)
                );
            }
            if !fund_share_moves(&params) {
                proptest::prop_assert_eq!(
                    dynamic_fund_share_bps(&params, coverage, adequacy),
                    dynamic_fund_share_bps(&params, u64::MAX, u64::MAX)
                );
            }
        }
    }

    #[test]
    fn the_lp_gives_way_first_then_a_yielding_treasury() {
        let mut params = sample(); // 5 000 / 4 000 / 1 000
        let split = split_fee_dynamic(10_000, 8_000, &params).unwrap();
        assert_eq!((split.fund, split.lp, split.treasury), (8_000, 1_000, 1_000));
        params.fund_share_max_bps = 9_500;
        params.treasury_yields_to_fund = 1;
        let split = split_fee_dynamic(10_000, 9_500, &params).unwrap();
        assert_eq!((split.fund, split.lp, split.treasury), (9_500, 0, 500));
        assert_eq!(split_fee_dynamic(7, 9_500, &params).unwrap().total(), Ok(7));
    }
}
