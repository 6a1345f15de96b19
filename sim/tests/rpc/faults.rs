//! The keeper over RPC when the network misbehaves: the node restarted as a liquidation is sent and again while
//! one awaits confirmation, an endpoint refusing requests for a while, an expired blockhash, a transaction the
//! endpoint swallows, and a competing keeper landing first. Nothing may be liquidated twice or missed, and where
//! the keeper's retries absorb the fault within its round the books must still reconcile to the atom with the
//! in-process laboratory.

use super::engine::{lock, RpcEngine};
use super::{assert_identical, bank_and_rpc, cascade, series};
use backstop::state::Market;
use backstop_app::chain::Chain;
use backstop_app::keeper::{Keeper, RoundReport};
use backstop_app::rpc::RpcChain;
use backstop_client::keeper::{verdict, Verdict};
use backstop_math::margin::TraderBalances;
use backstop_sim::simulation::engine::Engine;
use backstop_sim::simulation::stress::size_for;
use backstop_sim::simulation::{self as sim, SimConfig};
use backstop_tests::rpc_proxy::{Fault, RpcProxy};
use backstop_tests::surfnet::{self, Surfnet};
use backstop_tests::USDC;
use solana_keypair::Keypair;
use solana_signer::Signer;
use std::sync::{Arc, Mutex};

/// A restart of the node as an action the proxy runs: down at once, back `pause_ms` later with the same chain.
fn restart(node: &Arc<Mutex<Surfnet>>, pause_ms: u64) -> Box<dyn FnMut() + Send> {
    let node = Arc::clone(node);
    Box::new(move || lock(&node).begin_restart(pause_ms).expect("the node restarts"))
}

#[tokio::test]
#[ignore = "needs the RPC node: scripts/rpc-suite.sh"]
async fn the_keeper_rides_out_restarts_refusals_and_an_expired_blockhash_and_the_books_still_reconcile() {
    let (config, window) = cascade();
    let (bank, rpc, counts) = bank_and_rpc(config, &window, |proxy, node| {
        // The node goes down as the keeper's 10th transaction is sent, and again right after its 70th has
        // landed (the keeper awaiting its confirmation); the endpoint refuses three requests at the 30th; the
        // 50th's successor is built on a blockhash long expired; the 90th lands but its answer is lost (the keeper
        // sends the same signed transaction again: it cannot land twice).
        proxy.schedule(10, Fault::Before(restart(node, 400)));
        proxy.schedule(30, Fault::Refuse { count: 3 });
        proxy.schedule(50, Fault::ExpiredBlockhash);
        proxy.schedule(70, Fault::After(restart(node, 400)));
        proxy.schedule(90, Fault::LoseAnswer);
    })
    .await;
    assert_identical(&bank, &rpc);
    assert_eq!(counts.actions, 2, "both restarts happened: {counts:?}");
    assert!(counts.unreachable >= 2, "requests met the restarting node: {counts:?}");
    assert!(counts.unreachable_polls >= 1, "a status poll met the second restart: {counts:?}");
    assert_eq!(counts.refused, 3, "{counts:?}");
    assert_eq!((counts.expired_blockhashes_served, counts.expired_refusals), (1, 1), "{counts:?}");
    assert_eq!(counts.answers_lost, 1, "{counts:?}");
    println!("faults met and ridden out, books identical to the bank's: {counts:?}");
}

/// A market after a fall with nobody liquidating: the keeper's work waiting.
struct Crashed {
    engine: RpcEngine,
    proxy: RpcProxy,
    traders: usize,
}

