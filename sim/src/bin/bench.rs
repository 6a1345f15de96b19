//! `cargo run --release -p backstop-sim --bin backstop-bench [-- --quick]`: throughput figures for docs/benchmarks.md
//! (a benchmark, not a test: it asserts nothing and its numbers depend on the machine). Targets it reports against:
//! 1,000 seeded whole-series replays of 1,000 traders on the core engine in under 60 s on 2 cores, and one
//! 10,000-trader whole-series replay on the bank engine in under 60 s.

#![allow(deprecated)] // solana-program-test 3.x: see tests/src/lib.rs

use backstop::state::MarginAccount;
use backstop_client::keeper::verdict;
use backstop_math::ledger::MarketLedger;
use backstop_math::margin::TraderBalances;
use backstop_math::oracle::OraclePrice;
use backstop_math::position::Position;
use backstop_sim::quiet::SilencedStdout;
use backstop_sim::simulation::engine::EngineKind;
use backstop_sim::simulation::{self as sim, prices, SimConfig};
use backstop_tests::{default_params, Env, ONE, USDC};
use std::time::Instant;

fn main() {
    if std::env::var_os("RUST_LOG").is_none() {
        std::env::set_var("RUST_LOG", "error");
    }
    let quick = std::env::args().any(|a| a == "--quick");
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let profile = if cfg!(debug_assertions) { "debug" } else { "release" };
    println!("backstop-bench ({profile} build, {} cores)", std::thread::available_parallelism().map_or(1, |n| n.get()));
    runtime.block_on(transactions_per_second(if quick { 300 } else { 2_000 }));
    for accounts in [1_000usize, 10_000, 100_000] {
        health_scan(accounts);
    }
    let series = sol_series();
    let (replays, traders) = if quick { (20, 100) } else { (1_000, 1_000) };
    core_replays(&series, replays, traders);
    let traders = if quick { 100 } else { 10_000 };
    runtime.block_on(bank_replay(&series, traders));
}

fn sol_series() -> Vec<prices::PricePoint> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/sol-2025-10-10-liquidation-cascade.csv");
    prices::read_csv(&path).expect("series")
}

/// A population of `traders` with a pool deep enough for it (the default pool serves the default 100 traders).
fn config(traders: usize, engine: EngineKind) -> SimConfig {
    SimConfig { traders, engine, lp_capital: 20_000 * traders as u64, ..SimConfig::default() }
}

/// `replays` seeds of the whole SOL series on the core engine, over the machine's cores (the sweep's own runner).
fn core_replays(series: &[prices::PricePoint], replays: u64, traders: usize) {
    let config = config(traders, EngineKind::Core);
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let seeds: Vec<u64> = (1..=replays).collect();
    let start = Instant::now();
    // A refused order logs its error to stdout, as a program does.
    let silenced = SilencedStdout::new();
    let sweep = sim::sweep::sweep(
        &config,
        sim::sim_params(),
        &[series.to_vec()],
        &[config.fund_capital],
        &seeds,
        threads,
        |_, _| {},
    );
    drop(silenced);
    let sweep = sweep.expect("sweep");
    let seconds = start.elapsed().as_secs_f64();
    let liquidations: usize = sweep.runs.iter().map(|run| run.totals.liquidations).sum();
    println!(
        "core engine: {replays} whole-series replays ({} rows) of {traders} traders on {threads} threads in {seconds:.1} s          ({:.2} s per replay per thread; {liquidations} liquidations; {} audit findings; target: 1,000 × 1,000 in 60 s)",
        series.len(),
        seconds * threads as f64 / replays as f64,
        sweep.audit_findings
    );
}

/// One whole-series replay on the bank engine: every trade, liquidation and cover a transaction.
async fn bank_replay(series: &[prices::PricePoint], traders: usize) {
    let config = config(traders, EngineKind::Bank);
    let start = Instant::now();
    let silenced = SilencedStdout::new();
    let report = sim::run(&config, series, |_, _| {}).await;
    drop(silenced);
    let report = report.expect("simulation");
    println!(
        "bank engine: {traders} traders × {} price steps in {:.1} s ({} trades, {} liquidations, {} covers, fund paid {} atoms, fund at the end {} atoms, {} audit findings; target: 10,000 traders in 60 s)",
        report.totals.steps,
        start.elapsed().as_secs_f64(),
        report.totals.trades,
        report.totals.liquidations,
        report.totals.bankruptcies,
        report.totals.fund_covers,
        report.totals.fund_end,
        report.audit.findings.len()
    );
}

/// Trades through the in-process bank, one transaction each.
async fn transactions_per_second(count: usize) {
    let mut env = Env::new().await;
    let _lp = env.lp(10_000_000 * USDC).await;
    let trader = env.trader(1_000_000 * USDC).await;
    let start = Instant::now();
    for n in 0..count {
        let size = if n % 2 == 0 { ONE } else { -ONE };
        env.act(&trader, env.flow(&trader).trade(size)).await.expect("trade");
    }
    let seconds = start.elapsed().as_secs_f64();
    println!("in-process bank: {count} trades in {seconds:.2} s = {:.0} transactions/s", count as f64 / seconds);
}

/// The keeper's off-chain health computation over synthetic accounts.
fn health_scan(accounts: usize) {
    let params = default_params();
    let books = MarketLedger { open_interest_long: 1_000 * 1_000_000_000, ..Default::default() };
    let price = OraclePrice { price: 100_000_000, conf: 10_000, publish_time: 0 };
    let population: Vec<MarginAccount> = (0..accounts)
        .map(|i| {
            let size = (i as i64 % 20 + 1) * ONE;
            let position =
                Position::default().apply_fill(size, 100_000_000 + (i as i64 % 7) * 1_000_000).expect("fill").position;
            let mut account: MarginAccount = bytemuck::Zeroable::zeroed();
            account.balances = TraderBalances {
                collateral: 100_000_000 + (i as i64 % 50) * 10_000_000,
                position,
                ..Default::default()
            };
            account
        })
        .collect();
    let start = Instant::now();
    let unhealthy = population
        .iter()
        .filter(|a| verdict(a, &books, &params, &price, 0) != backstop_client::keeper::Verdict::Healthy)
        .count();
    let seconds = start.elapsed().as_secs_f64();
    println!(
        "keeper health scan: {accounts} accounts in {:.1} ms = {:.0} accounts/s ({unhealthy} unhealthy)",
        seconds * 1e3,
        accounts as f64 / seconds
    );
}
