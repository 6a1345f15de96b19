//! The two engines give identical results on the same path: the core engine (the program's state transitions in
//! memory) against the bank engine (the real program, real transactions, the real keeper). Totals, every step's
//! samples (fund, coverage, open interest, every waterfall counter, trades and refusals) and the keeper's failures by
//! reason must all agree: on the SOL cascade with traders trading through it; on a stressed window (keeper down, a
//! small fund fed by nothing else) where the LP pool bears part of the loss; through the sweep's own runner (the
//! core engine's start built once per fund size and copied per seed) on a static-fee market with a late keeper, a
//! late oracle and a subsampled path; with a staker leaving as the fund draws; and with two markets, BTC and ETH of
//! 19 May 2021, on one fund (its buffer alone; revenue, a keeper outage and a staker; the sweep runner). In debug
//! builds the bank engine also checks every cached read against the bank.

#![allow(deprecated)] // solana-program-test 3.x: see tests/src/lib.rs

use backstop_sim::simulation::engine::EngineKind;
use backstop_sim::simulation::report::Report;
use backstop_sim::simulation::stress::Stress;
use backstop_sim::simulation::{self as sim, prices, SimConfig};

fn series() -> Vec<prices::PricePoint> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/sol-2025-10-10-liquidation-cascade.csv");
    prices::read_csv(&path).expect("series")
}

async fn both(config: SimConfig, series: &[prices::PricePoint]) -> (Report, Report) {
    let bank = sim::run(&SimConfig { engine: EngineKind::Bank, ..config }, series, |_, _| {}).await.expect("bank");
    let core = sim::run(&SimConfig { engine: EngineKind::Core, ..config }, series, |_, _| {}).await.expect("core");
    (bank, core)
}

fn assert_identical(bank: &Report, core: &Report) {
    assert_eq!(json(&bank.totals), json(&core.totals), "totals");
    assert_eq!(bank.samples.len(), core.samples.len());
    for (b, c) in bank.samples.iter().zip(&core.samples) {
        assert_eq!(json(b), json(c), "the step at {}", b.unix_ts);
    }
    assert_eq!(bank.audit.keeper_failures, core.audit.keeper_failures, "keeper failures by reason");
    assert!(bank.audit.passed() && core.audit.passed(), "{:?} {:?}", bank.audit.findings, core.audit.findings);
    assert_eq!(bank.audit.covers_checked, core.audit.covers_checked);
}

fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("json")
}

#[tokio::test]
async fn both_engines_agree_on_the_cascade_with_traders_trading_through_it() {
    let series = series();
    let window = &series[150..270];
    let config = SimConfig { traders: 40, max_leverage_tenths: 100, ..SimConfig::default() };
    let (bank, core) = both(config, window).await;
    assert!(bank.totals.liquidations > 0 && bank.totals.trades > 100, "{:?}", bank.totals);
    assert_identical(&bank, &core);
}

#[tokio::test]
async fn both_engines_agree_when_the_fund_runs_dry_and_the_pool_and_traders_pay() {
    let series = series();
    // The keeper is down through the drop (rows 228–231 of the series); a $50 fund fed by nothing else.
    let stress = Stress { keeper_down_minutes: Some((70, 85)), fund_buffer_only: true, ..Stress::default() };
    let config = SimConfig {
        traders: 40,
        max_leverage_tenths: 100,
        fund_capital: 50,
        lp_capital: 40_000,
        stress,
        ..SimConfig::default()
    };
    let (bank, core) = both(config, &series[150..270]).await;
    let t = &bank.totals;
    assert!(t.bankruptcies > 0 && t.lp_clawback + t.socialized_loss > 0, "the fund runs dry: {t:?}");
    assert_identical(&bank, &core);
}

