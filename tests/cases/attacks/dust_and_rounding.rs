//! Arithmetic: many tiny operations must never round in the user's favour in total, and extreme inputs are
//! refused by name.

use backstop::error::BackstopError;
use backstop_tests::*;

const THOUSAND: u64 = 1_000 * USDC;

#[tokio::test]
async fn hundreds_of_minimum_size_round_trips_only_ever_cost_the_trader() {
    let mut env = Env::new().await;
    let _lp = env.lp(100 * THOUSAND).await;
    let alice = env.trader(THOUSAND).await;
    let flow = env.flow(&alice);
    let minimum = ONE / 1_000; // 0.001 SOL: $0.10 of notional, a 1-atom fee
    let mut last = env.margin(&alice).await.balances.collateral;
    for _ in 0..150 {
        env.act(&alice, flow.trade(minimum)).await.expect("buy dust");
        env.act(&alice, flow.trade(-minimum)).await.expect("sell dust");
        let now = env.margin(&alice).await.balances.collateral;
        assert!(now < last, "every round trip costs at least its fees: {now} vs {last}");
        last = now;
    }
    env.assert_vault_matches_books().await;
}

#[tokio::test]
async fn one_atom_deposits_and_withdrawals_are_exact() {
    let mut env = Env::new().await;
    let alice = env.trader(0).await;
    env.mint_to(alice.token, 500).await;
    let flow = env.flow(&alice);
    for _ in 0..100 {
        env.act(&alice, flow.deposit(1)).await.expect("deposit an atom");
    }
    for _ in 0..100 {
        env.act(&alice, flow.withdraw(1)).await.expect("withdraw an atom");
    }
    assert_eq!(env.token_balance(alice.token).await, 500);
    assert_eq!(env.margin(&alice).await.balances.collateral, 0);
    env.assert_vault_matches_books().await;
}

#[tokio::test]
async fn lp_dust_in_and_out_never_gains() {
    let mut env = Env::new().await;
    let _big = env.lp(100 * THOUSAND).await;
    let small = env.lp(0).await;
    env.mint_to(small.token, 1_000).await;
    let flow = env.lp_flow(&small);
    for _ in 0..50 {
        env.act(&small, flow.lp_deposit(20)).await.expect("dust in");
        let shares = env.lp_position(&small).await.shares;
        env.request_lp_exit(&small, shares).await;
        env.act(&small, flow.lp_withdraw(shares)).await.expect("dust out");
    }
    assert!(env.token_balance(small.token).await <= 1_000, "never more than was put in");
    env.assert_vault_matches_books().await;
}

#[tokio::test]
async fn amounts_at_the_integer_extremes_are_refused_by_name() {
    let mut env = Env::new().await;
    let _lp = env.lp(100 * THOUSAND).await;
    let alice = env.trader(THOUSAND).await;
    let flow = env.flow(&alice);
    env.assert_rejected(&alice, flow.deposit(u64::MAX), BackstopError::InvalidAmount).await;
    env.assert_rejected(&alice, flow.deposit(u64::try_from(i64::MAX).unwrap() + 1), BackstopError::InvalidAmount).await;
    env.assert_rejected(&alice, flow.withdraw(u64::MAX), BackstopError::InvalidAmount).await;
    env.assert_rejected(&alice, flow.trade(i64::MIN), BackstopError::Overflow).await;
    env.assert_rejected(&alice, flow.trade(i64::MIN + 1), BackstopError::OpenInterestCapExceeded).await;
}

#[tokio::test]
async fn oracle_prices_at_the_extremes_are_refused_by_name() {
    let mut env = Env::new().await;
    let _lp = env.lp(100 * THOUSAND).await;
    let alice = env.trader(THOUSAND).await;
    env.set_price(i64::MAX, 0).await;
    // i64::MAX at expo -8 is 92 billion dollars: representable, but far above anything the position can carry.
    env.assert_rejected(&alice, env.flow(&alice).trade(ONE), BackstopError::InitialMarginBreached).await;
    env.set_price(1, 0).await; // 1e-8 dollars: below one PRICE_PRECISION atom
    env.assert_rejected(&alice, env.flow(&alice).trade(ONE), BackstopError::OracleNonPositivePrice).await;
    env.price.set_expo(6);
    env.set_price(i64::MAX, 0).await;
    env.assert_rejected(&alice, env.flow(&alice).trade(ONE), BackstopError::Overflow).await;
}

