//! What the book's deficits mean for the fund: the target shock, adequacy, and the risk-based admission of trades.

use crate::dynamic::volatility_ppm;
use crate::error::MathResult;
use crate::params::MarketParams;

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
    if at_the_floor(params, variance_rate) {
        return Ok(params.stress_shock_floor_bps);
    }
    shock_from_volatility(params, variance_rate)
}

/// Whether [`shock_from_volatility`] would give the floor, without its square root (most of the time: a calm
/// market). The shock is at most the floor `f` when σ (ppm) ≤ S = ⌊1 000·f / tenths⌋; σ rounds √(rate × horizon)
/// to the nearest integer (half down) and then to the nearest thousandth (half up), so that holds exactly when
/// 4·rate·horizon < (2 000·S + 999)². (`a_calm_market_skips_the_square_root_with_the_same_answer` checks it.)
fn at_the_floor(params: &MarketParams, variance_rate: u64) -> bool {
    // In 64 bits where it fits (on SBF a 128-bit division is a software routine): 1 000 × a u32 floor, and
    // 2 000 × that + 999, stay below 2⁶⁴; their square and 4 × a u64 rate × a u32 horizon stay below 2¹²⁸.
    let tenths = u64::from(params.stress_sigmas_tenths.max(1));
    let most_sigma = 1_000 * u64::from(params.stress_shock_floor_bps) / tenths;
    let bound = u128::from(2_000 * most_sigma + 999);
    let variance = u128::from(variance_rate) * u128::from(params.stress_horizon_secs);
    4 * variance < bound * bound
}

fn shock_from_volatility(params: &MarketParams, variance_rate: u64) -> MathResult<u32> {
    let sigma_ppm = volatility_ppm(variance_rate, params.stress_horizon_secs)?;
    // ⌈σ·tenths / 10⌉ ppm, then ⌈/ 100⌉ bps: ⌈σ·tenths / 1 000⌉, in 64 bits (a σ past them is past every cap).
    let shock_bps =
        sigma_ppm.checked_mul(u64::from(params.stress_sigmas_tenths)).map_or(u64::MAX, |x| x.div_ceil(1_000));
    let clamped = shock_bps.clamp(u64::from(params.stress_shock_floor_bps), u64::from(params.stress_shock_cap_bps));
    Ok(u32::try_from(clamped).unwrap_or(params.stress_shock_cap_bps))
}

/// Fund balance ÷ stressed deficit, in bps, rounded down (adequacy is never overstated); `u64::MAX` when nothing
/// is at stake.
pub fn adequacy_bps(fund_balance: u64, stressed_deficit: u64) -> u64 {
    crate::fund::fund_ratio_bps(fund_balance, stressed_deficit)
}

/// What can absorb a market's crash deficit before traders bear it: the fund, up to what this market may still
/// draw from it in its window, less the bankruptcies already awaiting cover (they draw on it first); and the LP
/// pool's conservative equity less what positions already underwater owe it and cannot pay (the pool's value
/// counts their losses as its gains). Nothing below zero.
pub fn absorbable(
    fund_balance: u64,
    draw_remaining: u64,
    awaiting_cover: u64,
    pool_equity: i128,
    underwater: u64,
) -> u64 {
    let fund = fund_balance.min(draw_remaining).saturating_sub(awaiting_cover);
    let pool = pool_equity.saturating_sub(i128::from(underwater));
    fund.saturating_add(u64::try_from(pool.max(0)).unwrap_or(u64::MAX))
}

/// Risk-based admission: a trade that adds risk and raises the trader's own crash deficit (see
/// [`super::Moved::raised_stress`]) is refused when it leaves the market's stressed deficit above what can absorb
/// it. Reducing is always allowed, and so is a risk-adding trade that does not raise its own crash deficit (a
/// position too well collateralised to go bankrupt at the shock).
pub fn admits(adds_risk: bool, raised_own: bool, stressed_after: u64, absorbable: u64) -> bool {
    !adds_risk || !raised_own || stressed_after <= absorbable
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

    proptest::proptest! {
        /// The shock's two ceilings (ppm, then bps) are one ceiling of the product over 1 000.
        #[test]
        fn the_shock_rounds_up_once_as_it_did_twice(sigma in 0u64..100_000_000, tenths in 1u64..=100) {
            let twice = (sigma * tenths).div_ceil(10).div_ceil(100);
            proptest::prop_assert_eq!((sigma * tenths).div_ceil(1_000), twice);
        }

        #[test]
        fn a_calm_market_skips_the_square_root_with_the_same_answer(
            rate in 0u64..50_000_000_000_000,
            floor in 100u32..5_000,
            tenths in 1u32..=100,
            horizon in 60u32..=604_800,
        ) {
            let params = MarketParams {
                stress_shock_floor_bps: floor,
                stress_shock_cap_bps: 10_000,
                stress_sigmas_tenths: tenths,
                stress_horizon_secs: horizon,
                ..sample()
            };
            proptest::prop_assert_eq!(target_shock_bps(&params, rate), shock_from_volatility(&params, rate));
            // And right at the edge: the largest rate the shortcut takes and the next one.
            let tenths_wide = u128::from(tenths);
            let bound = 2_000 * (1_000 * u128::from(floor) / tenths_wide) + 999;
            let edge = u64::try_from((bound * bound - 1) / 4 / u128::from(horizon)).unwrap_or(u64::MAX);
            for rate in [edge, edge.saturating_add(1)] {
                proptest::prop_assert_eq!(target_shock_bps(&params, rate), shock_from_volatility(&params, rate));
            }
        }
    }

    #[test]
    fn adequacy_rounds_down_and_admission_never_blocks_a_reduction() {
        assert_eq!(adequacy_bps(1_000, 0), u64::MAX);
        assert_eq!(adequacy_bps(1, 3), 3_333);
        assert_eq!(absorbable(500, 200, 0, 1_000, 0), 1_200);
        assert_eq!(absorbable(500, 900, 0, -50, 0), 500);
        // Bankruptcies awaiting cover come off the fund, underwater positions off the pool.
        assert_eq!(absorbable(500, 200, 150, 1_000, 400), 650);
        assert_eq!(absorbable(500, 200, 300, 1_000, 1_200), 0);
        assert!(admits(false, true, u64::MAX, 0), "a reduction");
        assert!(admits(true, true, 100, 100), "within what can absorb it");
        assert!(!admits(true, true, 101, 100));
        assert!(admits(true, false, 150, 100), "beyond already, its own crash deficit not raised");
    }
}
