//! Security review F8: on a pull-oracle market anyone may post any verified update newer than the stored one, so
//! a taker could open at the best print of the last `oracle_max_age_secs` (60 s here) and close at the latest in
//! the same transaction: a free option against the pool. Adding risk now needs a print at most
//! `fill_max_age_secs` (10 s here) old, and so does every fill and liquidation (the review of this fix: a stale
//! print let a long exit at $110 with SOL at $100, and a keeper liquidate on a wick since gone).

use backstop::error::BackstopError;
use backstop::oracle::PYTH_RECEIVER_PROGRAM_ID;
use backstop_tests::pyth::PULL_SOL_USD;
use backstop_tests::*;
use solana_signer::Signer;

const THOUSAND: u64 = 1_000 * USDC;

#[tokio::test]
async fn a_taker_cannot_open_at_a_print_it_chose_from_the_last_minute() {
    let mut env = Env::pull(PULL_SOL_USD, PYTH_RECEIVER_PROGRAM_ID, 0).await;
    let _lp = env.lp(100 * THOUSAND).await;
    let taker = env.trader(THOUSAND).await;
    env.act(&taker, env.flow(&taker).trade(ONE)).await.expect("a fresh print fills");
    // The stored print says $100 and is 40 s old; SOL has since risen 10 % and the $110 update exists off-chain.
    env.set_price(usd(100), 1_000_000).await;
    env.advance(40).await;
    let before = env.margin(&taker).await;
    env.assert_rejected(&taker, env.flow(&taker).trade(90 * ONE), BackstopError::OracleTooOldToFill).await;
    assert_eq!(env.margin(&taker).await.balances, before.balances);
    // Nor can it leave at the stale print; posting the latest update first, anyone can.
    env.assert_rejected(&taker, env.flow(&taker).trade(-ONE), BackstopError::OracleTooOldToFill).await;
    let keeper = env.trader(0).await;
    let ix = env.keeper_accounts().liquidate(keeper.pubkey(), taker.pubkey());
    env.assert_rejected(&keeper, ix, BackstopError::OracleTooOldToFill).await;
    // Posting the latest update first, the taker opens at the price everyone sees.
    env.set_price(usd(110), 1_000_000).await;
    env.act(&taker, env.flow(&taker).trade(80 * ONE)).await.expect("opens at the fresh $110 print");
    let entry = env.margin(&taker).await.balances.position.entry_notional;
    assert_eq!(entry, 100_010_000 + 80 * 110_010_000, "the first SOL at $100.01, the 80 at $110.01");
}

#[tokio::test]
async fn the_fill_age_is_bounded_by_the_oracle_age() {
    let mut env = Env::new().await;
    let mut params = env.market_state().await.params;
    params.fill_max_age_secs = params.oracle_max_age_secs + 1;
    let governance = env.governance.insecure_clone();
    let ix = backstop_tests::builders::governance::update_market_params(governance.pubkey(), env.market, params);
    let market = env.market;
    env.assert_rejected_by(&[market], &[&governance], ix, BackstopError::InvalidOracleBounds).await;
}
