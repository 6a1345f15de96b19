//! The crash simulator: builds a market on the in-process bank with traders, LPs and a seeded fund, replays a
//! price path through a moving Pyth account while the real keeper runs between price steps, and reports how the
//! fund holds up.

pub mod bank_engine;
pub mod books;
pub mod chart;
pub mod core_engine;
pub mod engine;
pub mod format;
pub mod joint;
pub mod prices;
pub mod readings;
pub mod reconcile;
pub mod replay;
pub mod report;
pub mod stress;
pub mod sweep;
pub mod table;

use backstop_math::constants::BASE_PRECISION_U64;
use backstop_math::params::MarketParams;
use backstop_tests::{default_params, USDC};
use bank_engine::BankEngine;
use core_engine::{CoreEngine, CoreStart};
use engine::EngineKind;
use prices::PricePoint;
use report::Report;

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

/// Runs the whole simulation of one market on [`sim_params`].
pub async fn run(
    config: &SimConfig,
    series: &[PricePoint],
    on_step: impl FnMut(usize, usize),
) -> Result<Report, String> {
    run_with(config, sim_params(), series, on_step).await
}

/// Runs the whole simulation of one market on `params`, on the engine `config.engine` names. `on_step` is told
/// each step (for a progress bar).
pub async fn run_with(
    config: &SimConfig,
    params: MarketParams,
    series: &[PricePoint],
    on_step: impl FnMut(usize, usize),
) -> Result<Report, String> {
    let mut reports = run_markets(config, params, &[series.to_vec()], on_step).await?;
    reports.pop().ok_or_else(|| "the run made no report".to_string())
}

/// Runs several markets backed by one fund on the same day, one series each (market 0 first): a report per
/// market, the fund's figures in each being the fund's across all of them.
pub async fn run_markets(
    config: &SimConfig,
    params: MarketParams,
    markets: &[Vec<PricePoint>],
    on_step: impl FnMut(usize, usize),
) -> Result<Vec<Report>, String> {
    let timeline = check(config, &params, markets)?;
    run_on(config, params, markets, &timeline, on_step).await
}

/// One market alone, replayed at the times of `shared` (a run of several markets' shared timeline, before any
/// subsampling), on its own series: what that market meets in the run of them all, with a fund of its own.
pub async fn run_alone(
    config: &SimConfig,
    params: MarketParams,
    series: &[PricePoint],
    shared: &[i64],
) -> Result<Report, String> {
    let market = [series.to_vec()];
    check(config, &params, &market)?;
    let timeline: Vec<i64> = subsample(shared.len(), config.max_steps).into_iter().map(|i| shared[i]).collect();
    let first = *timeline.first().ok_or("no step to replay")?;
    if first < series[0].unix_ts {
        return Err("the shared timeline begins before the series".to_string());
    }
    let mut reports = run_on(config, params, &market, &timeline, |_, _| {}).await?;
    reports.pop().ok_or_else(|| "the run made no report".to_string())
}

/// The run on the engine `config.engine` names, at the times of `timeline`.
async fn run_on(
    config: &SimConfig,
    params: MarketParams,
    markets: &[Vec<PricePoint>],
    timeline: &[i64],
    on_step: impl FnMut(usize, usize),
) -> Result<Vec<Report>, String> {
    let first = *timeline.first().ok_or("no step to replay")?;
    let mut bank = BankEngine::start(config, params, &firsts(markets, first)).await?;
    match config.engine {
        EngineKind::Bank => replay::replay(bank, config, params, markets, timeline, on_step).await,
        EngineKind::Core => {
            let start = CoreStart::from_bank(&mut bank).await?;
            replay::replay(CoreEngine::new(start), config, params, markets, timeline, on_step).await
        }
    }
}

/// The bank a run of `config` starts from (the markets, the fund, the pools and the keeper set up; no traders) and
/// the times of its steps: for an engine that starts from a bank's state elsewhere (the RPC suite copies it onto a
/// JSON-RPC node and replays the same run there, [`replay_on`]).
pub async fn bank_start(
    config: &SimConfig,
    params: MarketParams,
    markets: &[Vec<PricePoint>],
) -> Result<(BankEngine, Vec<i64>), String> {
    let timeline = check(config, &params, markets)?;
    let bank = BankEngine::start(config, params, &firsts(markets, timeline[0])).await?;
    Ok((bank, timeline))
}

