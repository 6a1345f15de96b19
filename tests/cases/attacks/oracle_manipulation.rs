//! Market manipulation: a replay of the Mango Markets attack of October 2022. Two colluding accounts take
//! opposite sides, the oracle is pumped tenfold, and the winner tries to cash out or borrow against the paper
//! profit while the loser defaults. Here a print that far from the publishers' own EMA cannot add risk or value a
//! withdrawal, a close realises at the EMA, a liquidation at the band's edge, unrealized profit was never cash, and
//! when the pump reverts the pair leaves with less than it brought.

use backstop::error::BackstopError;
use backstop_tests::*;

const THOUSAND: u64 = 1_000 * USDC;

#[tokio::test]
async fn replay_of_the_mango_markets_october_2022_attack_fails() {
    let mut env = Env::new().await;
    let _lp = env.lp(100 * THOUSAND).await;
    let long = env.trader(THOUSAND).await;
    let short = env.trader(THOUSAND).await;
    let keeper = env.trader(0).await;
    env.act(&long, env.flow(&long).trade(90 * ONE)).await.expect("colluder long");
    env.act(&short, env.flow(&short).trade(-90 * ONE)).await.expect("colluder short");
    let deposited = 2 * THOUSAND;

    // The pump: the print goes tenfold, the publishers' EMA has not moved.
    env.advance(5).await;
    env.set_price(usd(1_000), 1_000_000).await;
    env.price.set_ema(usd(100));
    env.write_oracle().await;

    // Cash out the paper profit, borrow against it, or add to the position: all refused.
    // (With a position open, a withdrawal values it at the oracle, which is refused before anything else; at a
    // sane price, profit beyond cash is `InsufficientCollateral`: trade::profit_is_withdrawable_only_once_realised.)
    let cash = u64::try_from(env.margin(&long).await.balances.collateral).unwrap();
    env.assert_rejected(&long, env.flow(&long).withdraw(cash + 1), BackstopError::OracleDivergedFromEma).await;
    env.assert_rejected(&long, env.flow(&long).withdraw(1), BackstopError::OracleDivergedFromEma).await;
    env.assert_rejected(&long, env.flow(&long).trade(ONE), BackstopError::OracleDivergedFromEma).await;
    // Closing runs, but at the EMA, the worse of the two for a seller: the pump is never realised.
    let before = env.margin(&long).await.realized_pnl;
    env.act(&long, env.flow(&long).trade(-90 * ONE)).await.expect("a reduction always runs");
    let realised = env.margin(&long).await.realized_pnl - before;
    assert!(realised <= 0, "the long closes at $100, not $1,000: {realised}");
    // The loser is liquidated at the band's edge ($120), as an in-band print could have done, not at $1,000:
    // its loss, and what the fund can be made to pay, are those of a 20 % move.
    let ix = env.keeper_accounts().liquidate(keeper.pubkey(), short.pubkey());
    env.act(&keeper, ix).await.expect("liquidations run");
    assert_eq!(env.market_state().await.last_oracle_price, 120_000_000);
    let loss = -env.margin(&short).await.realized_pnl;
    assert!(loss < 90 * 21 * USDC as i64, "a loss of 90 × ~$20, not 90 × $900: {loss}");
    let ix = env.keeper_accounts().cover_bankruptcy(keeper.pubkey(), short.pubkey());
    env.act(&keeper, ix).await.expect("covers run");

    // The pump reverts; both leave.
    env.advance(5).await;
    env.set_price(usd(100), 1_000_000).await;
    let mut withdrawn = 0;
    for colluder in [&long, &short] {
        let base = env.margin(colluder).await.balances.position.base;
        if base != 0 {
            env.act(colluder, env.flow(colluder).trade(-base)).await.expect("close");
        }
        let cash = u64::try_from(env.margin(colluder).await.balances.collateral.max(0)).unwrap();
        if cash > 0 {
            env.act(colluder, env.flow(colluder).withdraw(cash)).await.expect("withdraw");
        }
        withdrawn += cash;
    }
    assert!(withdrawn < deposited, "the pair leaves with less than it brought: {withdrawn} < {deposited}");
    env.assert_vault_matches_books().await;
}

#[tokio::test]
async fn a_move_the_ema_has_followed_trades_normally() {
    let mut env = Env::new().await;
    let _lp = env.lp(100 * THOUSAND).await;
    let alice = env.trader(THOUSAND).await;
    env.act(&alice, env.flow(&alice).trade(ONE)).await.expect("open");
    env.advance(60).await;
    env.set_price(usd(115), 1_000_000).await;
    env.price.set_ema(usd(100)); // 15 % off the EMA: inside the 20 % bound
    env.write_oracle().await;
    env.act(&alice, env.flow(&alice).trade(-ONE)).await.expect("close inside the bound");
}

#[tokio::test]
async fn a_self_trade_at_a_manipulated_price_through_the_pool_gains_nothing() {
    let mut env = Env::new().await;
    let _lp = env.lp(100 * THOUSAND).await;
    let attacker = env.trader(THOUSAND).await;
    env.act(&attacker, env.flow(&attacker).trade(90 * ONE)).await.expect("long against the pool");
    // One print pushed 50 % above the publishers' EMA: the attacker sells into the pool there.
    env.advance(5).await;
    env.set_price(usd(150), 1_000_000).await;
    env.price.set_ema(usd(100));
    env.write_oracle().await;
    let flow = env.flow(&attacker);
    env.assert_rejected(&attacker, flow.trade(ONE), BackstopError::OracleDivergedFromEma).await;
    // Selling into the pool at the pumped print realises the EMA's price instead.
    env.act(&attacker, flow.trade(-90 * ONE)).await.expect("close at the EMA");
    let cash = u64::try_from(env.margin(&attacker).await.balances.collateral).unwrap();
    // Nothing leaves while the last print lay beyond the band; once the print reverts, the attacker leaves.
    env.assert_rejected(&attacker, flow.withdraw(cash), BackstopError::OracleDivergedFromEma).await;
    env.advance(5).await;
    env.set_price(usd(100), 1_000_000).await;
    env.act(&attacker, flow.withdraw(cash)).await.expect("withdraw");
    assert!(cash < THOUSAND, "the attacker leaves with less than it brought: {cash}");
    env.assert_vault_matches_books().await;
}
