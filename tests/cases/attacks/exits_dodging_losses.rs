//! Exits that dodged a loss that had already happened (security review, Medium), replayed with its numbers: an
//! LP leaving in the transaction before a liquidation, a staker leaving between a liquidation and its cover, a
//! trader withdrawing idle collateral before a socialized loss. Each leaver now bears its share, or is refused by
//! name until the loss is assessed.

use backstop::error::BackstopError;
use backstop_tests::*;

const THOUSAND: u64 = 1_000 * USDC;
/// Alice, 9x long at $100.01 with $99.09991 after the fee, gapped to $85 (−$135.18): $36.080090 beyond her
/// collateral once liquidated.
const DEFICIT: u64 = 36_080_090;

/// Two $50,000 LPs, Alice 9x long, the price gapped to $85: Alice is underwater, not yet liquidated.
async fn alice_underwater(fund: u64) -> (Env, Actor, Actor, Actor, Actor) {
    let mut env = Env::new().await;
    if fund > 0 {
        env.seed_fund(fund).await;
    }
    let leaver = env.lp(50 * THOUSAND).await;
    let stayer = env.lp(50 * THOUSAND).await;
    let (alice, keeper) = env.alice_gapped_to_85().await;
    (env, leaver, stayer, alice, keeper)
}

/// Replay: before the fix `[lp_withdraw, liquidate]` in one transaction paid the leaver $50,067.680017 and left
/// the stayer $50,031.779928 (fair: ~$50,049.73 each). Now an exit needs a request a delay earlier and pays
/// the lesser of the value then and at exit: the keeper liquidates and covers in between, and both LPs end
/// with the same value.
#[tokio::test]
async fn an_lp_cannot_leave_before_a_visible_loss_is_recognised() {
    let (mut env, leaver, stayer, alice, keeper) = alice_underwater(0).await;
    let shares = env.lp_position(&leaver).await.shares;
    let flow = env.lp_flow(&leaver);
    let liquidate = env.keeper_accounts().liquidate(keeper.pubkey(), alice.pubkey());
    let (l, k) = (leaver.keypair.insecure_clone(), keeper.keypair.insecure_clone());
    let raced = env.send(&[flow.lp_withdraw(shares), liquidate.clone()], &[&l, &k]).await;
    assert_backstop_error!(raced, BackstopError::NoLpExitRequest);
    // Asked now, the request is valued with Alice's whole loss counted as the pool's: the inflated value.
    env.act(&leaver, flow.request_lp_withdraw(shares)).await.expect("request");
    let request = env.lp_position(&leaver).await.exit;
    assert_eq!(request.value, 50_067_680_017, "the value the review's leaver took");
    let raced = env.send(&[flow.lp_withdraw(shares), liquidate.clone()], &[&l, &k]).await;
    assert_backstop_error!(raced, BackstopError::LpExitDelayNotElapsed);
    // Within the delay the keeper recognises the loss and covers it (no fund: the pool absorbs it).
    env.act(&keeper, liquidate).await.expect("liquidate");
    env.act(&keeper, env.keeper_accounts().cover_bankruptcy(keeper.pubkey(), alice.pubkey())).await.expect("cover");
    env.advance(10).await;
    env.republish().await;
    env.act(&leaver, flow.lp_withdraw(shares)).await.expect("exit");
    let paid = env.token_balance(leaver.token).await;
    let market = env.market_state().await;
    let stays = backstop_math::lp::amount_for_shares(
        env.lp_position(&stayer).await.shares,
        market.books.pool_value_for_withdrawal(&env.oracle_price()).unwrap(),
        market.books.lp_shares,
    )
    .unwrap();
    // Fair: ~$50,049.73 each. The leaver gets exactly that (the value now is the lesser), one atom below the
    // stayer's value (rounding against whoever is paid).
    assert_eq!((paid, stays), (50_049_729_972, 50_049_729_973));
    env.assert_vault_matches_books().await;
}

