//! Named parameter sets to start a listing from. Every field is still checked by the program
//! (`MarketParams::validate`) and can be overridden one by one (`backstop init-market --set name=value`).

use backstop_math::constants::{BASE_PRECISION_U64, QUOTE_PRECISION};
use backstop_math::params::MarketParams;

/// A 10x market on a liquid asset priced by Pyth: 10 % initial and 5 % maintenance margin, a 2.5 % penalty split
/// evenly between keeper and fund, a 5–30 bps taker fee rising with volatility, fees split 50 % fund / 40 % LP /
/// 10 % treasury (the fund's share rising to 80 % as its coverage falls below 2 %), funding up to 50 ppm an hour,
/// the circuit breaker on (15 % in 10 minutes or 1 % average confidence: reduce-only for 30 minutes), prints no
/// older than 30 s (10 s to fill, 20 s to liquidate), a 20 % EMA band, a one-minute LP exit delay, and at most $250 000 a day from
/// the fund. Open interest is capped at 100 000 units of the base asset: size it to the fund.
pub fn production() -> MarketParams {
    let usd = |dollars: u64| dollars * QUOTE_PRECISION.unsigned_abs();
    MarketParams {
        initial_margin_bps: 1_000,
        maintenance_margin_bps: 500,
        liquidation_penalty_bps: 250,
        liquidator_reward_share_bps: 5_000,
        taker_fee_bps: 5,
        fee_fund_share_bps: 5_000,
        fee_lp_share_bps: 4_000,
        fee_treasury_share_bps: 1_000,
        exec_conf_scale_bps: 10_000,
        oracle_max_conf_bps: 200,
        oracle_max_age_secs: 30,
        unrealized_profit_cap_bps: 5_000,
        max_open_interest: 100_000 * BASE_PRECISION_U64,
        min_order_size: BASE_PRECISION_U64 / 100,
        fund_draw_cap: usd(250_000),
        fund_draw_window_secs: 86_400,
        funding_coefficient_ppm: 100,
        funding_cap_ppm: 50,
        lp_exit_delay_secs: 60,
        funding_depth: 1_000 * BASE_PRECISION_U64,
        fee_floor_bps: 5,
        fee_cap_bps: 30,
        fee_vol_coefficient: 1_000,
        volatility_window_secs: 3_600,
        fund_share_max_bps: 8_000,
        coverage_target_bps: 200,
        treasury_yields_to_fund: 0,
        breaker_conf_bps: 100,
        breaker_move_bps: 1_500,
        breaker_window_secs: 600,
        breaker_cooldown_secs: 1_800,
        oracle_max_ema_divergence_bps: 2_000,
        fill_max_age_secs: 10,
        liquidation_max_age_secs: 20,
        stress_shock_floor_bps: 1_000,
        stress_shock_cap_bps: 5_000,
        stress_sigmas_tenths: 40,
        stress_horizon_secs: 3_600,
    }
}

/// Sets one market parameter by its name, as `--set name=value` does: the names, and how each is read and
/// written, are `backstop_math::governance::RULES`, the one table of parameters. A value that does not fit the
/// field is refused here; the bounds between fields are `MarketParams::validate`'s.
pub fn set_by_name(params: &mut MarketParams, name: &str, value: u64) -> Result<(), String> {
    let rule = backstop_math::governance::RULES.iter().find(|rule| rule.name == name).ok_or_else(|| {
        let names: Vec<&str> = backstop_math::governance::RULES.iter().map(|rule| rule.name).collect();
        format!("unknown parameter `{name}` (one of: {})", names.join(", "))
    })?;
    (rule.write)(params, value);
    if (rule.read)(params) != value {
        return Err(format!("{name}: {value} does not fit the field"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_production_preset_is_valid_and_keeps_the_breaker_on() {
        let params = super::production();
        assert_eq!(params.validate(), Ok(()));
        assert!(params.breaker_conf_bps > 0 && params.breaker_move_bps > 0);
        assert!(params.oracle_max_ema_divergence_bps > 0);
    }
}