/// Eight traders open on the cascade's first print (four longs at 9.5x, two at 6x, two shorts), then the price
/// falls 3 % a minute for four minutes with no keeper running. The keeper reaches the node through a proxy.
async fn crashed(plan: impl FnOnce(&RpcProxy, &Arc<Mutex<Surfnet>>)) -> Crashed {
    let series = series();
    let window = series[150..270].to_vec();
    let config = SimConfig { fund_capital: 50, lp_capital: 40_000, ..SimConfig::default() };
    let params = sim::sim_params();
    let (start, _) = sim::bank_start(&config, params, std::slice::from_ref(&window)).await.expect("the start");
    let node = Arc::new(Mutex::new(Surfnet::start().expect("the node")));
    let proxy = RpcProxy::start(&lock(&node).url).expect("the proxy");
    plan(&proxy, &node);
    let mut engine = RpcEngine::from_bank(start, node, &proxy.url).await.expect("the state on the node");
    let price_e8 = window[0].price_e8;
    let conf = |price: i64| u64::try_from(price).unwrap_or(0) * 5 / 10_000;
    let opening = [(95, true), (95, true), (95, true), (95, true), (60, true), (60, true), (50, false), (50, false)];
    for (leverage_tenths, long) in opening {
        let trader = engine.add_trader(0, 1_000 * USDC).await.expect("a trader");
        let size = size_for(1_000 * USDC, leverage_tenths, price_e8 / 100, long);
        assert!(engine.trade(trader, size).await, "the trader opens");
    }
    for minute in 1..=4 {
        engine.set_clock(engine.now() + 60).await;
        let price = price_e8 * (100 - 3 * minute) / 100;
        engine.set_price(0, price, conf(price)).await;
    }
    Crashed { engine, proxy, traders: opening.len() }
}

impl Crashed {
    /// Liquidatable and bankrupt accounts now, by the program's own decision.
    async fn pending(&mut self) -> (usize, usize) {
        let market_address = self.engine.accounts(0).expect("market 0").market;
        let chain = &mut self.engine.keeper;
        let market: Market = chain.market(market_address).await.expect("the market");
        let price = chain.oracle_price(&market).await.expect("the price");
        let now = chain.now().await.expect("the clock");
        let accounts = chain.margin_accounts(market_address).await.expect("the accounts");
        let verdicts = accounts.iter().map(|(_, a)| verdict(a, &market.books, &market.params, &price, now));
        verdicts.fold((0, 0), |(l, c), v| match v {
            Verdict::Liquidate => (l + 1, c),
            Verdict::Cover => (l, c + 1),
            Verdict::Healthy => (l, c),
        })
    }

    /// What the run leaves: every trader's balances, the market's ledger and the fund's book.
    async fn books(&mut self) -> (Vec<TraderBalances>, String, String) {
        let mut traders = Vec::with_capacity(self.traders);
        for trader in 0..self.traders {
            traders.push(self.engine.balances(trader).await.expect("balances"));
        }
        let market = self.engine.market(0).await.expect("the market");
        let fund = self.engine.fund().await.expect("the fund");
        (traders, format!("{:?}", market.books), format!("{:?}", fund.book))
    }

    /// A keeper of market 0 signing and paying with `keypair`.
    fn keeper(&self) -> Keeper {
        let mut keeper = Keeper::new(self.engine.accounts(0).expect("market 0").keeper());
        keeper.sweep_every = 0;
        keeper
    }
}

/// Whether every transaction the proxy's faults met was a liquidation (and there was one).
fn faults_hit_liquidations(proxy: &RpcProxy) -> bool {
    use anchor_lang::Discriminator;
    let liquidates = |bytes: &Vec<u8>| {
        let tx: Result<solana_transaction::Transaction, _> = bincode::deserialize(bytes);
        tx.is_ok_and(|tx| {
            tx.message
                .instructions
                .iter()
                .any(|ix| ix.data.starts_with(backstop::instruction::Liquidate::DISCRIMINATOR))
        })
    };
    let faulted = proxy.faulted();
    !faulted.is_empty() && faulted.iter().all(liquidates)
}

