//! The crash simulator: builds a market on the in-process bank with traders, LPs and a seeded fund, replays a
//! price path through a moving Pyth account while the real keeper runs between price steps, and reports how the
//! fund holds up.

pub mod chart;
pub mod prices;
pub mod report;

use crate::bank::InProcessChain;
use backstop_app::chain::Chain;
use backstop_app::keeper::Keeper;
use backstop_math::constants::BASE_PRECISION_U64;
use backstop_math::fund::coverage_ratio_bps;
use backstop_math::params::MarketParams;
use backstop_tests::builders::pda;
use backstop_tests::{default_params, Env, USDC};
use prices::{PricePoint, Rng};
use report::{Report, Sample};

/// Who trades and how.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct SimConfig {
    pub traders: usize,
    pub seed: u64,
    /// Leverage of each trader is drawn uniformly from 1x to this (tenths: 50 = 5x).
    pub max_leverage_tenths: u64,
    /// Share of traders that go long, percent.
    pub long_pct: u64,
    /// Collateral per trader is drawn uniformly from this range, whole USDC.
    pub min_collateral: u64,
    pub max_collateral: u64,
    pub lp_capital: u64,
    pub fund_capital: u64,
    /// Replay at most this many price steps (the series is subsampled evenly).
    pub max_steps: usize,
    /// Oracle confidence, bps of price.
    pub conf_bps: u64,
    /// Price the market through a Pyth pull (PriceUpdateV2) account instead of a legacy push account.
    pub pull_oracle: bool,
}

impl SimConfig {
    /// Checks every option before anything runs: a clear error rather than a panic (issue 19: `--fund 0`, a fund
    /// of 2e13 dollars and a pool of 1e14 overflowed; `--long-pct 500` and `--max-leverage-tenths 5` ran).
    pub fn validate(&self) -> Result<(), String> {
        // Whole dollars to atoms must fit, with room for every trader's collateral beside them.
        const MAX_DOLLARS: u64 = 1_000_000_000;
        let checks = [
            ((1..=10_000).contains(&self.traders), "--traders: 1 to 10 000"),
            (
                (10..=100).contains(&self.max_leverage_tenths),
                "--max-leverage-tenths: 10 (1x) to 100 (10x, the market's limit)",
            ),
            (self.long_pct <= 100, "--long-pct: a percentage, 0 to 100"),
            ((1..=MAX_DOLLARS).contains(&self.fund_capital), "--fund: 1 to 1 000 000 000 dollars"),
            ((1..=MAX_DOLLARS).contains(&self.lp_capital), "--lp: 1 to 1 000 000 000 dollars"),
            (self.max_steps >= 2, "--steps: at least 2"),
            (
                self.min_collateral >= 1
                    && self.min_collateral <= self.max_collateral
                    && self.max_collateral <= MAX_DOLLARS,
                "trader collateral: 1 ≤ min ≤ max ≤ 1 000 000 000 dollars",
            ),
            (self.conf_bps <= 200, "confidence: at most 200 bps (the market's bound)"),
        ];
        match checks.iter().find(|(ok, _)| !ok) {
            Some((_, message)) => Err((*message).to_string()),
            None => Ok(()),
        }
    }
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            traders: 100,
            seed: 42,
            max_leverage_tenths: 80,
            long_pct: 70,
            min_collateral: 500,
            max_collateral: 5_000,
            lp_capital: 2_000_000,
            fund_capital: 20_000,
            max_steps: 400,
            conf_bps: 5,
            pull_oracle: false,
        }
    }
}

/// The simulated market: 10x max, funding on, the dynamic fee and fund share live, a wide oracle age so a
/// subsampled minute series never reads stale.
pub fn sim_params() -> MarketParams {
    MarketParams {
        oracle_max_age_secs: 300,
        // Traders open, and the keeper liquidates, right after each print.
        fill_max_age_secs: 10,
        liquidation_max_age_secs: 60,
        max_open_interest: 100_000_000 * BASE_PRECISION_U64,
        funding_coefficient_ppm: 200,
        funding_cap_ppm: 100,
        funding_depth: 1_000 * BASE_PRECISION_U64,
        taker_fee_bps: 5,
        fee_floor_bps: 5,
        fee_cap_bps: 30,
        fee_vol_coefficient: 2_000,
        fund_share_max_bps: 8_000,
        coverage_target_bps: 200,
        fund_draw_cap: 10_000_000 * USDC,
        ..default_params()
    }
}

/// Evenly spaced indices into a series of `len`, at most `max` of them, always keeping the first and last.
fn subsample(len: usize, max: usize) -> Vec<usize> {
    if len <= max || max < 2 {
        return (0..len).collect();
    }
    (0..max).map(|i| i * (len - 1) / (max - 1)).collect()
}

