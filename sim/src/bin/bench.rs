//! `cargo run --release -p backstop-app --bin backstop-bench [-- --quick]`: throughput figures for docs/benchmarks.md (a
//! benchmark, not a test: it asserts nothing and its numbers depend on the machine).

#![allow(deprecated)] // solana-program-test 3.x: see tests/src/lib.rs

use backstop::state::MarginAccount;
use backstop_app::keeper::verdict;
use backstop_math::ledger::MarketLedger;
use backstop_math::margin::TraderBalances;
use backstop_math::oracle::OraclePrice;
use backstop_math::position::Position;
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
    let sizes: &[usize] = if quick { &[100] } else { &[1_000, 10_000] };
    for &traders in sizes {
        runtime.block_on(simulate(traders));
    }
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
        .filter(|a| verdict(a, &books, &params, &price, 0) != backstop_app::keeper::Verdict::Healthy)
        .count();
    let seconds = start.elapsed().as_secs_f64();
    println!(
        "keeper health scan: {accounts} accounts in {:.1} ms = {:.0} accounts/s ({unhealthy} unhealthy)",
        seconds * 1e3,
        accounts as f64 / seconds
    );
}

/// A simulation of the SOL 2025-10-10 cascade, 50 price steps.
async fn simulate(traders: usize) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/sol-2025-10-10-liquidation-cascade.csv");
    let series = prices::read_csv(&path).expect("series");
    let config =
        SimConfig { traders, max_steps: 50, lp_capital: 500_000 * traders as u64 / 100, ..SimConfig::default() };
    let start = Instant::now();
    let report = sim::run(&config, &series, |_, _| {}).await.expect("simulation");
    println!(
        "simulate: {traders} traders × {} price steps in {:.1} s ({} liquidations, {} covers)",
        report.totals.steps,
        start.elapsed().as_secs_f64(),
        report.totals.liquidations,
        report.totals.bankruptcies
    );
}
