//! The crash simulator: builds a market on the in-process bank with traders, LPs and a seeded fund, replays a
//! price path through a moving Pyth account while the real keeper runs between price steps, and reports how the
//! fund holds up.

pub mod bank_engine;
pub mod chart;
pub mod core_engine;
pub mod engine;
pub mod format;
pub mod prices;
pub mod readings;
pub mod reconcile;
pub mod report;
pub mod stress;
pub mod sweep;
pub mod table;

use backstop_math::constants::BASE_PRECISION_U64;
use backstop_math::params::MarketParams;
use backstop_tests::{default_params, USDC};
use bank_engine::BankEngine;
use core_engine::{CoreEngine, CoreStart};
use engine::{Engine, EngineKind};
use prices::{PricePoint, Rng};
use report::{Report, Sample};

/// Who trades and how.
#[derive(Debug, Clone, Copy, serde::Serialize, serde::Deserialize)]
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
    /// Replay at most this many price steps, the series subsampled evenly; 0 replays every row (the series' own
    /// resolution, the default: a keeper acting every 14–29 minutes misses the real low by up to 12.9 %).
    pub max_steps: usize,
    /// Oracle confidence, bps of price.
    pub conf_bps: u64,
    /// Price the market through a Pyth pull (PriceUpdateV2) account instead of a legacy push account.
    pub pull_oracle: bool,
    /// Keeper latency and downtime, trading through the replay, a fund fed only by its buffer.
    pub stress: stress::Stress,
    /// The real program on the bank (ground truth), or its state transitions in memory (fast).
    pub engine: EngineKind,
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
            (self.max_steps == 0 || self.max_steps >= 2, "--steps: 0 (every row) or at least 2"),
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
            None => self.stress.validate(self.traders),
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
            max_steps: 0,
            conf_bps: 5,
            pull_oracle: false,
            stress: stress::Stress::default(),
            engine: EngineKind::Bank,
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

/// Evenly spaced indices into a series of `len`, at most `max` of them (0: all), always keeping the first and last.
fn subsample(len: usize, max: usize) -> Vec<usize> {
    if max == 0 || len <= max || max < 2 {
        return (0..len).collect();
    }
    (0..max).map(|i| i * (len - 1) / (max - 1)).collect()
}

/// Runs the whole simulation on [`sim_params`].
pub async fn run(
    config: &SimConfig,
    series: &[PricePoint],
    on_step: impl FnMut(usize, usize),
) -> Result<Report, String> {
    run_with(config, sim_params(), series, on_step).await
}

/// Runs the whole simulation on `params`, on the engine `config.engine` names. `on_step` is told each step (for a
/// progress bar).
pub async fn run_with(
    config: &SimConfig,
    params: MarketParams,
    series: &[PricePoint],
    on_step: impl FnMut(usize, usize),
) -> Result<Report, String> {
    let steps = check(config, &params, series)?;
    let mut bank = BankEngine::start(config, params, series[steps[0]]).await?;
    match config.engine {
        EngineKind::Bank => replay(bank, config, params, series, &steps, on_step).await,
        EngineKind::Core => {
            let start = CoreStart::from_bank(&mut bank).await?;
            replay(CoreEngine::new(start), config, params, series, &steps, on_step).await
        }
    }
}

/// Runs the simulation on the core engine from `start` (a bank built once for many seeds: [`core_start`]).
pub async fn run_core_from(
    start: &CoreStart,
    config: &SimConfig,
    params: MarketParams,
    series: &[PricePoint],
) -> Result<Report, String> {
    let steps = check(config, &params, series)?;
    replay(CoreEngine::new(start.clone()), config, params, series, &steps, |_, _| {}).await
}

/// The bank-built start of core runs of `config` (its seed aside: traders are drawn later).
pub async fn core_start(config: &SimConfig, params: MarketParams, series: &[PricePoint]) -> Result<CoreStart, String> {
    let steps = check(config, &params, series)?;
    let mut bank = BankEngine::start(config, params, series[steps[0]]).await?;
    CoreStart::from_bank(&mut bank).await
}

/// Checks the run's settings against the market's; the steps to replay.
fn check(config: &SimConfig, params: &MarketParams, series: &[PricePoint]) -> Result<Vec<usize>, String> {
    config.validate()?;
    params.validate().map_err(|e| format!("market parameters: {e:?} ({e})"))?;
    // A keeper later than the oldest print a liquidation may use would find every liquidation refused as stale.
    let liquidation_age = if config.pull_oracle { params.liquidation_max_age_secs } else { params.oracle_max_age_secs };
    if config.stress.keeper_latency_secs >= liquidation_age {
        return Err(format!(
            "--keeper-latency {} s: a liquidation needs a print younger than {liquidation_age} s on this market",
            config.stress.keeper_latency_secs
        ));
    }
    if config.pull_oracle && config.engine == EngineKind::Core {
        // Nothing in the core engine depends on the kind, but the equality test covers the legacy account only.
        return Err("--pull-oracle runs on the bank engine only".to_string());
    }
    if series.len() < 2 {
        return Err("a price series needs at least two points".to_string());
    }
    Ok(subsample(series.len(), config.max_steps))
}