/// Runs the whole simulation. `on_step` is told each step (for a progress bar).
pub async fn run(
    config: &SimConfig,
    series: &[PricePoint],
    mut on_step: impl FnMut(usize, usize),
) -> Result<Report, String> {
    config.validate()?;
    if series.len() < 2 {
        return Err("a price series needs at least two points".to_string());
    }
    let steps = subsample(series.len(), config.max_steps);
    let first = series[steps[0]];
    let mut env = if config.pull_oracle {
        let receiver = backstop::oracle::PYTH_RECEIVER_PROGRAM_ID;
        Env::pull_with_params(backstop_tests::pyth::PULL_SOL_USD, receiver, 0, sim_params()).await
    } else {
        Env::with_params(sim_params()).await
    };
    env.set_price(first.price_e8, conf_of(first.price_e8, config.conf_bps)).await;
    // The oracle's EMA lags the series as Pyth's does, so a fast crash meets the EMA guard as it would live.
    env.lag_ema();
    let mut rng = Rng::new(config.seed);

    let _stakers = env.seed_fund(config.fund_capital * USDC).await;
    for _ in 0..2 {
        env.lp(config.lp_capital * USDC / 2).await;
    }
    let keeper = env.trader(0).await;
    let mut chain = InProcessChain { env, keeper, accounts: Vec::new() };
    let opening_price = first.price_e8 / 100; // PRICE_PRECISION
    for _ in 0..config.traders {
        let collateral = config.min_collateral + rng.below(config.max_collateral - config.min_collateral + 1);
        let leverage_tenths = 10 + rng.below(config.max_leverage_tenths.saturating_sub(10) + 1);
        let long = rng.below(100) < config.long_pct;
        let trader = chain.env.trader(collateral * USDC).await;
        let base = u128::from(collateral * USDC) * u128::from(leverage_tenths) * u128::from(BASE_PRECISION_U64)
            / 10
            / u128::try_from(opening_price.max(1)).unwrap_or(1);
        let base = i64::try_from(base).unwrap_or(i64::MAX) * if long { 1 } else { -1 };
        // A trader whose order the market refuses (pool margin, caps) simply sits out.
        let _ = chain.env.act(&trader, chain.env.flow(&trader).trade(base)).await;
        chain.accounts.push(pda::margin_account(&chain.env.market, &trader.pubkey()));
    }

    let mut keeper = Keeper::new(chain.env.keeper_accounts());
    keeper.sweep_every = 5;
    let start_fund = chain.fund(chain.env.fund).await?;
    let mut report = Report::new(config, series, &steps, start_fund.book.balance);
    let t0 = chain.env.now;
    for (n, index) in steps.iter().enumerate() {
        let point = series[*index];
        let at = t0 + (point.unix_ts - first.unix_ts);
        if at > chain.env.now {
            chain.env.set_clock(at).await;
        }
        chain.env.set_price(point.price_e8, conf_of(point.price_e8, config.conf_bps)).await;
        let ema_e8 = chain.env.lagging_ema.map_or(point.price_e8, |ema| ema.last());
        // The keeper's round begins with the breaker poke: funding accrues with real elapsed time between steps.
        let round = keeper.round(&mut chain).await?;
        let market = chain.market(chain.env.market).await?;
        let fund = chain.fund(chain.env.fund).await?;
        let oi_notional = market.books.open_interest_notional(point.price_e8 / 100);
        report.record(Sample {
            unix_ts: point.unix_ts,
            price_e8: point.price_e8,
            ema_e8,
            beyond_ema_band: beyond_band(point.price_e8, ema_e8, market.params.oracle_max_ema_divergence_bps),
            fund_balance: fund.book.balance,
            coverage_bps: coverage_ratio_bps(fund.book.balance, oi_notional).min(1_000_000),
            open_interest_notional: oi_notional,
            liquidations: round.liquidated.len(),
            bankruptcies: round.covered.len(),
            cumulative_fund_cover: market.cumulative_fund_cover,
            cumulative_lp_clawback: market.cumulative_lp_clawback,
            cumulative_socialized: market.cumulative_socialized,
            cumulative_uncovered: market.cumulative_uncovered,
            cumulative_fees: market.cumulative_fees,
            funding_rate_ppb: market.books.funding_rate_ppb,
        });
        on_step(n + 1, steps.len());
    }
    // Sweep what the fund earned since the last round, so the totals close.
    let _ = chain.send(&[chain.env.keeper_accounts().settle_fund_revenue()]).await;
    let end_fund = chain.fund(chain.env.fund).await?;
    report.close(&start_fund, &end_fund);
    Ok(report)
}

/// Whether a print lies beyond `bps` of its EMA (the guard's own test, at the published exponent).
fn beyond_band(price_e8: i64, ema_e8: i64, bps: u32) -> bool {
    bps > 0 && i128::from(price_e8 - ema_e8).abs() > i128::from(ema_e8) * i128::from(bps) / 10_000
}

fn conf_of(price_e8: i64, conf_bps: u64) -> u64 {
    u64::try_from(price_e8).unwrap_or(0) * conf_bps / 10_000
}

#[cfg(test)]
mod tests {
    use super::SimConfig;

    #[test]
    fn every_bad_option_is_a_clear_error() {
        let good = SimConfig::default();
        assert_eq!(good.validate(), Ok(()));
        let bad = [
            SimConfig { fund_capital: 0, ..good },
            SimConfig { fund_capital: 20_000_000_000_000, ..good },
            SimConfig { lp_capital: 100_000_000_000_000, ..good },
            SimConfig { long_pct: 500, ..good },
            SimConfig { max_leverage_tenths: 5, ..good },
            SimConfig { traders: 0, ..good },
            SimConfig { max_steps: 1, ..good },
        ];
        for case in bad {
            assert!(case.validate().is_err(), "{:?}", serde_json::to_string(&case));
        }
    }
}