#[tokio::test]
async fn the_fund_is_credited_what_was_charged_never_what_was_due() {
    let mut env = Env::new().await;
    let _lp = env.lp(100 * THOUSAND).await;
    let alice = env.trader(100 * USDC).await;
    env.act(&alice, env.flow(&alice).trade(9 * ONE)).await.expect("open");
    let accrued_before = env.market_state().await.books.fund_fee_accrued;
    env.advance(5).await;
    env.set_price(usd(80), 1_000_000).await;
    // Closing through zero: the fee is due on $720 of notional, but the account has no cash left to pay it.
    let ix = env.flow(&alice).trade(-9 * ONE);
    let events = env.simulate_events(&alice, ix.clone()).await;
    env.act(&alice, ix).await.expect("a close is never refused");
    let record: backstop::events::TradeRecord = decode_event(&events).expect("TradeRecord");
    assert!(record.fee_due > 0);
    assert_eq!(record.fee_to_fund + record.fee_to_lp + record.fee_to_treasury, 0, "nothing was there to charge");
    assert_eq!(env.market_state().await.books.fund_fee_accrued, accrued_before);
    env.assert_vault_matches_books().await;
}

#[tokio::test]
async fn hundreds_of_one_atom_stakes_never_redeem_more_than_went_in() {
    let mut env = Env::new().await;
    env.seed_fund(THOUSAND).await;
    let dust = env.staker(300).await;
    let flows = env.staking(&dust);
    let mut staked = 0;
    for _ in 0..300 {
        // A stake worth less than one share is refused by name rather than rounded in the staker's favour.
        match env.act(&dust, flows.stake(1)).await {
            Ok(()) => staked += 1,
            Err(failure) => {
                assert_eq!(custom_error_code(&failure), Some(BackstopError::InvalidAmount.into()), "{failure:?}")
            }
        }
    }
    let shares = env.stake_position(&dust).await.book.shares;
    assert!(staked > 0, "one-atom stakes are accepted");
    if shares > 0 {
        env.act(&dust, flows.request_unstake(shares)).await.expect("request all");
        env.advance(i64::from(default_fund_params().cooldown_secs)).await;
        env.set_price(START_PRICE, START_CONF).await;
        env.act(&dust, flows.unstake(&[env.market])).await.expect("unstake all");
    }
    assert!(env.token_balance(dust.token).await <= 300, "redeemed more than was staked");
    assert!(env.fund_state().await.book.balance >= THOUSAND, "the other staker paid for the dust");
    env.assert_fund_vault_matches_books().await;
}

#[tokio::test]
async fn dust_positions_liquidated_one_by_one_round_every_penalty_against_the_liquidatee() {
    use backstop::events::LiquidationRecord;
    let mut env = Env::new().await;
    let _lp = env.lp(100 * THOUSAND).await;
    let keeper = env.trader(0).await;
    let mut victims = Vec::new();
    for _ in 0..12 {
        // 0.01 SOL ($1 of notional) on $0.11 of collateral: about 9x.
        let victim = env.trader(110_000).await;
        env.act(&victim, env.flow(&victim).trade(ONE / 100)).await.expect("dust long");
        victims.push(victim);
    }
    env.advance(5).await;
    env.set_price(usd(93), START_CONF).await;
    let penalty_before = env.market_state().await.books.fund_penalty_accrued;
    let (mut rewards, mut to_fund) = (0u64, 0u64);
    for victim in &victims {
        let ix = env.keeper_accounts().liquidate(keeper.pubkey(), victim.pubkey());
        let events = env.simulate_events(&keeper, ix.clone()).await;
        env.act(&keeper, ix).await.expect("liquidate dust");
        let record: LiquidationRecord = decode_event(&events).expect("LiquidationRecord");
        assert!(record.penalty_charged >= 1, "a closed position always pays at least one atom");
        assert!(record.liquidator_reward <= record.penalty_charged);
        assert_eq!(record.liquidator_reward + record.fund_penalty, record.penalty_charged);
        rewards += record.liquidator_reward;
        to_fund += record.fund_penalty;
        env.assert_vault_matches_books().await;
    }
    // The keeper earned exactly the rewards; the fund exactly the rest; nobody gained from the rounding.
    assert_eq!(env.margin(&keeper).await.balances.collateral, i64::try_from(rewards).unwrap());
    assert_eq!(env.market_state().await.books.fund_penalty_accrued - penalty_before, to_fund);
}
