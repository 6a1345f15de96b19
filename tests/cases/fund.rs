//! settle_fund_revenue and fund_health.

use backstop::error::BackstopError;
use backstop::events::{FundHealthReport, FundRevenueSwept};
use backstop::instructions::FundHealth;
use backstop_tests::*;
use solana_signer::Signer;

const THOUSAND: u64 = 1_000 * USDC;

#[tokio::test]
async fn sweep_moves_exactly_the_accrued_fees_and_penalties() {
    let mut env = Env::new().await;
    let _lp = env.lp(100 * THOUSAND).await;
    let alice = env.trader(100 * USDC).await;
    let keeper = env.trader(0).await;
    env.act(&alice, env.flow(&alice).trade(9 * ONE)).await.expect("open");
    env.advance(5).await;
    env.set_price(9_000_000_000, 1_000_000).await;
    env.act(&keeper, env.keeper_accounts().liquidate(keeper.pubkey(), alice.pubkey())).await.expect("liquidate");
    let books = env.market_state().await.books;
    assert!(books.fund_fee_accrued > 0 && books.fund_penalty_accrued > 0);

    let ix = env.keeper_accounts().settle_fund_revenue();
    let events = env.simulate_events_by(&[], ix.clone()).await;
    env.send(&[ix], &[]).await.expect("sweep: permissionless, only the fee payer signs");
    let record: FundRevenueSwept = decode_event(&events).expect("FundRevenueSwept");
    assert_eq!((record.fees, record.penalties), (books.fund_fee_accrued, books.fund_penalty_accrued));
    let fund = env.fund_state().await;
    assert_eq!(fund.book.balance, books.fund_fee_accrued + books.fund_penalty_accrued);
    assert_eq!((fund.inflow_fees, fund.inflow_penalties), (books.fund_fee_accrued, books.fund_penalty_accrued));
    let after = env.market_state().await.books;
    assert_eq!((after.fund_fee_accrued, after.fund_penalty_accrued), (0, 0));
    env.assert_vault_matches_books().await;
    env.assert_fund_vault_matches_books().await;
    // A second sweep has nothing to move and changes nothing but succeeds.
    env.send(&[env.keeper_accounts().settle_fund_revenue()], &[]).await.expect("empty sweep");
    assert_eq!(env.fund_state().await.book.balance, fund.book.balance);
}

#[tokio::test]
async fn sweep_rejects_another_fund_or_vault() {
    let mut env = Env::new().await;
    let keeper = env.trader(0).await;
    let watched = env.touched_by(&keeper);
    let governance = env.governance.insecure_clone();
    let ix = initialize_insurance_fund(governance.pubkey(), env.payer(), env.mint, 1);
    env.send(&[ix], &[&governance]).await.expect("fund 1");
    let accounts = env.keeper_accounts();
    let other = pda::insurance_fund(1);
    let wrong = KeeperAccounts { insurance_fund: other, fund_vault: pda::fund_vault(&other), ..accounts };
    env.assert_rejected_by(&watched, &[], wrong.settle_fund_revenue(), BackstopError::FundMismatch).await;
    let wrong = KeeperAccounts { fund_vault: pda::fund_vault(&other), ..accounts };
    env.assert_rejected_by(&watched, &[], wrong.settle_fund_revenue(), BackstopError::VaultMismatch).await;
    let wrong = KeeperAccounts { vault: keeper.token, ..accounts };
    env.assert_rejected_by(&watched, &[], wrong.settle_fund_revenue(), BackstopError::VaultMismatch).await;
}

#[tokio::test]
async fn fund_health_reports_balance_coverage_and_draw_remaining() {
    let mut env = Env::new().await;
    env.seed_fund(50 * USDC).await;
    let _lp = env.lp(100 * THOUSAND).await;
    let alice = env.trader(THOUSAND).await;
    env.act(&alice, env.flow(&alice).trade(10 * ONE)).await.expect("open");
    let ix = env.keeper_accounts().fund_health(&[env.market]);
    // Natively, return data does not leave the program (solana-cpi's off-chain set_return_data is a no-op); the
    // same struct is emitted as an event, which does.
    let events = env.simulate_events_by(&[], ix).await;
    let report = decode_event::<FundHealthReport>(&events).expect("FundHealthReport");
    let health: FundHealth = report.health;
    // Open interest 10 SOL at $100 = $1 000 backed by $50: 5 %.
    assert_eq!(health.balance, 50 * USDC);
    assert_eq!(health.backed_notional, THOUSAND);
    assert_eq!(health.coverage_ratio_bps, 500);
    assert_eq!(health.inflow_stakes, 50 * USDC);
    assert_eq!((report.markets.len(), health.markets_reported), (1, 1));
    assert_eq!(report.markets[0].draw_remaining, default_params().fund_draw_cap);
    assert_eq!(report.markets[0].funding_rate_ppb, 0, "funding is off in default_params");

    let twice = env.keeper_accounts().fund_health(&[env.market, env.market]);
    let watched = env.touched_by(&alice);
    env.assert_rejected_by(&watched, &[], twice, BackstopError::InvalidMarketList).await;
}
