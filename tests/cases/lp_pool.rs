//! lp_deposit, request_lp_withdraw and lp_withdraw: shares priced at pool value including traders' unrealized PnL,
//! exits after a delay at the lesser of the value at request and at exit.

use backstop::error::BackstopError;
use backstop::events::{CollateralDirection, LpRecord};
use backstop::state::MarketStatus;
use backstop_math::constants::VIRTUAL_SHARES;
use backstop_tests::*;

const THOUSAND: u64 = 1_000 * USDC;

#[tokio::test]
async fn first_deposit_mints_at_the_virtual_offset_and_full_withdrawal_returns_it() {
    let mut env = Env::new().await;
    let lp = env.lp(0).await;
    env.mint_to(lp.token, THOUSAND).await;
    let events = env.simulate_events(&lp, env.lp_flow(&lp).lp_deposit(THOUSAND)).await;
    env.act(&lp, env.lp_flow(&lp).lp_deposit(THOUSAND)).await.expect("deposit");
    let shares = THOUSAND * VIRTUAL_SHARES; // amount × (0 + 1000) / (0 + 1)
    let position = env.lp_position(&lp).await;
    assert_eq!((position.shares, position.deposited), (shares, THOUSAND));
    let market = env.market_state().await;
    assert_eq!((market.books.pool_balance, market.books.lp_shares), (THOUSAND, shares));
    env.assert_vault_matches_books().await;
    let record: LpRecord = decode_event(&events).expect("LpRecord");
    assert_eq!(record.direction, CollateralDirection::Deposit);
    assert_eq!((record.amount, record.shares, record.pool_balance_after), (THOUSAND, shares, THOUSAND));

    env.request_lp_exit(&lp, shares).await;
    env.act(&lp, env.lp_flow(&lp).lp_withdraw(shares)).await.expect("withdraw");
    // (pool + 1) × shares / (shares + 1000) rounds down one atom below the deposit.
    let paid = env.token_balance(lp.token).await;
    assert_eq!(paid, ((u128::from(THOUSAND) + 1) * u128::from(shares) / (u128::from(shares) + 1_000)) as u64);
    assert!((THOUSAND - 1..=THOUSAND).contains(&paid));
    env.assert_vault_matches_books().await;
}

#[tokio::test]
async fn shares_are_priced_at_pool_value_including_traders_unrealized_pnl() {
    let mut env = Env::new().await;
    let first = env.lp(10 * THOUSAND).await;
    let alice = env.trader(THOUSAND).await;
    env.act(&alice, env.flow(&alice).trade(5 * ONE)).await.expect("alice long");
    env.advance(5).await;
    env.set_price(usd(120), 1_000_000).await; // Alice is up ~$100: the pool is down as much
    let market = env.market_state().await;
    let price = backstop_math::oracle::OraclePrice { price: 120_000_000, conf: 10_000, publish_time: env.now };
    let value = market.books.pool_value_for_deposit(&price).unwrap();
    assert!(value < i128::from(market.books.pool_balance) - 99 * 1_000_000);

    let second = env.lp(THOUSAND).await;
    let expected = backstop_math::lp::shares_for_deposit(THOUSAND, value, market.books.lp_shares).unwrap();
    assert_eq!(env.lp_position(&second).await.shares, expected);
    let first_shares = env.lp_position(&first).await.shares;
    assert!(expected * 10 > first_shares, "the newcomer buys in cheaper than the first LP did");
    env.assert_vault_matches_books().await;
}

#[tokio::test]
async fn pool_keeps_its_margin_and_its_free_cash() {
    let mut env = Env::new().await;
    let lp = env.lp(100 * USDC).await;
    let alice = env.trader(THOUSAND).await;
    env.act(&alice, env.flow(&alice).trade(9 * ONE)).await.expect("open $900 against a $100 pool");
    let shares = env.lp_position(&lp).await.shares;
    env.request_lp_exit(&lp, shares / 2).await;
    env.assert_rejected(&lp, env.lp_flow(&lp).lp_withdraw(shares / 2), BackstopError::PoolMarginBreached).await;
    env.act(&alice, env.flow(&alice).trade(-9 * ONE)).await.expect("close");
    env.act(&lp, env.lp_flow(&lp).lp_withdraw(shares / 2)).await.expect("free again");
}

