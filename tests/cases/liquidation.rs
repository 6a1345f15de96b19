//! liquidate: partial and full, the penalty split, a gap straight to bankruptcy, and every rejection.

use backstop::error::BackstopError;
use backstop::events::LiquidationRecord;
use backstop_math::position::Position;
use backstop_tests::*;

const THOUSAND: u64 = 1_000 * USDC;

/// Alice holds 9 SOL long at $100.01 on $100 of collateral (9x); a keeper with a margin account stands by.
async fn leveraged_long() -> (Env, Actor, Actor) {
    let mut env = Env::new().await;
    let _lp = env.lp(100 * THOUSAND).await;
    let alice = env.trader(100 * USDC).await;
    env.act(&alice, env.flow(&alice).trade(9 * ONE)).await.expect("open 9x");
    let keeper = env.trader(0).await;
    (env, alice, keeper)
}

async fn move_price(env: &mut Env, price: i64) {
    env.advance(5).await;
    env.set_price(price, 1_000_000).await;
}

const ENTRY: i64 = 9 * 100_010_000;
/// Alice's collateral after the opening fee: $100 − ceil(900.09 × 10 bps).
const COLLATERAL: i64 = 100_000_000 - 900_090;

#[tokio::test]
async fn a_healthy_account_cannot_be_liquidated() {
    let (mut env, alice, keeper) = leveraged_long().await;
    move_price(&mut env, 9_370_000_000).await; // $93.70: equity just above maintenance
    let ix = env.keeper_accounts().liquidate(keeper.pubkey(), alice.pubkey());
    env.assert_rejected_by(
        &env.touched_by(&alice),
        &[&keeper.keypair.insecure_clone()],
        ix,
        BackstopError::NotLiquidatable,
    )
    .await;
}

#[tokio::test]
async fn partial_liquidation_restores_the_midpoint_buffer() {
    let (mut env, alice, keeper) = leveraged_long().await;
    move_price(&mut env, 9_350_000_000).await; // $93.50 ± 0.01
                                               // Equity at the margin price 93.49; notional at 93.50.
    let equity = COLLATERAL + 9 * 93_490_000 - ENTRY;
    let notional = 9 * 93_500_000i64;
    assert!(equity * 10_000 < notional * 500, "below maintenance");
    // Close q so that (E − q·93.5·2.5 %) / ((9 − q)·93.5) = 7.5 %: q = 9·(N·750 − E·10⁴) / (N·(750 − 250)).
    let need = u128::try_from(i128::from(notional) * 750 - i128::from(equity) * 10_000).unwrap();
    let n = u128::try_from(notional).unwrap();
    let q = i64::try_from((9 * 1_000_000_000u128 * need).div_ceil(n * 500)).unwrap();

    let ix = env.keeper_accounts().liquidate(keeper.pubkey(), alice.pubkey());
    let events = env.simulate_events(&keeper, ix.clone()).await;
    env.act(&keeper, ix).await.expect("liquidate");

    let record: LiquidationRecord = decode_event(&events).expect("LiquidationRecord");
    assert!(!record.full && !record.bankrupt);
    assert_eq!(record.base_closed, -q);
    assert_eq!(record.fill_price, 93_490_000);
    let closed_notional = (u128::try_from(q).unwrap() * 93_500_000).div_ceil(1_000_000_000);
    let penalty = u64::try_from((closed_notional * 250).div_ceil(10_000)).unwrap();
    assert_eq!((record.penalty_due, record.penalty_charged), (penalty, penalty));
    assert_eq!(record.liquidator_reward, penalty / 2);
    assert_eq!(record.fund_penalty, penalty - penalty / 2);

    let margin = env.margin(&alice).await;
    assert_eq!(margin.balances.position.base, 9 * ONE - q);
    let price = env.oracle_price();
    let params = default_params();
    let health = margin.balances.health(&price, &params).unwrap();
    assert!(health.meets_maintenance(), "the partial close restores maintenance");
    assert_eq!(env.margin(&keeper).await.balances.collateral, i64::try_from(penalty / 2).unwrap());
    assert_eq!(env.market_state().await.books.fund_penalty_accrued, penalty - penalty / 2);
    env.assert_vault_matches_books().await;
    // Once restored, a second keeper call finds nothing to do: no farming in tiny steps.
    let again = env.keeper_accounts().liquidate(keeper.pubkey(), alice.pubkey());
    env.assert_rejected(&keeper, again, BackstopError::NotLiquidatable).await;
}

#[tokio::test]
async fn full_liquidation_when_a_partial_cannot_restore_the_buffer() {
    let (mut env, alice, keeper) = leveraged_long().await;
    move_price(&mut env, 9_000_000_000).await; // $90
    env.act(&keeper, env.keeper_accounts().liquidate(keeper.pubkey(), alice.pubkey())).await.expect("liquidate");
    let margin = env.margin(&alice).await;
    assert_eq!(margin.balances.position, Position::default());
    // Closed at 89.99: realised 9 × 89.99 − 900.09; the penalty (2.5 % of $810) takes what is left.
    let left = COLLATERAL + 9 * 89_990_000 - ENTRY;
    assert!(left > 0 && left < 20_250_000);
    assert_eq!(margin.balances.collateral, 0);
    let left = u64::try_from(left).unwrap();
    assert_eq!(env.margin(&keeper).await.balances.collateral, i64::try_from(left / 2).unwrap());
    assert_eq!(env.market_state().await.books.fund_penalty_accrued, left - left / 2);
    env.assert_vault_matches_books().await;
}

