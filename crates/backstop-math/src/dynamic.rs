//! The parametric controls: a realised-volatility estimate, the fee that rises with it, the
//! fund's fee share that rises as its coverage falls, and the circuit breaker.

use crate::constants::BPS_DENOMINATOR;
use crate::error::{MathError, MathResult};
use crate::fees::FeeSplit;
use crate::params::MarketParams;
use crate::safe_math::{mul_div_ceil, mul_div_floor, to_u64};

/// Volatility is a mean absolute return, in parts per million.
pub const VOLATILITY_PRECISION: u64 = 1_000_000;

/// Updates the volatility estimate with the move from `last_price` to `price` over `elapsed` seconds: an
/// exponentially weighted mean of absolute returns whose weight is `elapsed / window` (at most 1), so many
/// updates in one second barely move it and a long gap replaces it with the gap's return instead of compounding.
pub fn update_volatility(
    volatility_ppm: u64,
    last_price: i64,
    price: i64,
    elapsed: i64,
    window_secs: u32,
) -> MathResult<u64> {
    if last_price <= 0 || price <= 0 || elapsed <= 0 || window_secs == 0 {
        return Ok(volatility_ppm);
    }
    let change = (i128::from(price) - i128::from(last_price)).abs();
    let ret = to_u64(mul_div_floor(change, i128::from(VOLATILITY_PRECISION), i128::from(last_price))?)?;
    let weight = i128::from(elapsed.min(i64::from(window_secs)));
    let current = i128::from(volatility_ppm);
    let next = current + mul_div_floor(i128::from(ret) - current, weight, i128::from(window_secs))?;
    to_u64(next.max(0))
}

/// Taker fee rate for this volatility: `base + coefficient × volatility_ppm / 10⁷` (coefficient 1 000 adds 1 bps
/// per 1 % of volatility), rounded up and clamped to [floor, cap] (bps).
pub fn dynamic_fee_bps(params: &MarketParams, volatility_ppm: u64) -> MathResult<u32> {
    let extra = mul_div_ceil(i128::from(params.fee_vol_coefficient), i128::from(volatility_ppm), 10_000_000)?;
    let fee = (i128::from(params.taker_fee_bps) + extra)
        .clamp(i128::from(params.fee_floor_bps), i128::from(params.fee_cap_bps));
    u32::try_from(fee).map_err(|_| MathError::Overflow)
}

/// The fund's fee share for this coverage (fund balance ÷ backed notional, bps): the base share at or above the
/// target, rising linearly to `fund_share_max_bps` as coverage falls to zero.
pub fn dynamic_fund_share_bps(params: &MarketParams, coverage_bps: u64) -> MathResult<u32> {
    let base = u64::from(params.fee_fund_share_bps);
    let max = u64::from(params.fund_share_max_bps);
    let target = u64::from(params.coverage_target_bps);
    if coverage_bps >= target || max <= base {
        return u32::try_from(base).map_err(|_| MathError::Overflow);
    }
    let shortfall = target - coverage_bps;
    // Rounded up: the fund's share is never understated.
    let extra = mul_div_ceil(i128::from(max - base), i128::from(shortfall), i128::from(target))?;
    u32::try_from(i128::from(base) + extra).map_err(|_| MathError::Overflow)
}

/// Splits `fee` with the fund taking `fund_bps`: the LP's share gives way first, then (if configured) the
/// treasury's. Parts always sum to `fee`.
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

/// The circuit breaker's memory, kept in the market.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct Breaker {
    /// Price at the start of the current move window, and when that window opened.
    pub reference_price: i64,
    pub reference_time: i64,
    /// Last time a trigger fired (0: never); the breaker holds reduce-only until `cooldown` after it.
    pub last_trigger_time: i64,
    /// 1 while tripped.
    pub tripped: u64,
}

/// A breaker observation's result, for events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BreakerObservation {
    pub breaker: Breaker,
    /// The move over the window, bps, and the confidence ratio, bps.
    pub move_bps: u64,
    pub conf_bps: u64,
    pub tripped_now: bool,
    pub cleared_now: bool,
}

