//! Security review F7: in a genuine fast crash the print falls further from Pyth's ~1-hour EMA than the guard's
//! band (20 %), and the guard used to refuse every read: the liquidations and covers that keep deficits small were
//! the first things it stopped. Now a print beyond the band refuses what adds risk or takes value out, and
//! liquidations, covers and reductions run at the band's edge (see `backstop_math::oracle_view`).

use backstop::error::BackstopError;
use backstop_tests::*;

const THOUSAND: u64 = 1_000 * USDC;
/// 1 cent of confidence at expo -8.
const CONF: u64 = 1_000_000;

/// Alice holds 90 SOL long, Bob 20 SOL short and Dave 10 SOL long, all at $100 on $1,000; then SOL prints $75
/// while the publishers' EMA still says $100 (a 25 % drop the average has not followed; the band is $80–$120).
async fn crash_under_a_lagging_ema() -> (Env, Actor, Actor, Actor, Actor) {
    let mut env = Env::new().await;
    let _lp = env.lp(100 * THOUSAND).await;
    env.seed_fund(10 * THOUSAND).await;
    let alice = env.trader(THOUSAND).await;
    let bob = env.trader(THOUSAND).await;
    let dave = env.trader(THOUSAND).await;
    let keeper = env.trader(0).await;
    env.act(&alice, env.flow(&alice).trade(90 * ONE)).await.expect("alice long");
    env.act(&bob, env.flow(&bob).trade(-20 * ONE)).await.expect("bob short");
    env.act(&dave, env.flow(&dave).trade(10 * ONE)).await.expect("dave long");
    env.advance(5).await;
    env.price.set(usd(75), CONF, env.now).set_ema(usd(100));
    env.write_oracle().await;
    (env, alice, bob, dave, keeper)
}

#[tokio::test]
async fn f7_a_crash_beyond_the_ema_band_liquidates_and_covers_at_the_band_floor() {
    let (mut env, alice, _bob, _dave, keeper) = crash_under_a_lagging_ema().await;
    // Before the fix both were `OracleDivergedFromEma`.
    env.act(&keeper, env.keeper_accounts().liquidate(keeper.pubkey(), alice.pubkey())).await.expect("liquidate");
    let market = env.market_state().await;
    assert_eq!(market.last_oracle_price, 80_000_000, "the print is believed to the band's floor, $80");
    let after = env.margin(&alice).await.balances;
    assert!(after.position.is_flat(), "90 SOL bought at $100.01 is $1,802 under water at $79.99: fully closed");
    assert!(after.is_bankrupt());
    env.act(&keeper, env.keeper_accounts().cover_bankruptcy(keeper.pubkey(), alice.pubkey())).await.expect("cover");
    let market = env.market_state().await;
    assert!(market.cumulative_fund_cover > 0, "the fund covered the deficit during the crash");
    assert_eq!(market.books.bankrupt_deficit, 0);
    env.assert_vault_matches_books().await;
    env.assert_fund_vault_matches_books().await;
}

#[tokio::test]
async fn f7_beyond_the_band_new_risk_and_withdrawals_wait_and_reductions_fill_at_the_worse_of_print_and_ema() {
    let (mut env, _alice, bob, dave, _keeper) = crash_under_a_lagging_ema().await;
    let carol = env.trader(THOUSAND).await;
    // Adding risk, or taking value out against the position, waits for the average.
    env.assert_rejected(&carol, env.flow(&carol).trade(ONE), BackstopError::OracleDivergedFromEma).await;
    env.assert_rejected(&bob, env.flow(&bob).trade(-ONE), BackstopError::OracleDivergedFromEma).await;
    env.assert_rejected(&bob, env.flow(&bob).withdraw(1), BackstopError::OracleDivergedFromEma).await;
    // Bob's short is in profit at the crash print; buying back he gets the EMA's $100, not the $75 print.
    let before = env.margin(&bob).await;
    env.act(&bob, env.flow(&bob).trade(20 * ONE)).await.expect("a reduction always runs");
    let after = env.margin(&bob).await;
    let realised = after.realized_pnl - before.realized_pnl;
    assert!(realised <= 0, "no profit realised on a move the EMA has not confirmed: {realised}");
    // Dave sells at the band's floor, the worse for him of it and the EMA: he can always get out, and no
    // reduction books a loss beyond the band (one far print would otherwise sink an account into a deficit the
    // fund pays). The confidence scales with the clamp: $0.01 at $75 is $0.010667 at $80.
    let before = env.margin(&dave).await;
    env.act(&dave, env.flow(&dave).trade(-5 * ONE)).await.expect("dave halves");
    let realised = env.margin(&dave).await.realized_pnl - before.realized_pnl;
    assert_eq!(realised, -5 * (100_010_000 - 79_989_333), "5 SOL bought at $100.01, sold at $79.989333");
    assert_eq!(env.market_state().await.last_oracle_price, 80_000_000);
    // Flat now or not, nobody withdraws while the last print lay beyond the band: losses beyond it may not be
    // recognised yet.
    let flat = env.trader(THOUSAND).await;
    env.assert_rejected(&flat, env.flow(&flat).withdraw(1), BackstopError::OracleDivergedFromEma).await;
    // The average follows: $79 under a $90 EMA is inside its band ($72–$108).
    env.advance(5).await;
    env.price.set(usd(79), CONF, env.now).set_ema(usd(90));
    env.write_oracle().await;
    env.act(&flat, env.flow(&flat).withdraw(1)).await.expect("the average has caught up: withdrawals resume");
    env.assert_vault_matches_books().await;
}

/// A staker leaves only at a print the EMA agrees with too: while the market's last print lay beyond the band,
/// losses beyond it may be unrecognised, and the fund would pay them after the staker left.
#[tokio::test]
async fn f7_a_matured_unstake_waits_while_the_last_print_lay_beyond_the_band() {
    let mut env = Env::new().await;
    let staker = env.seed_fund(THOUSAND).await;
    let shares = env.stake_position(&staker).await.book.shares;
    env.act(&staker, env.staking(&staker).request_unstake(shares)).await.expect("request");
    env.advance(86_400).await;
    env.price.set(usd(75), CONF, env.now).set_ema(usd(100));
    env.write_oracle().await;
    let poke = backstop_tests::builders::governance::refresh_market(env.market, env.oracle, env.fund);
    env.send(std::slice::from_ref(&poke), &[]).await.expect("the keeper's poke absorbs the print");
    let unstake = env.staking(&staker).unstake(&[env.market]);
    env.assert_rejected(&staker, unstake.clone(), BackstopError::OracleDivergedFromEma).await;
    env.advance(5).await;
    env.price.set(usd(79), CONF, env.now).set_ema(usd(90));
    env.write_oracle().await;
    env.send(&[poke], &[]).await.expect("a print inside the band");
    env.act(&staker, unstake).await.expect("the staker leaves");
    env.assert_fund_vault_matches_books().await;
}