#[tokio::test]
async fn pool_cash_owed_to_traders_cannot_leave() {
    let mut env = Env::new().await;
    let lp = env.lp(100 * USDC).await;
    let alice = env.trader(THOUSAND).await;
    env.act(&alice, env.flow(&alice).trade(9 * ONE)).await.expect("open");
    env.advance(5).await;
    env.set_price(usd(120), 1_000_000).await; // Alice +$180: the $100 pool cannot pay it all
    env.act(&alice, env.flow(&alice).trade(-9 * ONE)).await.expect("close");
    let margin = env.margin(&alice).await;
    assert!(margin.balances.unsettled_pnl > 0, "what the pool could not pay stays owed");
    let market = env.market_state().await;
    assert_eq!(market.books.total_unsettled_pnl, margin.balances.unsettled_pnl);
    assert_eq!(market.books.pool_free_cash(), 0);
    // The pool owes more than it has: it is insolvent, so no share can be priced, in or out. (Resolving such a
    // claim is the waterfall's job.)
    env.assert_rejected(&lp, env.lp_flow(&lp).request_lp_withdraw(1), BackstopError::PoolInsolvent).await;
    let newcomer = env.actor(THOUSAND).await;
    env.act(&newcomer, create_lp_position(env.market, newcomer.pubkey())).await.expect("position");
    env.assert_rejected(&newcomer, env.lp_flow(&newcomer).lp_deposit(THOUSAND), BackstopError::PoolInsolvent).await;
    env.assert_vault_matches_books().await;
}

#[tokio::test]
async fn lp_rejections_change_nothing() {
    let mut env = Env::new().await;
    let lp = env.lp(THOUSAND).await;
    let mallory = env.lp(THOUSAND).await;
    env.mint_to(lp.token, THOUSAND).await;
    let flow = env.lp_flow(&lp);
    let shares = env.lp_position(&lp).await.shares;
    env.assert_rejected(&lp, flow.lp_deposit(0), BackstopError::InvalidAmount).await;
    env.assert_rejected(&lp, flow.lp_withdraw(0), BackstopError::InvalidAmount).await;
    env.assert_rejected(&lp, flow.lp_withdraw(shares + 1), BackstopError::InsufficientShares).await;
    let stolen = Flow { owner: mallory.pubkey(), token: mallory.token, ..flow };
    env.assert_rejected(&mallory, stolen.lp_withdraw(1), BackstopError::AccountOwnerMismatch).await;
    env.assert_rejected(&mallory, stolen.request_lp_withdraw(1), BackstopError::AccountOwnerMismatch).await;
    env.assert_rejected(&lp, flow.request_lp_withdraw(0), BackstopError::InvalidAmount).await;
    env.assert_rejected(&lp, flow.request_lp_withdraw(shares + 1), BackstopError::InsufficientShares).await;
    env.assert_rejected(&lp, flow.lp_withdraw(1), BackstopError::NoLpExitRequest).await;
    env.act(&lp, flow.request_lp_withdraw(10)).await.expect("request");
    env.assert_rejected(&lp, flow.lp_withdraw(10), BackstopError::LpExitDelayNotElapsed).await;
    env.advance(10).await;
    env.assert_rejected(&lp, flow.lp_withdraw(11), BackstopError::NoLpExitRequest).await;
    env.assert_rejected(&lp, Flow { oracle: mallory.token, ..flow }.lp_withdraw(10), BackstopError::OracleMismatch)
        .await;
    env.assert_rejected(&lp, Flow { token: mallory.token, ..flow }.lp_deposit(USDC), BackstopError::TokenOwnerMismatch)
        .await;
    env.assert_rejected(&lp, Flow { vault: mallory.token, ..flow }.lp_deposit(USDC), BackstopError::VaultMismatch)
        .await;
    env.assert_rejected(&lp, Flow { oracle: mallory.token, ..flow }.lp_deposit(USDC), BackstopError::OracleMismatch)
        .await;
    env.advance(61).await;
    env.assert_rejected(&lp, flow.lp_deposit(USDC), BackstopError::OracleStale).await;
    env.set_price(usd(100), 1_000_000).await;
    env.force_market_status(MarketStatus::Paused).await;
    env.assert_rejected(&lp, flow.lp_deposit(USDC), BackstopError::MarketPaused).await;
    env.request_lp_exit(&lp, shares / 2).await;
    env.act(&lp, flow.lp_withdraw(shares / 2)).await.expect("LPs may leave a paused market");
}
