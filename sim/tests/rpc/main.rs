//! The RPC suite's crash replays: the real binary on a local JSON-RPC node (`tests/sbf/node`), the real keeper on
//! the app's RPC chain, against the in-process laboratory on the same path. Ignored in the workspace's test run (the
//! node needs a newer Rust than the workspace's): `scripts/rpc-suite.sh` builds the node and runs them.
//!
//! The books must reconcile to the atom: the laboratory's totals, every step's samples (fund, pool, open interest,
//! coverage, every waterfall counter, trades and refusals), the keeper's failures by reason and the audit (vaults
//! against books at every step, every cover's arithmetic) are compared whole.

#![allow(deprecated)] // solana-program-test 3.x: see tests/src/lib.rs

mod chain;
mod engine;
mod faults;

use backstop_sim::simulation::engine::EngineKind;
use backstop_sim::simulation::report::Report;
use backstop_sim::simulation::stress::Stress;
use backstop_sim::simulation::{self as sim, prices, SimConfig};
use backstop_tests::rpc_proxy::{FaultCounts, RpcProxy};
use backstop_tests::surfnet::Surfnet;
use engine::RpcEngine;
use std::sync::{Arc, Mutex};

fn series() -> Vec<prices::PricePoint> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/sol-2025-10-10-liquidation-cascade.csv");
    prices::read_csv(&path).expect("series")
}

/// The run of `config` on the in-process bank, and the same run over RPC with the keeper reaching the node
/// through a proxy that meets the faults `plan` schedules on it.
async fn bank_and_rpc(
    config: SimConfig,
    series: &[prices::PricePoint],
    plan: impl FnOnce(&RpcProxy, &Arc<Mutex<Surfnet>>),
) -> (Report, Report, FaultCounts) {
    let config = SimConfig { engine: EngineKind::Bank, ..config };
    let params = sim::sim_params();
    let bank = sim::run(&config, series, |_, _| {}).await.expect("the bank's run");
    let markets = [series.to_vec()];
    let (start, timeline) = sim::bank_start(&config, params, &markets).await.expect("the start");
    let node = Arc::new(Mutex::new(Surfnet::start().expect("the node")));
    let proxy = RpcProxy::start(&engine::lock(&node).url).expect("the proxy");
    plan(&proxy, &node);
    let rpc = RpcEngine::from_bank(start, node, &proxy.url).await.expect("the state on the node");
    let mut reports = sim::replay_on(rpc, &config, params, &markets, &timeline).await.expect("the run over RPC");
    (bank, reports.pop().expect("a report"), proxy.counts())
}

/// The SOL cascade of 10 October 2025 (rows 150-270) with the keeper down through the drop and a $50 fund fed by
/// nothing else: liquidations, covers the fund pays until it runs dry, then the pool's clawback.
fn cascade() -> (SimConfig, Vec<prices::PricePoint>) {
    let stress = Stress { keeper_down_minutes: Some((70, 85)), fund_buffer_only: true, ..Stress::default() };
    let config = SimConfig {
        traders: 40,
        max_leverage_tenths: 100,
        fund_capital: 50,
        lp_capital: 40_000,
        stress,
        ..SimConfig::default()
    };
    (config, series()[150..270].to_vec())
}

fn assert_identical(bank: &Report, rpc: &Report) {
    // Step by step first: the first step that differs says where a run went another way.
    assert_eq!(bank.samples.len(), rpc.samples.len());
    for (b, r) in bank.samples.iter().zip(&rpc.samples) {
        assert_eq!(json(b), json(r), "the step at {}", b.unix_ts);
    }
    assert_eq!(json(&bank.totals), json(&rpc.totals), "totals");
    assert_eq!(bank.audit.keeper_failures, rpc.audit.keeper_failures, "keeper failures by reason");
    assert!(bank.audit.passed() && rpc.audit.passed(), "{:?} {:?}", bank.audit.findings, rpc.audit.findings);
    assert_eq!(bank.audit.covers_checked, rpc.audit.covers_checked);
}

fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("json")
}

#[tokio::test]
#[ignore = "needs the RPC node: scripts/rpc-suite.sh"]
async fn the_keeper_over_rpc_liquidates_and_covers_the_cascade_as_the_laboratory_does_to_the_atom() {
    let (config, window) = cascade();
    let (bank, rpc, _) = bank_and_rpc(config, &window, |_, _| {}).await;
    assert_identical(&bank, &rpc);
    let t = &rpc.totals;
    assert!(t.liquidations > 0 && t.bankruptcies > 0, "the path reaches covers: {t:?}");
    assert!(t.lp_clawback + t.socialized_loss > 0, "and runs the fund dry: {t:?}");
    println!(
        "over RPC, as on the bank: {} trades, {} liquidations, {} covers, fund paid {}, pool {}, socialized {}",
        t.trades, t.liquidations, t.bankruptcies, t.market_fund_cover, t.lp_clawback, t.socialized_loss
    );
}
