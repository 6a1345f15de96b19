//! Liquidating yourself through a second account: the liquidator's half of the penalty comes back, the fund's
//! half does not, so the pair always ends poorer.

use backstop_tests::*;

const THOUSAND: u64 = 1_000 * USDC;

#[tokio::test]
async fn self_liquidation_through_a_second_account_is_a_loss() {
    let mut env = Env::new().await;
    let _lp = env.lp(100 * THOUSAND).await;
    let main = env.trader(100 * USDC).await;
    let second = env.trader(0).await; // the same person's other wallet, as keeper
    env.act(&main, env.flow(&main).trade(9 * ONE)).await.expect("9x long");
    env.advance(5).await;
    env.set_price(9_350_000_000, 1_000_000).await; // just below maintenance
    let value = |c: i64, upnl: i64| c + upnl;
    let price = env.oracle_price();
    let before_main = env.margin(&main).await.balances;
    let params = default_params();
    let equity_before = before_main.health(&price, &params).unwrap().maintenance_equity;
    env.act(&second, env.keeper_accounts().liquidate(second.pubkey(), main.pubkey())).await.expect("liquidate");
    let after_main = env.margin(&main).await.balances;
    let equity_after = after_main.health(&price, &params).unwrap().maintenance_equity;
    let reward = env.margin(&second).await.balances.collateral;
    let fund_cut = env.market_state().await.books.fund_penalty_accrued;
    assert!(fund_cut > 0);
    // The pair's equity falls by the fund's half of the penalty, and rounding only ever takes an atom more.
    let pair_after = value(equity_after, 0) + reward;
    let bound = equity_before - i64::try_from(fund_cut).unwrap();
    assert!(pair_after <= bound && pair_after >= bound - 2, "{pair_after} vs {bound}");
}

#[tokio::test]
async fn a_liquidation_reward_above_the_penalty_can_neither_be_configured_nor_paid() {
    use backstop::error::BackstopError;
    use backstop::events::LiquidationRecord;
    use solana_signer::Signer;
    let mut env = Env::new().await;
    // Governance cannot give keepers more than the whole penalty (a share above 100 %).
    let governance = env.governance.insecure_clone();
    let mut greedy = default_params();
    greedy.liquidator_reward_share_bps = 10_001;
    let ix = builders::governance::update_market_params(governance.pubkey(), env.market, greedy);
    env.assert_rejected_by(&[env.market], &[&governance], ix, BackstopError::InvalidLiquidationPenalty).await;
    // At the largest share allowed (100 %), the keeper receives exactly what was charged, never more.
    let mut all_to_keeper = default_params();
    all_to_keeper.liquidator_reward_share_bps = 10_000;
    let ix = builders::governance::update_market_params(governance.pubkey(), env.market, all_to_keeper);
    env.send(&[ix], &[&governance]).await.expect("queue the loosening");
    env.advance(TIMELOCK).await;
    env.set_price(START_PRICE, START_CONF).await;
    env.send(&[builders::governance::apply_market_params(env.market, env.payer())], &[]).await.expect("apply");
    let _lp = env.lp(100 * THOUSAND).await;
    let victim = env.trader(100 * USDC).await;
    let keeper = env.trader(0).await;
    env.act(&victim, env.flow(&victim).trade(9 * ONE)).await.expect("9x long");
    env.advance(5).await;
    env.set_price(9_350_000_000, 1_000_000).await;
    let ix = env.keeper_accounts().liquidate(keeper.pubkey(), victim.pubkey());
    let events = env.simulate_events(&keeper, ix.clone()).await;
    env.act(&keeper, ix).await.expect("liquidate");
    let record: LiquidationRecord = decode_event(&events).expect("LiquidationRecord");
    assert!(record.penalty_charged > 0);
    assert_eq!((record.liquidator_reward, record.fund_penalty), (record.penalty_charged, 0));
    assert_eq!(env.margin(&keeper).await.balances.collateral, i64::try_from(record.penalty_charged).unwrap());
    env.assert_vault_matches_books().await;
}
