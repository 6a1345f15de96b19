//! What the book's deficits mean for the fund: the target shock, adequacy, and the risk-based admission of trades.

use crate::constants::BPS_DENOMINATOR;
use crate::dynamic::volatility_ppm;
use crate::error::MathResult;
use crate::params::MarketParams;
use crate::safe_math::{div_ceil, mul_div_floor};

/// Adequacy of exactly one: the fund holds the stressed deficit.
pub const ADEQUACY_ONE_BPS: u64 = 10_000;

/// Shocks every health report reads the book at, besides the market's target shock: a ladder a risk committee
/// can compare across markets and over time.
pub const REPORT_SHOCKS_BPS: [u32; 4] = [1_000, 2_000, 3_000, 5_000];

/// The gap a market's crash deficit is measured at: `stress_sigmas_tenths / 10` standard deviations of returns
/// over `stress_horizon_secs` (from the variance rate every oracle read feeds), rounded up, and held between the
/// floor and the cap. It widens as volatility builds, so adequacy falls, and the fund's share rises, before a
/// crash prints. bps of price.
pub fn target_shock_bps(params: &MarketParams, variance_rate: u64) -> MathResult<u32> {
    let sigma_ppm = volatility_ppm(variance_rate, params.stress_horizon_secs)?;
    let shock_ppm = div_ceil(i128::from(sigma_ppm) * i128::from(params.stress_sigmas_tenths), 10)?;
    let shock_bps = div_ceil(shock_ppm, 100)?;
    let clamped = shock_bps.clamp(i128::from(params.stress_shock_floor_bps), i128::from(params.stress_shock_cap_bps));
    Ok(u32::try_from(clamped).unwrap_or(params.stress_shock_cap_bps))
}

/// Fund balance ÷ stressed deficit, in bps, rounded down (adequacy is never overstated); `u64::MAX` when nothing
/// is at stake.
pub fn adequacy_bps(fund_balance: u64, stressed_deficit: u64) -> u64 {
    if stressed_deficit == 0 {
        return u64::MAX;
    }
    mul_div_floor(i128::from(fund_balance), i128::from(BPS_DENOMINATOR), i128::from(stressed_deficit))
        .ok()
        .and_then(|v| u64::try_from(v).ok())
        .unwrap_or(u64::MAX)
}

/// What can absorb a market's crash deficit before traders bear it: the fund, up to what this market may still
/// draw from it in its window, and the LP pool's equity (its conservative value, nothing when negative).
pub fn absorbable(fund_balance: u64, draw_remaining: u64, pool_equity: i128) -> u64 {
    let pool = u64::try_from(pool_equity.max(0)).unwrap_or(u64::MAX);
    fund_balance.min(draw_remaining).saturating_add(pool)
}

/// Risk-based admission: a trade that adds risk is refused when it leaves the stressed deficit above what can
/// absorb it and higher than before the trade. Reducing is always allowed, and so is a risk-adding trade that does
/// not raise the deficit (a short opened into a market whose crash risk lies with its longs).
pub fn admits(adds_risk: bool, stressed_before: u64, stressed_after: u64, absorbable: u64) -> bool {
    !adds_risk || stressed_after <= absorbable || stressed_after <= stressed_before
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::tests::sample;

    #[test]
    fn the_target_shock_follows_volatility_between_floor_and_cap() {
        let params = sample(); // 4 σ over an hour, 10 % ..= 50 %
        assert_eq!(target_shock_bps(&params, 0), Ok(1_000), "calm: the floor");
        // 2 % an hour (a variance rate of 1.111e11 per 10¹⁸ per second): 4 σ = 8 %, under the floor.
        assert_eq!(target_shock_bps(&params, 111_111_111_111), Ok(1_000));
        // 5 % an hour: 20 %.
        assert_eq!(target_shock_bps(&params, 694_444_444_445), Ok(2_000));
        // 20 % an hour: 80 %, capped at 50 %.
        assert_eq!(target_shock_bps(&params, 11_111_111_111_112), Ok(5_000));
    }

    #[test]
    fn adequacy_rounds_down_and_admission_never_blocks_a_reduction() {
        assert_eq!(adequacy_bps(1_000, 0), u64::MAX);
        assert_eq!(adequacy_bps(1, 3), 3_333);
        assert_eq!(absorbable(500, 200, 1_000), 1_200);
        assert_eq!(absorbable(500, 900, -50), 500);
        assert!(admits(false, 0, u64::MAX, 0), "a reduction");
        assert!(admits(true, 0, 100, 100), "within what can absorb it");
        assert!(!admits(true, 0, 101, 100));
        assert!(admits(true, 150, 150, 100), "beyond already, not raised");
        assert!(!admits(true, 150, 151, 100));
    }
}