/// Replays the run of `config` at the times of `timeline` on `engine`, built from [`bank_start`]'s bank.
pub async fn replay_on<E: engine::Engine>(
    engine: E,
    config: &SimConfig,
    params: MarketParams,
    markets: &[Vec<PricePoint>],
    timeline: &[i64],
) -> Result<Vec<Report>, String> {
    replay::replay(engine, config, params, markets, timeline, |_, _| {}).await
}

/// Runs the simulation on the core engine from `start` (a bank built once for many seeds: [`core_start`]).
pub async fn run_core_from(
    start: &CoreStart,
    config: &SimConfig,
    params: MarketParams,
    markets: &[Vec<PricePoint>],
) -> Result<Vec<Report>, String> {
    let timeline = check(config, &params, markets)?;
    replay::replay(CoreEngine::new(start.clone()), config, params, markets, &timeline, |_, _| {}).await
}

/// The bank-built start of core runs of `config` (its seed aside: traders are drawn later).
pub async fn core_start(
    config: &SimConfig,
    params: MarketParams,
    markets: &[Vec<PricePoint>],
) -> Result<CoreStart, String> {
    let timeline = check(config, &params, markets)?;
    let mut bank = BankEngine::start(config, params, &firsts(markets, timeline[0])).await?;
    CoreStart::from_bank(&mut bank).await
}

/// Each market's price at the first step.
fn firsts(markets: &[Vec<PricePoint>], unix_ts: i64) -> Vec<PricePoint> {
    markets.iter().map(|series| PricePoint { unix_ts, price_e8: stress::delayed_price(series, unix_ts, 0) }).collect()
}

/// Most markets one run may back with its fund (the program's own bound).
pub const MAX_MARKETS: usize = backstop::fund_markets::MAX_FUND_MARKETS as usize;

/// Checks the run's settings against the market's; the times of the steps to replay: every row of every series
/// (several series meet on one timeline, each market showing its last row at or before each time), subsampled
/// when asked.
fn check(config: &SimConfig, params: &MarketParams, markets: &[Vec<PricePoint>]) -> Result<Vec<i64>, String> {
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
        return Err("--oracle pull runs on the bank engine only".to_string());
    }
    if !(1..=MAX_MARKETS).contains(&markets.len()) {
        return Err(format!("a run backs 1 to {MAX_MARKETS} markets with its fund"));
    }
    if config.pull_oracle && markets.len() > 1 {
        return Err("--oracle pull runs one market (further markets read legacy accounts)".to_string());
    }
    let times = shared_timeline(markets)?;
    Ok(subsample(times.len(), config.max_steps).into_iter().map(|i| times[i]).collect())
}

/// Every row time of every series within the window they all cover (one market: its own rows). Each market shows
/// its last row at or before each time: never a price from before its series began or after it ended.
pub fn shared_timeline(markets: &[Vec<PricePoint>]) -> Result<Vec<i64>, String> {
    if markets.iter().any(|series| series.len() < 2) {
        return Err("a price series needs at least two points".to_string());
    }
    let starts = markets.iter().filter_map(|series| series.first()).map(|point| point.unix_ts);
    let ends = markets.iter().filter_map(|series| series.last()).map(|point| point.unix_ts);
    let (from, to) = (starts.max().unwrap_or(0), ends.min().unwrap_or(0));
    if from >= to {
        return Err("the series share no window of time: one ends before another begins".to_string());
    }
    let mut times: Vec<i64> =
        markets.iter().flatten().map(|point| point.unix_ts).filter(|t| (from..=to).contains(t)).collect();
    times.sort_unstable();
    times.dedup();
    Ok(times)
}

/// Writes `report.json`, `report.md` and `chart.png` into `dir`.
pub fn write_report(report: &Report, dir: &std::path::Path, title: &str) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let json = serde_json::to_string_pretty(report).map_err(|e| e.to_string())?;
    std::fs::write(dir.join("report.json"), json).map_err(|e| e.to_string())?;
    std::fs::write(dir.join("report.md"), report.markdown(title)).map_err(|e| e.to_string())?;
    chart::draw(report, &dir.join("chart.png"), title)
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