/// The replay, on either engine: traders open at the first price, then each step publishes the print, lets traders
/// trade, measures, runs the keeper, audits and records; a last keeper round and sweep close the books.
async fn replay<E: Engine>(
    mut engine: E,
    config: &SimConfig,
    params: MarketParams,
    series: &[PricePoint],
    steps: &[usize],
    mut on_step: impl FnMut(usize, usize),
) -> Result<Report, String> {
    let first = series[steps[0]];
    let mut rng = Rng::new(config.seed);
    let (traders, opened) = open_positions(&mut engine, config, &mut rng, first.price_e8 / 100).await?;
    let start_fund = engine.fund().await?;
    let mut report = Report::new(config, series, steps, start_fund.book.balance);
    report.market_params = backstop_math::governance::RULES.iter().map(|r| (r.name, (r.read)(&params))).collect();
    report.totals.traders_opened = opened;
    let start_holdings = readings::holdings(&mut engine).await?;
    let t0 = engine.now();
    for (n, index) in steps.iter().enumerate() {
        let point = series[*index];
        let elapsed = point.unix_ts - first.unix_ts;
        let at = t0 + elapsed;
        if at > engine.now() {
            engine.set_clock(at).await;
        }
        // The oracle shows the market's price `oracle_delay_secs` late (by default, on time).
        let shown = stress::delayed_price(series, point.unix_ts, config.stress.oracle_delay_secs);
        engine.set_price(shown, conf_of(shown, config.conf_bps)).await;
        let ema_e8 = engine.ema_e8().unwrap_or(shown);
        let price = point.price_e8 / 100;
        let activity =
            stress::trade_some(&mut engine, &traders, &mut rng, config.stress.trades_per_step, price).await?;
        // Coverage as the move left it, before the keeper acts: the fund net of deficits already awaiting it.
        let coverage_bps = readings::coverage_before_keeper(&mut engine, price).await?;
        let keeper_ran = config.stress.keeper_up(elapsed);
        let round = if keeper_ran {
            // The keeper acts `keeper_latency_secs` after the print (its round begins with the breaker poke, so
            // funding accrues with real elapsed time between steps).
            let late = at + i64::from(config.stress.keeper_latency_secs);
            if late > engine.now() {
                engine.set_clock(late).await;
            }
            let round = engine.keeper_round().await?;
            for failure in &round.failed {
                report.audit.keeper_failure(&failure.reason);
            }
            round
        } else {
            backstop_app::RoundReport::default()
        };
        audit_step(&mut engine, &mut report, point.unix_ts, &start_holdings).await?;
        let market = engine.market().await?;
        let fund = engine.fund().await?;
        report.record(Sample {
            unix_ts: point.unix_ts,
            price_e8: point.price_e8,
            ema_e8,
            beyond_ema_band: beyond_band(shown, ema_e8, market.params.oracle_max_ema_divergence_bps),
            fund_balance: fund.book.balance,
            coverage_bps,
            open_interest_notional: market.books.open_interest_notional(price),
            liquidations: round.liquidated.len(),
            bankruptcies: round.covered.len(),
            trades: activity.trades,
            trades_refused: activity.refused,
            keeper_ran,
            cumulative_fund_cover: market.cumulative_fund_cover,
            cumulative_lp_clawback: market.cumulative_lp_clawback,
            cumulative_socialized: market.cumulative_socialized,
            cumulative_uncovered: market.cumulative_uncovered,
            cumulative_fees: market.cumulative_fees,
            fund_inflow_fees: fund.inflow_fees,
            fund_inflow_penalties: fund.inflow_penalties,
            funding_rate_ppb: market.books.funding_rate_ppb,
        });
        if let Some(pct) = config.stress.staker_exit_drawdown_pct {
            let drawn = (report.totals.fund_peak, fund.book.balance);
            stress::staker_exits(&mut engine, pct, drawn, point.unix_ts, &mut report.totals.staker_exit).await?;
        }
        if (n + 1) % SWEEP_EVERY == 0 && !config.stress.fund_buffer_only {
            sweep(&mut engine, &mut report).await?;
            let balance = engine.fund().await?.book.balance;
            report.after_sweep(balance.saturating_add(report.totals.staker_exit.paid));
        }
        on_step(n + 1, steps.len());
    }
    // A keeper comes back after any downtime: one last round, so no deficit is left waiting for a cover.
    let last_ts = series[steps[steps.len() - 1]].unix_ts;
    let last = engine.keeper_round().await?;
    report.record_final_round(&last);
    for failure in &last.failed {
        report.audit.keeper_failure(&failure.reason);
    }
    // Sweep what the fund earned since the last sweep, so the totals close.
    if !config.stress.fund_buffer_only {
        sweep(&mut engine, &mut report).await?;
    }
    audit_step(&mut engine, &mut report, last_ts, &start_holdings).await?;
    let market = engine.market().await?;
    let end_fund = engine.fund().await?;
    report.close(&start_fund, &end_fund, &market);
    let error = report.totals.reconciliation_error;
    report.totals.pending_deficit_at_end = market.books.pending_deficit;
    report.audit.close(error, market.books.bankrupt_deficit);
    Ok(report)
}