/// Rounds of `keeper` until one finds nothing to do; every round's report.
async fn until_quiet<C: Chain>(keeper: &mut Keeper, chain: &mut C) -> Vec<RoundReport> {
    let mut rounds = Vec::new();
    for _ in 0..8 {
        let report = keeper.round(chain).await.expect("a round");
        let quiet = report.liquidated.is_empty() && report.covered.is_empty() && report.failed.is_empty();
        rounds.push(report);
        if quiet {
            return rounds;
        }
    }
    panic!("the keeper never finished: {rounds:?}");
}

/// The same crash with one keeper and no faults: the books every faulted run must end with.
async fn reference() -> (Vec<TraderBalances>, String, String) {
    let mut clean = crashed(|_, _| {}).await;
    let mut keeper = clean.keeper();
    until_quiet(&mut keeper, &mut clean.engine.keeper).await;
    clean.books().await
}

#[tokio::test]
#[ignore = "needs the RPC node: scripts/rpc-suite.sh"]
async fn a_liquidation_the_endpoint_swallows_once_lands_by_its_rebroadcast_in_the_same_round() {
    // The round's first liquidation (its second transaction, after the breaker's poke) is answered with its
    // signature and never reaches the node; two seconds on, the keeper broadcasts the same bytes again.
    let mut crash = crashed(|proxy, _| proxy.schedule(2, Fault::DropOnce)).await;
    let (liquidatable, bankrupt) = crash.pending().await;
    assert!(liquidatable + bankrupt >= 3, "the fall left work: {liquidatable} + {bankrupt}");
    let mut keeper = crash.keeper();
    let rounds = until_quiet(&mut keeper, &mut crash.engine.keeper).await;
    assert!(faults_hit_liquidations(&crash.proxy), "the fault met a liquidation, not the breaker's poke");
    assert_eq!(crash.proxy.counts().dropped, 1);
    assert!(rounds[0].failed.is_empty(), "{rounds:?}");
    assert_eq!(crash.pending().await, (0, 0), "nothing missed");
    assert_eq!(crash.books().await, reference().await, "the same books as with nothing dropped");
}

#[tokio::test]
#[ignore = "needs the RPC node: scripts/rpc-suite.sh"]
async fn a_blackholed_liquidation_is_reported_unconfirmed_and_signed_again_next_round() {
    // Every broadcast of the round's first liquidation is swallowed: after the confirmation timeout it is reported
    // unconfirmed with its signature; the next round finds the account still liquidatable and sends a new one.
    let mut crash = crashed(|proxy, _| proxy.schedule(2, Fault::Drop)).await;
    crash.engine.keeper.rpc.confirm_timeout = std::time::Duration::from_secs(5);
    let mut keeper = crash.keeper();
    let rounds = until_quiet(&mut keeper, &mut crash.engine.keeper).await;
    assert!(faults_hit_liquidations(&crash.proxy), "the fault met a liquidation, not the breaker's poke");
    assert!(crash.proxy.counts().dropped >= 2, "broadcast again and dropped again: {:?}", crash.proxy.counts());
    let dropped = &rounds[0].failed;
    assert_eq!(dropped.len(), 1, "{rounds:?}");
    assert_eq!((dropped[0].action, dropped[0].reason.as_str()), ("liquidate", "unconfirmed"));
    assert!(rounds[1].liquidated.contains(&dropped[0].account), "{rounds:?}");
    assert_eq!(crash.pending().await, (0, 0), "nothing missed");
    assert_eq!(crash.books().await, reference().await, "the same books as with nothing dropped");
}