#[test]
fn both_engines_agree_through_the_sweep_runner_on_a_static_market_with_a_late_keeper_and_oracle() {
    let series = series();
    let stress = Stress { keeper_latency_secs: 20, oracle_delay_secs: 30, trades_per_step: 3, ..Stress::default() };
    let config = SimConfig { traders: 30, max_leverage_tenths: 100, max_steps: 90, stress, ..SimConfig::default() };
    let params = sim::sweep::static_fees(sim::sim_params());
    let (funds, seeds) = ([200, 20_000], [3, 7]);
    let run = |engine| {
        let config = SimConfig { engine, ..config };
        sim::sweep::sweep(&config, params, std::slice::from_ref(&series), &funds, &seeds, 2, |_, _| {}).expect("sweep")
    };
    let (bank, core) = (run(EngineKind::Bank), run(EngineKind::Core));
    assert_eq!(bank.runs.len(), 4);
    assert!(bank.runs.iter().any(|r| r.totals.liquidations > 0), "{:?}", bank.runs);
    for (b, c) in bank.runs.iter().zip(&core.runs) {
        assert_eq!((b.fund, b.seed), (c.fund, c.seed));
        assert_eq!(json(&b.totals), json(&c.totals), "fund {} seed {}", b.fund, b.seed);
    }
    assert_eq!(bank.audit_findings + core.audit_findings, 0);
}

/// A staker who asks to leave as the fund draws: both engines take the same request, value it the same, and pay
/// the same once the day's cooldown is over (BTC of 19 May 2021 runs 3.9 days; every 28 minutes here).
#[tokio::test]
async fn both_engines_agree_on_a_staker_leaving_as_the_fund_draws() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/btc-2021-05-19-crash.csv");
    let series = prices::read_csv(&path).expect("series");
    let stress = Stress { fund_buffer_only: true, staker_exit_drawdown_pct: Some(1), ..Stress::default() };
    let config = SimConfig {
        traders: 40,
        max_leverage_tenths: 100,
        fund_capital: 2_000,
        max_steps: 200,
        stress,
        ..SimConfig::default()
    };
    let (bank, core) = both(config, &series).await;
    let exit = bank.totals.staker_exit;
    assert!(exit.requested_at.is_some() && exit.paid > 0, "the staker asked and was paid: {:?}", bank.totals);
    assert!(exit.paid <= exit.requested_value, "never more than the value at the request: {exit:?}");
    assert_identical(&bank, &core);
}

fn btc_and_eth() -> [Vec<prices::PricePoint>; 2] {
    let read = |name: &str| {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data").join(name);
        prices::read_csv(&path).expect("series")
    };
    [read("btc-2021-05-19-crash.csv"), read("eth-2021-05-19-crash.csv")]
}

/// 30 traders a market up to 10x, one $1,000 fund fed by nothing else, 150 steps, under `stress` otherwise.
fn two_markets_on_a_small_buffer(stress: Stress) -> SimConfig {
    let stress = Stress { fund_buffer_only: true, ..stress };
    SimConfig {
        traders: 30,
        max_leverage_tenths: 100,
        fund_capital: 1_000,
        max_steps: 150,
        stress,
        ..SimConfig::default()
    }
}

/// Runs several markets on both engines, requires identical reports market by market; the bank's.
async fn both_markets(config: SimConfig, markets: &[Vec<prices::PricePoint>]) -> Vec<Report> {
    let params = sim::sim_params();
    let (bank_config, core_config) =
        (SimConfig { engine: EngineKind::Bank, ..config }, SimConfig { engine: EngineKind::Core, ..config });
    let bank = sim::run_markets(&bank_config, params, markets, |_, _| {}).await.expect("bank");
    let core = sim::run_markets(&core_config, params, markets, |_, _| {}).await.expect("core");
    assert_eq!((bank.len(), core.len()), (markets.len(), markets.len()));
    for (b, c) in bank.iter().zip(&core) {
        assert_identical(b, c);
    }
    bank
}