/// Replay: two $1,000 stakers, $36.080090 of deficit pending: before the fix the leaver got $1,000.000000 and
/// the stayer was left $963.919910. Now the unstake nets the deficits pending in the fund's markets.
#[tokio::test]
async fn a_staker_cannot_leave_between_a_liquidation_and_its_cover_at_full_value() {
    let mut env = Env::new().await;
    let leaver = env.seed_fund(THOUSAND).await;
    let stayer = env.seed_fund(THOUSAND).await;
    let _lp = env.lp(100 * THOUSAND).await;
    let shares = env.stake_position(&leaver).await.book.shares;
    env.act(&leaver, env.staking(&leaver).request_unstake(shares)).await.expect("request");
    env.advance(i64::from(default_fund_params().cooldown_secs)).await;
    env.republish().await;
    let (alice, keeper) = env.alice_gapped_to_85().await;
    env.act(&keeper, env.keeper_accounts().liquidate(keeper.pubkey(), alice.pubkey())).await.expect("liquidate");
    assert_eq!(env.market_state().await.books.pending_deficit, DEFICIT);

    // The fund's markets must all be named: leaving one out is refused.
    let staking = env.staking(&leaver);
    env.assert_rejected(&leaver, staking.unstake(&[]), BackstopError::InvalidMarketList).await;
    env.assert_rejected(&leaver, staking.unstake(&[env.market, env.market]), BackstopError::InvalidMarketList).await;
    env.act(&leaver, staking.unstake(&[env.market])).await.expect("unstake");
    assert_eq!(env.token_balance(leaver.token).await, 981_959_955, "(2,000 − 36.080090) / 2, rounded down");
    env.act(&keeper, env.keeper_accounts().cover_bankruptcy(keeper.pubkey(), alice.pubkey())).await.expect("cover");
    let fund = env.fund_state().await;
    let stays = fund
        .book
        .share_value(env.stake_position(&stayer).await.book.shares, env.now, &backstop_math::staking::OtherAssets::NONE)
        .unwrap();
    assert_eq!(stays, 981_959_955, "the stayer: the same");
    env.assert_fund_vault_matches_books().await;
}

/// Replay: deficit $81.079910, pool equity −$60.179910 to be spread over $1,099.099910 of balances. Before the
/// fix Carol withdrew her idle $1,000 first and escaped her $54.753812 share; Alice then lost $60.179911
/// instead of $5.426097. Now the withdrawal is refused until the loss is covered; bundled after the cover it
/// bears its share.
#[tokio::test]
async fn idle_collateral_cannot_leave_before_a_socialized_loss_is_assessed() {
    let mut env = Env::new().await;
    let _lp = env.lp(20 * USDC).await;
    let alice = env.trader(100 * USDC).await;
    let bob = env.trader(100 * USDC).await;
    let carol = env.trader(THOUSAND).await;
    let keeper = env.trader(0).await;
    for _ in 0..9 {
        env.act(&alice, env.flow(&alice).trade(ONE)).await.expect("alice long");
        env.act(&bob, env.flow(&bob).trade(-ONE)).await.expect("bob short");
    }
    env.advance(5).await;
    env.set_price(usd(120), 1_000_000).await;
    env.act(&keeper, env.keeper_accounts().liquidate(keeper.pubkey(), bob.pubkey())).await.expect("liquidate bob");
    let market = env.market_state().await;
    assert_eq!(market.books.pending_deficit, 81_079_910);
    assert_eq!(market.books.pool_value_for_withdrawal(&env.oracle_price()).unwrap(), -60_179_910);

    env.assert_rejected(&carol, env.flow(&carol).withdraw(THOUSAND), BackstopError::DeficitAwaitingCover).await;
    // The way out: the cover first, in the same transaction.
    let cover = env.keeper_accounts().cover_bankruptcy(carol.pubkey(), bob.pubkey());
    let all = env.flow(&carol).withdraw(THOUSAND);
    let c = carol.keypair.insecure_clone();
    assert_backstop_error!(env.send(&[cover.clone(), all], &[&c]).await, BackstopError::InsufficientCollateral);
    env.send(&[cover, env.flow(&carol).withdraw(1)], &[&c]).await.expect("cover, then withdraw");
    let carol_left = env.margin(&carol).await.balances.collateral;
    assert_eq!(carol_left + 1, 945_246_187, "her $1,000 less her $54.753812 share, rounded against her");
    env.act(&alice, env.flow(&alice).withdraw(1)).await.expect("alice touched");
    let alice_collateral = env.margin(&alice).await.balances.collateral;
    // $99.09991 less her $5.426097 share (rounded against her: one atom more), less the 1-atom withdrawal.
    assert_eq!(alice_collateral, 99_099_910 - 5_426_098 - 1);
    env.assert_vault_matches_books().await;
}