#[tokio::test]
#[ignore = "needs the RPC node: scripts/rpc-suite.sh"]
async fn with_several_in_flight_a_blackholed_liquidation_holds_up_none_of_the_others() {
    // As `backstop keeper` runs by default: four at a time on the app's own RPC chain. The first liquidation to
    // reach the endpoint is swallowed every time it is broadcast.
    let mut crash = crashed(|proxy, _| proxy.schedule(2, Fault::Drop)).await;
    let (liquidatable, _) = crash.pending().await;
    assert!(liquidatable >= 3, "the fall left several liquidations: {liquidatable}");
    crash.engine.keeper.rpc.confirm_timeout = std::time::Duration::from_secs(5);
    let mut keeper = crash.keeper();
    keeper.concurrency = 4;
    let rounds = until_quiet(&mut keeper, &mut crash.engine.keeper.rpc).await;
    assert!(faults_hit_liquidations(&crash.proxy), "the fault met a liquidation, not the breaker's poke");
    // Between the blackholed liquidation's first broadcast and its first re-broadcast (two seconds on), every
    // other one was broadcast too. One after another, nothing else would have gone out until the blackholed one's
    // five-second wait was over.
    assert_eq!(broadcast_while_blackholed(&crash.proxy), liquidatable);
    // Every other liquidation landed in the round; the swallowed one is reported unconfirmed and lands next round.
    let failed = &rounds[0].failed;
    assert_eq!(failed.len(), 1, "{rounds:?}");
    assert_eq!((failed[0].action, failed[0].reason.as_str()), ("liquidate", "unconfirmed"));
    assert_eq!(rounds[0].liquidated.len(), liquidatable - 1, "{rounds:?}");
    assert!(rounds[1].liquidated.contains(&failed[0].account), "{rounds:?}");
    assert_eq!(crash.pending().await, (0, 0), "nothing missed");
}

#[tokio::test]
#[ignore = "needs the RPC node: scripts/rpc-suite.sh"]
async fn in_a_window_of_two_a_blackholed_liquidation_holds_up_only_its_own_slot() {
    // Two in flight; the first liquidation is swallowed every time. In batches, the third would wait for the
    // blackholed one's five seconds; in a sliding window it goes out as soon as the second lands.
    let mut crash = crashed(|proxy, _| proxy.schedule(2, Fault::Drop)).await;
    let (liquidatable, _) = crash.pending().await;
    assert!(liquidatable >= 3, "the fall left more liquidations than the window: {liquidatable}");
    crash.engine.keeper.rpc.confirm_timeout = std::time::Duration::from_secs(5);
    let mut keeper = crash.keeper();
    keeper.concurrency = 2;
    let rounds = until_quiet(&mut keeper, &mut crash.engine.keeper.rpc).await;
    assert!(faults_hit_liquidations(&crash.proxy), "the fault met a liquidation, not the breaker's poke");
    assert_eq!(broadcast_while_blackholed(&crash.proxy), liquidatable, "every liquidation went out meanwhile");
    assert_eq!(rounds[0].failed.len(), 1, "{rounds:?}");
    assert_eq!(rounds[0].liquidated.len(), liquidatable - 1, "{rounds:?}");
    assert_eq!(crash.pending().await, (0, 0), "nothing missed");
}

/// How many distinct transactions were broadcast between the blackholed one's first broadcast and its first
/// re-broadcast (itself included).
fn broadcast_while_blackholed(proxy: &RpcProxy) -> usize {
    let methods = proxy.methods();
    let blackholed = methods.iter().position(|m| m.starts_with("sendTransaction")).and_then(|_| {
        let faulted = proxy.faulted();
        let tx: solana_transaction::Transaction = bincode::deserialize(faulted.first()?).ok()?;
        Some(format!("sendTransaction {}", tx.signatures[0]))
    });
    let blackholed = blackholed.expect("the blackholed broadcast");
    let at: Vec<usize> = (0..methods.len()).filter(|i| methods[*i] == blackholed).collect();
    assert!(at.len() >= 2, "re-broadcast while it waited: {methods:?}");
    let in_between: std::collections::BTreeSet<&String> =
        methods[at[0]..at[1]].iter().filter(|m| m.starts_with("sendTransaction")).collect();
    in_between.len()
}