/// The audit of one step: every cover since the last, the vaults against the books, every account against the
/// market's totals.
async fn audit_step(
    engine: &mut impl Engine,
    report: &mut Report,
    unix_ts: i64,
    start: &reconcile::Holdings,
) -> Result<(), String> {
    for cover in engine.take_covers() {
        report.audit.cover(&cover);
    }
    let now = readings::holdings(engine).await?;
    report.audit.step(unix_ts, &now, start);
    let market = engine.market().await?;
    let accounts = engine.margin_accounts().await?;
    report.audit.books(unix_ts, &accounts, &market.books);
    Ok(())
}

/// Every trader deposits and opens at the first price; returns them and how many the market let open (a trader
/// whose order is refused, e.g. drawn too close to the leverage limit once fees count, keeps its collateral flat,
/// and the report says how many did).
async fn open_positions(
    engine: &mut impl Engine,
    config: &SimConfig,
    rng: &mut Rng,
    price: i64,
) -> Result<(Vec<stress::Trader>, usize), String> {
    let mut traders = Vec::with_capacity(config.traders);
    let mut opened = 0;
    for _ in 0..config.traders {
        let collateral = config.min_collateral + rng.below(config.max_collateral - config.min_collateral + 1);
        let leverage_tenths = 10 + rng.below(config.max_leverage_tenths.saturating_sub(10) + 1);
        let long = rng.below(100) < config.long_pct;
        let index = engine.add_trader(collateral * USDC).await?;
        let base = stress::size_for(collateral * USDC, leverage_tenths, price, long);
        if engine.trade(index, base).await {
            opened += 1;
        }
        traders.push(stress::Trader { index, leverage_tenths, long });
    }
    Ok((traders, opened))
}

/// Writes `report.json`, `report.md` and `chart.png` into `dir`.
pub fn write_report(report: &Report, dir: &std::path::Path, title: &str) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let json = serde_json::to_string_pretty(report).map_err(|e| e.to_string())?;
    std::fs::write(dir.join("report.json"), json).map_err(|e| e.to_string())?;
    std::fs::write(dir.join("report.md"), report.markdown(title)).map_err(|e| e.to_string())?;
    chart::draw(report, &dir.join("chart.png"), title)
}

/// Steps between the simulation's sweeps of fund revenue (the keeper's own default is every 10 rounds).
const SWEEP_EVERY: usize = 5;

/// Moves the market's accrued fund revenue into the fund; the audit notes a sweep that leaves revenue behind.
async fn sweep(engine: &mut impl Engine, report: &mut Report) -> Result<(), String> {
    let books = engine.market().await?.books;
    if books.fund_fee_accrued + books.fund_penalty_accrued == 0 {
        return Ok(());
    }
    if let Err(error) = engine.settle_fund_revenue().await {
        report.audit.find(format!("t={}: the fund-revenue sweep failed: {error}", engine.now()));
    }
    let left = engine.market().await?.books;
    if left.fund_fee_accrued + left.fund_penalty_accrued != 0 {
        report.audit.find(format!("t={}: a sweep left fund revenue in the market", engine.now()));
    }
    Ok(())
}

/// Whether a print lies beyond `bps` of its EMA (the guard's own test, at the published exponent).
fn beyond_band(price_e8: i64, ema_e8: i64, bps: u32) -> bool {
    bps > 0 && i128::from(price_e8 - ema_e8).abs() > i128::from(ema_e8) * i128::from(bps) / 10_000
}

pub(crate) fn conf_of(price_e8: i64, conf_bps: u64) -> u64 {
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
