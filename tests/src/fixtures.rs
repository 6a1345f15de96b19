//! The numbers every harness shares: the clock, units, and the market and fund parameters of the standard
//! listing. Free of any bank type, so the SBF VM suite (tests/sbf) includes this same file.

use backstop_math::constants::BASE_PRECISION_U64;
use backstop_math::params::MarketParams;

/// The clock every market opens at (2025-06-15); the exchange and the listing happen one timelock earlier.
pub const T0: i64 = 1_750_000_000;
/// The harness exchange's timelock delay (the shortest allowed).
pub const TIMELOCK: i64 = 3_600;
/// One collateral token (USDC, 6 decimals) in atoms.
pub const USDC: u64 = 1_000_000;
/// One base unit in BASE_PRECISION.
pub const ONE: i64 = 1_000_000_000;
/// Dollars as a Pyth mantissa at the fixture's exponent (-8).
pub const fn usd(dollars: i64) -> i64 {
    dollars * 100_000_000
}
/// The price every market starts at: $100.00 ± $0.01.
pub const START_PRICE: i64 = usd(100);
pub const START_CONF: u64 = 1_000_000;

/// A 10x SOL-PERP: 10 % initial, 5 % maintenance, 2.5 % penalty (half to the liquidator), 10 bps taker fee split
/// 50 % fund / 40 % LP / 10 % treasury, fills one confidence interval away from the oracle. Funding is off here
/// so the exact numbers of other topics stay simple; `funding_params` turns it on.
pub fn default_params() -> MarketParams {
    MarketParams {
        initial_margin_bps: 1_000,
        maintenance_margin_bps: 500,
        liquidation_penalty_bps: 250,
        liquidator_reward_share_bps: 5_000,
        taker_fee_bps: 10,
        fee_fund_share_bps: 5_000,
        fee_lp_share_bps: 4_000,
        fee_treasury_share_bps: 1_000,
        exec_conf_scale_bps: 10_000,
        oracle_max_conf_bps: 200,
        oracle_max_age_secs: 60,
        unrealized_profit_cap_bps: 5_000,
        max_open_interest: 10_000 * BASE_PRECISION_U64,
        min_order_size: BASE_PRECISION_U64 / 1_000,
        fund_draw_cap: 1_000_000 * USDC,
        fund_draw_window_secs: 86_400,
        funding_coefficient_ppm: 0,
        funding_cap_ppm: 0,
        lp_exit_delay_secs: 10,
        funding_depth: 100 * BASE_PRECISION_U64,
        fee_floor_bps: 10,
        fee_cap_bps: 10,
        fee_vol_coefficient: 0,
        volatility_window_secs: 3_600,
        fund_share_max_bps: 5_000,
        coverage_target_bps: 0,
        treasury_yields_to_fund: 0,
        breaker_conf_bps: 0,
        breaker_move_bps: 0,
        breaker_window_secs: 600,
        breaker_cooldown_secs: 1_800,
        oracle_max_ema_divergence_bps: 2_000,
        fill_max_age_secs: 10,
        liquidation_max_age_secs: 30,
        stress_shock_floor_bps: 1_000,
        stress_shock_cap_bps: 5_000,
        stress_sigmas_tenths: 40,
        stress_horizon_secs: 3_600,
    }
}

/// Staking rules of the harness fund: a one-day cooldown and vesting, no redemption gate to speak of (100 % per
/// hour). Staking tests set their own.
pub fn default_fund_params() -> backstop_math::staking::FundParams {
    backstop_math::staking::FundParams {
        cooldown_secs: 86_400,
        vesting_period_secs: 86_400,
        gate_bps: 10_000,
        gate_window_secs: 3_600,
    }
}

/// [`default_params`] with funding on: 100 ppm/hour at full skew, capped at 50 ppm/hour, depth 100 SOL.
pub fn funding_params() -> MarketParams {
    MarketParams {
        funding_coefficient_ppm: 100,
        funding_cap_ppm: 50,
        funding_depth: 100 * BASE_PRECISION_U64,
        ..default_params()
    }
}