#[tokio::test]
#[ignore = "needs the RPC node: scripts/rpc-suite.sh"]
async fn a_liquidation_whose_answer_is_lost_is_confirmed_by_its_signature_and_not_sent_twice() {
    // The round's first liquidation reaches the node, but the endpoint's answer is lost (HTTP 502): the keeper
    // cannot tell it landed. It polls the signature (broadcasting the same bytes again meanwhile) and finds it.
    let mut crash = crashed(|proxy, _| proxy.schedule(2, Fault::LoseAnswer)).await;
    let mut keeper = crash.keeper();
    let rounds = until_quiet(&mut keeper, &mut crash.engine.keeper).await;
    assert!(faults_hit_liquidations(&crash.proxy), "the fault met a liquidation, not the breaker's poke");
    assert_eq!(crash.proxy.counts().answers_lost, 1);
    assert!(rounds[0].failed.is_empty(), "no failure reported for a liquidation that landed: {rounds:?}");
    assert!(!rounds[0].liquidated.is_empty(), "{rounds:?}");
    assert_eq!(crash.pending().await, (0, 0), "nothing missed");
    assert_eq!(crash.books().await, reference().await, "the same books as with nothing lost");
}

#[tokio::test]
#[ignore = "needs the RPC node: scripts/rpc-suite.sh"]
async fn two_keepers_race_the_loser_is_refused_by_name_and_nothing_is_liquidated_twice() {
    let mut crash = crashed(|_, _| {}).await;
    let (url, payer) = (crash.proxy.url.clone(), crash.engine.payer.payer.insecure_clone());
    // A second keeper with its own key, wallet and margin account.
    let rival = Keypair::new();
    let client = lock(&crash.engine.node).client();
    surfnet::set_wallet(&client, rival.pubkey(), 10_000_000_000).await.expect("the rival's wallet");
    let market = crash.engine.accounts(0).expect("market 0").market;
    let open = backstop_client::create_margin_account(market, rival.pubkey());
    RpcChain::new(&url, payer).send_cosigned(&[open], &[&rival]).await.expect("the rival's account");
    let mut rival_chain = RpcChain::new(&url, rival);
    let (mut first, mut second) = (crash.keeper(), crash.keeper());
    let mut reports = Vec::new();
    for _ in 0..8 {
        let (a, b) = tokio::join!(first.round(&mut crash.engine.keeper), second.round(&mut rival_chain));
        let (a, b) = (a.expect("a round"), b.expect("a round"));
        let quiet = [&a, &b].iter().all(|r| r.liquidated.is_empty() && r.covered.is_empty() && r.failed.is_empty());
        reports.push((a, b));
        if quiet {
            break;
        }
    }
    let failures: Vec<_> = reports.iter().flat_map(|(a, b)| a.failed.iter().chain(&b.failed)).collect();
    assert!(!failures.is_empty(), "the keepers met on at least one account: {reports:?}");
    // The loser is told by name: the account is no longer liquidatable, or no longer bankrupt, or the winner's
    // liquidation took it through zero and only a cover may touch it now.
    for failure in &failures {
        let lost = matches!(failure.reason.as_str(), "NotLiquidatable" | "NotBankrupt" | "AccountBankrupt");
        assert!(lost, "a keeper that loses a race is refused by name: {failure:?}");
    }
    // Each round, no account was liquidated (or covered) by both.
    for (a, b) in &reports {
        assert!(a.liquidated.iter().all(|x| !b.liquidated.contains(x)), "{a:?} {b:?}");
        assert!(a.covered.iter().all(|x| !b.covered.contains(x)), "{a:?} {b:?}");
    }
    assert_eq!(crash.pending().await, (0, 0), "nothing missed");
    let (traders, ledger, fund) = crash.books().await;
    let (clean_traders, _, clean_fund) = reference().await;
    // Who collected each reward differs; what the traders and the fund hold does not.
    assert_eq!((traders, fund), (clean_traders, clean_fund), "{ledger}");
    println!(
        "{} failures, all lost races: {:?}",
        failures.len(),
        failures.iter().map(|f| &f.reason).collect::<Vec<_>>()
    );
}