impl Breaker {
    /// Observes a price at `now`: trips when the confidence ratio or the move since the window opened exceeds
    /// its bound; clears after `breaker_cooldown_secs` without a trigger.
    pub fn observe(&self, price: i64, conf: i64, now: i64, params: &MarketParams) -> MathResult<BreakerObservation> {
        let mut next = *self;
        if next.reference_time == 0 || now.saturating_sub(next.reference_time) > i64::from(params.breaker_window_secs) {
            next.reference_price = price;
            next.reference_time = now;
        }
        let move_bps = if next.reference_price > 0 {
            let change = (i128::from(price) - i128::from(next.reference_price)).abs();
            to_u64(mul_div_floor(change, i128::from(BPS_DENOMINATOR), i128::from(next.reference_price))?)?
        } else {
            0
        };
        let conf_bps = if price > 0 {
            to_u64(mul_div_floor(i128::from(conf.max(0)), i128::from(BPS_DENOMINATOR), i128::from(price))?)?
        } else {
            0
        };
        let triggered = (params.breaker_move_bps > 0 && move_bps > u64::from(params.breaker_move_bps))
            || (params.breaker_conf_bps > 0 && conf_bps > u64::from(params.breaker_conf_bps));
        let was_tripped = next.tripped == 1;
        if triggered {
            next.last_trigger_time = now;
            next.tripped = 1;
        } else if was_tripped && now.saturating_sub(next.last_trigger_time) >= i64::from(params.breaker_cooldown_secs) {
            next.tripped = 0;
            // The move that tripped it is history: measure afresh from here.
            next.reference_price = price;
            next.reference_time = now;
        }
        Ok(BreakerObservation {
            breaker: next,
            move_bps,
            conf_bps,
            tripped_now: !was_tripped && next.tripped == 1,
            cleared_now: was_tripped && next.tripped == 0,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::tests::sample;

    #[test]
    fn volatility_weights_by_elapsed_time_and_caps_the_weight() {
        // A 2 % move observed after a full window replaces the estimate; after 1/10 of it, moves it 1/10.
        assert_eq!(update_volatility(0, 100_000_000, 102_000_000, 3_600, 3_600), Ok(20_000));
        assert_eq!(update_volatility(0, 100_000_000, 102_000_000, 360, 3_600), Ok(2_000));
        assert_eq!(update_volatility(10_000, 100_000_000, 100_000_000, 1_800, 3_600), Ok(5_000));
        // A six-hour gap weighs no more than one window.
        assert_eq!(update_volatility(10_000, 100_000_000, 101_000_000, 6 * 3_600, 3_600), Ok(10_000));
        assert_eq!(update_volatility(7, 100, 200, 0, 3_600), Ok(7));
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
        assert_eq!(dynamic_fund_share_bps(&params, 500), Ok(5_000));
        assert_eq!(dynamic_fund_share_bps(&params, 10_000), Ok(5_000));
        assert_eq!(dynamic_fund_share_bps(&params, 250), Ok(7_000));
        assert_eq!(dynamic_fund_share_bps(&params, 0), Ok(9_000));
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

    #[test]
    fn breaker_trips_on_a_move_or_uncertainty_and_clears_after_calm() {
        let params = sample(); // move 15 % over 600 s, conf 1 %, cooldown 1 800 s
        let calm = Breaker::default().observe(100_000_000, 100_000, 1_000, &params).unwrap();
        assert!(!calm.tripped_now && calm.breaker.tripped == 0);
        let crash = calm.breaker.observe(84_000_000, 100_000, 1_300, &params).unwrap();
        assert!(crash.tripped_now);
        assert_eq!(crash.move_bps, 1_600);
        let still = crash.breaker.observe(84_000_000, 100_000, 1_300 + 1_799, &params).unwrap();
        assert_eq!(still.breaker.tripped, 1);
        let cleared = crash.breaker.observe(84_000_000, 100_000, 1_300 + 1_800, &params).unwrap();
        assert!(cleared.cleared_now);
        let uncertain = cleared.breaker.observe(84_000_000, 900_000, 3_200, &params).unwrap();
        assert!(uncertain.tripped_now, "confidence above 1 %");
    }
}
