//! F1 of the security review (High): a hedged pair made the fund pay a "deficit" that the account's own unsettled
//! profit already covered. Replayed with the review's numbers; the fix nets a trader's claim against its own
//! deficit before anything is called a deficit (`MarketLedger::settle_pnl`, `TraderBalances::is_bankrupt`).

use backstop::error::BackstopError;
use backstop_tests::*;

const FUND: u64 = 10_000 * USDC;

/// Moves the clock 5 s and publishes `dollars` (the EMA follows: an honest, settled print).
async fn print(env: &mut Env, dollars: i64) {
    env.advance(5).await;
    env.set_price(usd(dollars), 1_000_000).await;
}

/// A1 long 50, A2 long 50, B short 100 SOL at $100 (no net exposure), an honest $1,000 LP, a $10,000 fund.
/// $150: A1 closes first and takes the pool's free cash; A2 closes and is owed its whole profit. Both re-open
/// long 50 (the claim counts toward initial margin up to the cap). $110: A2 closes.
#[tokio::test]
async fn a_hedged_pair_cannot_make_the_fund_pay_a_deficit_its_own_claim_covers() {
    let mut env = Env::new().await;
    let staker = env.seed_fund(FUND).await;
    let _lp = env.lp(1_000 * USDC).await;
    let a1 = env.trader(600 * USDC).await;
    let a2 = env.trader(600 * USDC).await;
    let b = env.trader(8_000 * USDC).await;
    let keeper = env.trader(0).await;
    env.act(&a1, env.flow(&a1).trade(50 * ONE)).await.expect("a1 long");
    env.act(&b, env.flow(&b).trade(-100 * ONE)).await.expect("b short");
    env.act(&a2, env.flow(&a2).trade(50 * ONE)).await.expect("a2 long");

    print(&mut env, 150).await;
    env.act(&a1, env.flow(&a1).trade(-50 * ONE)).await.expect("a1 takes the free cash");
    env.act(&a2, env.flow(&a2).trade(-50 * ONE)).await.expect("a2 is owed its profit");
    let claim = env.margin(&a2).await.balances.unsettled_pnl;
    // $2,499 of profit; A1's close fee had just put $2.9998 of LP share back in the pool, paid at once (first
    // come); the rest stays owed.
    assert_eq!(claim, 2_496_000_200);
    env.act(&a1, env.flow(&a1).trade(50 * ONE)).await.expect("a1 re-opens");
    env.act(&a2, env.flow(&a2).trade(50 * ONE)).await.expect("a2 re-opens on its claim");

    print(&mut env, 110).await;
    env.act(&a2, env.flow(&a2).trade(-50 * ONE)).await.expect("a2 closes at a loss");
    let a2_after = env.margin(&a2).await.balances;
    // Before the fix: collateral −$1,421.0005 and the claim intact, flagged bankrupt, covered by the fund. Now
    // the claim pays the loss first: no deficit, the rest of the claim still owed.
    assert!(a2_after.position.is_flat());
    // The $2,001 loss: $582.9993 of collateral, $1,418.0007 netted against the claim; the claim's rest is then
    // paid from the cash A2's own collateral just put in the pool, less the $5.4995 close fee. A2 holds what it
    // made: $600 + $2,499 − $2,001 − $25.50 of fees = $1,072.50.
    assert_eq!((a2_after.collateral, a2_after.unsettled_pnl), (583_500_200, 488_999_800));
    assert!(!a2_after.is_bankrupt());
    assert_eq!(env.market_state().await.books.pending_deficit, 0);
    let cover = env.keeper_accounts().cover_bankruptcy(keeper.pubkey(), a2.pubkey());
    env.assert_rejected(&keeper, cover, BackstopError::NotBankrupt).await;

    // The pair unwinds: B and A1 close, everyone settles what the pool can pay and withdraws.
    env.act(&b, env.flow(&b).trade(100 * ONE)).await.expect("b closes");
    env.act(&a1, env.flow(&a1).trade(-50 * ONE)).await.expect("a1 closes");
    let mut taken_out = 0;
    for actor in [&a1, &a2, &b] {
        // A one-atom deposit touches the account: it collects what the pool can pay of its claim.
        env.mint_to(actor.token, 1).await;
        env.act(actor, env.flow(actor).deposit(1)).await.expect("touch");
        let cash = env.margin(actor).await.balances.collateral;
        assert!(cash >= 0, "nobody is left with a deficit for the fund");
        if cash > 0 {
            env.act(actor, env.flow(actor).withdraw(cash.unsigned_abs())).await.expect("withdraw");
            taken_out += cash.unsigned_abs();
        }
    }
    let still_owed: u64 = [
        env.margin(&a1).await.balances.unsettled_pnl,
        env.margin(&a2).await.balances.unsettled_pnl,
        env.margin(&b).await.balances.unsettled_pnl,
    ]
    .iter()
    .sum();
    let fund = env.fund_state().await;
    assert_eq!((fund.book.balance, fund.deficits_covered), (FUND, 0), "the fund is untouched");
    let put_in = 9_200 * USDC + 3;
    // Before the fix the attacker put in $9,200 and took out $10,548.50. Now it is poorer by fees and spread,
    // even counting the claims the pool still owes it.
    assert_eq!((taken_out, still_owed), (9_122_000_003, 0), "$78 of fees and spread lost");
    assert!(taken_out + still_owed < put_in);
    let _ = staker;
    env.assert_vault_matches_books().await;
    env.assert_fund_vault_matches_books().await;
}