#[tokio::test]
async fn a_gap_from_healthy_to_bankrupt_leaves_a_deficit_and_no_penalty() {
    let (mut env, alice, keeper) = leveraged_long().await;
    move_price(&mut env, 8_500_000_000).await; // $85: a 15 % gap on a 9x long
    let ix = env.keeper_accounts().liquidate(keeper.pubkey(), alice.pubkey());
    let events = env.simulate_events(&keeper, ix.clone()).await;
    env.act(&keeper, ix).await.expect("liquidate");
    let record: LiquidationRecord = decode_event(&events).expect("LiquidationRecord");
    assert!(record.full && record.bankrupt);
    assert_eq!((record.penalty_charged, record.liquidator_reward), (0, 0));
    let deficit = COLLATERAL + 9 * 84_990_000 - ENTRY;
    assert_eq!(env.margin(&alice).await.balances.collateral, deficit);
    let market = env.market_state().await;
    assert_eq!(market.books.pending_deficit, deficit.unsigned_abs());
    env.assert_vault_matches_books().await;
    let again = env.keeper_accounts().liquidate(keeper.pubkey(), alice.pubkey());
    env.assert_rejected(&keeper, again, BackstopError::AccountBankrupt).await;
}

#[tokio::test]
async fn liquidation_rejections_change_nothing() {
    let (mut env, alice, keeper) = leveraged_long().await;
    move_price(&mut env, 9_000_000_000).await;
    let accounts = env.keeper_accounts();
    let alice_margin = pda::margin_account(&env.market, &alice.pubkey());
    let keeper_margin = pda::margin_account(&env.market, &keeper.pubkey());

    // Alice liquidating herself, through her own margin account or by naming it twice.
    env.assert_rejected(&alice, accounts.liquidate(alice.pubkey(), alice.pubkey()), BackstopError::SelfLiquidation)
        .await;
    let twice = accounts.liquidate_accounts(keeper.pubkey(), keeper_margin, keeper_margin);
    env.assert_rejected(&keeper, twice, BackstopError::SelfLiquidation).await;
    // The reward account must be the signer's.
    let bystander = env.trader(0).await;
    let bystander_margin = pda::margin_account(&env.market, &bystander.pubkey());
    let stolen = accounts.liquidate_accounts(keeper.pubkey(), alice_margin, bystander_margin);
    env.assert_rejected(&keeper, stolen, BackstopError::AccountOwnerMismatch).await;
    // Oracle: substituted, then stale.
    let wrong_oracle = KeeperAccounts { oracle: bystander.token, ..accounts };
    env.assert_rejected(
        &keeper,
        wrong_oracle.liquidate(keeper.pubkey(), alice.pubkey()),
        BackstopError::OracleMismatch,
    )
    .await;
    env.advance(61).await;
    env.assert_rejected(&keeper, accounts.liquidate(keeper.pubkey(), alice.pubkey()), BackstopError::OracleStale).await;
    // A margin account of another market.
    env.set_price(9_000_000_000, 1_000_000).await;
    let market_1 = list_second_market(&mut env).await;
    let create = create_margin_account(market_1, keeper.pubkey());
    env.act(&keeper, create).await.expect("keeper account in market 1");
    let foreign =
        accounts.liquidate_accounts(keeper.pubkey(), alice_margin, pda::margin_account(&market_1, &keeper.pubkey()));
    env.assert_rejected(&keeper, foreign, BackstopError::MarketMismatch).await;
    // And after all that, the real liquidation goes through.
    env.act(&keeper, accounts.liquidate(keeper.pubkey(), alice.pubkey())).await.expect("liquidate");
}

/// Lists market 1 on the same oracle and fund.
pub async fn list_second_market(env: &mut Env) -> anchor_lang::prelude::Pubkey {
    let listing = ListMarket { market_id: 1, ..env.list_market(default_params()) };
    let governance = env.governance.insecure_clone();
    env.send(&listing.instructions(), &[&governance]).await.expect("market 1");
    pda::market(1)
}

#[tokio::test]
async fn a_cascade_of_k_liquidations_costs_k_instructions() {
    let mut env = Env::new().await;
    let _lp = env.lp(100 * THOUSAND).await;
    let keeper = env.trader(0).await;
    let mut traders = Vec::new();
    for _ in 0..5 {
        let trader = env.trader(100 * USDC).await;
        env.act(&trader, env.flow(&trader).trade(9 * ONE)).await.expect("open");
        traders.push(trader);
    }
    move_price(&mut env, 9_000_000_000).await;
    for trader in &traders {
        // One instruction each, whatever the number of other accounts: no instruction loops over accounts.
        env.act(&keeper, env.keeper_accounts().liquidate(keeper.pubkey(), trader.pubkey())).await.expect("liquidate");
    }
    let market = env.market_state().await;
    assert_eq!(market.books.open_interest_long, 0);
    env.assert_vault_matches_books().await;
}