/// BTC and ETH of 19 May 2021, two markets backed by one $1,000 fund fed by nothing else: both engines agree
/// market by market, both markets draw on the fund, their draws add up to what the fund paid, and the fund's figures
/// are the same in both reports.
#[tokio::test]
async fn both_engines_agree_on_two_markets_sharing_one_fund_on_the_same_day() {
    let markets = btc_and_eth();
    let config = two_markets_on_a_small_buffer(Stress::default());
    let bank = both_markets(config, &markets).await;
    let (btc, eth) = (&bank[0].totals, &bank[1].totals);
    assert!(btc.market_fund_cover > 0 && eth.market_fund_cover > 0, "both draw on the fund: {btc:?} {eth:?}");
    assert_eq!(btc.market_fund_cover + eth.market_fund_cover, btc.fund_covers, "the draws add up to what it paid");
    assert_eq!((btc.fund_end, btc.max_fund_drawdown), (eth.fund_end, eth.max_fund_drawdown), "one fund");
    let prices = |r: &Report| r.samples.iter().map(|s| s.price_e8).max().unwrap_or(0);
    assert!(prices(&bank[0]) > 10 * prices(&bank[1]), "each market shows its own series");
}

/// The same two markets with revenue swept from both, no keeper for the half hour before the low, and the staker
/// leaving as the fund draws (its unstake nets both markets' deficits awaiting cover): identical on both engines,
/// market by market.
#[tokio::test]
async fn both_engines_agree_on_two_markets_with_revenue_a_keeper_outage_and_a_staker_leaving() {
    let markets = btc_and_eth();
    let stress =
        Stress { keeper_down_minutes: Some((3639, 3670)), staker_exit_drawdown_pct: Some(1), ..Stress::default() };
    let config = SimConfig {
        traders: 30,
        max_leverage_tenths: 100,
        fund_capital: 300,
        max_steps: 400,
        stress,
        ..SimConfig::default()
    };
    let bank = both_markets(config, &markets).await;
    let (btc, eth) = (&bank[0].totals, &bank[1].totals);
    assert!(btc.liquidations > 0 && eth.liquidations > 0, "{btc:?} {eth:?}");
    assert!(btc.fund_inflows > 0 && btc.staker_exit.paid > 0, "revenue swept, the staker paid: {btc:?}");
    assert_eq!(btc.staker_exit, eth.staker_exit, "one staker, one fund");
    assert_eq!(bank[1].trader_seed, sim::replay::market_seed(config.seed, 1));
}

#[test]
fn both_engines_agree_on_two_markets_through_the_sweep_runner() {
    let markets = btc_and_eth();
    let config = SimConfig { traders: 20, max_leverage_tenths: 100, max_steps: 120, ..SimConfig::default() };
    let run = |engine| {
        let config = SimConfig { engine, ..config };
        sim::sweep::sweep(&config, sim::sim_params(), &markets, &[100, 20_000], &[3, 8], 2, |_, _| {}).expect("sweep")
    };
    let (bank, core) = (run(EngineKind::Bank), run(EngineKind::Core));
    assert_eq!((bank.runs.len(), bank.markets), (4, 2));
    for (b, c) in bank.runs.iter().zip(&core.runs) {
        assert_eq!(json(&b.totals), json(&c.totals), "fund {} seed {}", b.fund, b.seed);
    }
    assert_eq!(bank.audit_findings + core.audit_findings, 0);
}

/// Each market run alone (`joint.md`'s comparison) meets the population, the steps and the prices it meets in the
/// run of them all; only the fund differs.
#[tokio::test]
async fn each_market_alone_meets_the_traders_steps_and_prices_it_meets_together() {
    let markets = btc_and_eth();
    let late = Stress { oracle_delay_secs: 90, ..Stress::default() };
    let config = SimConfig { engine: EngineKind::Core, ..two_markets_on_a_small_buffer(late) };
    let params = sim::sim_params();
    let together = sim::run_markets(&config, params, &markets, |_, _| {}).await.expect("together");
    let alone = sim::joint::alone(&config, params, &markets).await.expect("alone");
    for (t, a) in together.iter().zip(&alone) {
        assert_eq!((t.trader_seed, t.totals.traders_opened), (a.trader_seed, a.totals.traders_opened));
        let shown = |r: &Report| r.samples.iter().map(|s| (s.unix_ts, s.price_e8, s.ema_e8)).collect::<Vec<_>>();
        assert_eq!(shown(t), shown(a));
    }
    let titles = ["btc".to_string(), "eth".to_string()];
    let joint = sim::joint::markdown(&together, &alone, &titles);
    assert!(joint.contains("| **all** |") && joint.contains("| eth |"), "{joint}");
}
