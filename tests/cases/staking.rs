//! Insurance fund staking: shares, vesting, the cooldown and min() rule, the redemption gate, donations, and
//! every rejection.

use backstop::error::BackstopError;
use backstop::events::{StakeAction, StakeRecord};
use backstop_math::staking::FundParams;
use backstop_tests::builders::fund_governance;
use backstop_tests::*;
use solana_signer::Signer;

const THOUSAND: u64 = 1_000 * USDC;
const DAY: i64 = 86_400;

/// Generates fund revenue by trading and sweeps it; returns what was swept.
async fn sweep_revenue(env: &mut Env, notional_units: i64) -> u64 {
    let trader = env.trader(100 * THOUSAND).await;
    env.act(&trader, env.flow(&trader).trade(notional_units * ONE)).await.expect("trade");
    env.act(&trader, env.flow(&trader).trade(-notional_units * ONE)).await.expect("trade back");
    let books = env.market_state().await.books;
    let revenue = books.fund_fee_accrued + books.fund_penalty_accrued;
    env.send(&[env.keeper_accounts().settle_fund_revenue()], &[]).await.expect("sweep");
    revenue
}

async fn unstake_all(env: &mut Env, staker: &Actor) -> u64 {
    let shares = env.stake_position(staker).await.book.shares;
    env.act(staker, env.staking(staker).request_unstake(shares)).await.expect("request");
    env.advance(DAY).await;
    let before = env.token_balance(staker.token).await;
    env.act(staker, env.staking(staker).unstake(&[env.market])).await.expect("unstake");
    env.token_balance(staker.token).await - before
}

async fn market_with_pool() -> Env {
    let mut env = Env::new().await;
    let _lp = env.lp(1_000 * THOUSAND).await;
    env
}

#[tokio::test]
async fn stakers_gain_exactly_their_share_of_vested_revenue() {
    let mut env = market_with_pool().await;
    let alice = env.seed_fund(THOUSAND).await;
    let bob = env.seed_fund(3 * THOUSAND).await;
    let revenue = sweep_revenue(&mut env, 100).await;
    assert!(revenue > 0);
    env.advance(DAY).await; // fully vested
    let alice_out = unstake_all(&mut env, &alice).await;
    let bob_out = unstake_all(&mut env, &bob).await;
    // Pro rata 1 : 3, rounded down (never more than the exact share).
    assert!(alice_out <= THOUSAND + revenue / 4 && alice_out + 2 >= THOUSAND + revenue / 4, "{alice_out}");
    assert!(
        bob_out <= 3 * THOUSAND + revenue * 3 / 4 + 1 && bob_out + 2 >= 3 * THOUSAND + revenue * 3 / 4,
        "{bob_out}"
    );
    env.assert_fund_vault_matches_books().await;
}

#[tokio::test]
async fn staking_just_before_a_sweep_captures_nothing_unvested() {
    let mut env = market_with_pool().await;
    let long_term = env.seed_fund(THOUSAND).await;
    let revenue = sweep_revenue(&mut env, 100).await;
    // Right after the sweep, a newcomer stakes, then asks to leave at once.
    let hopper = env.seed_fund(THOUSAND).await;
    let hopper_out = unstake_all(&mut env, &hopper).await;
    assert!(hopper_out <= THOUSAND, "the request was valued without the unvested revenue: {hopper_out}");
    let long_term_out = unstake_all(&mut env, &long_term).await;
    assert!(long_term_out + 2 >= THOUSAND + revenue, "the revenue stays with who was there: {long_term_out}");
}

#[tokio::test]
async fn a_request_before_a_covered_bankruptcy_receives_the_lower_value() {
    let mut env = market_with_pool().await;
    let staker = env.seed_fund(THOUSAND).await;
    let shares = env.stake_position(&staker).await.book.shares;
    env.act(&staker, env.staking(&staker).request_unstake(shares)).await.expect("request");
    // A bankruptcy is covered during the cooldown.
    let alice = env.trader(100 * USDC).await;
    let keeper = env.trader(0).await;
    env.act(&alice, env.flow(&alice).trade(9 * ONE)).await.expect("open");
    env.advance(5).await;
    env.set_price(usd(85), 1_000_000).await;
    env.act(&keeper, env.keeper_accounts().liquidate(keeper.pubkey(), alice.pubkey())).await.expect("liquidate");
    env.act(&keeper, env.keeper_accounts().cover_bankruptcy(keeper.pubkey(), alice.pubkey())).await.expect("cover");
    let covered = env.fund_state().await.deficits_covered;
    assert!(covered > 0);
    env.advance(DAY).await;
    let before = env.token_balance(staker.token).await;
    env.act(&staker, env.staking(&staker).unstake(&[env.market])).await.expect("unstake");
    let out = env.token_balance(staker.token).await - before;
    assert_eq!(out, THOUSAND - covered, "min(value at request, value now)");
}

#[tokio::test]
async fn cooldown_cancel_and_the_rejections_of_each_instruction() {
    let mut env = market_with_pool().await;
    let staker = env.seed_fund(THOUSAND).await;
    env.mint_to(staker.token, THOUSAND).await;
    let mallory = env.staker(THOUSAND).await;
    let flows = env.staking(&staker);
    let shares = env.stake_position(&staker).await.book.shares;

    env.assert_rejected(&staker, flows.stake(0), BackstopError::InvalidAmount).await;
    env.assert_rejected(&staker, flows.stake(THOUSAND + 1), RawCode(1)).await; // the token program: no funds
    env.assert_rejected(&staker, flows.request_unstake(0), BackstopError::InvalidAmount).await;
    env.assert_rejected(&staker, flows.request_unstake(shares + 1), BackstopError::InsufficientShares).await;
    env.assert_rejected(&staker, flows.unstake(&[env.market]), BackstopError::NoUnstakeRequest).await;
    env.assert_rejected(&staker, flows.cancel_unstake(), BackstopError::NoUnstakeRequest).await;
    let stolen = backstop_tests::builders::Staking { owner: mallory.pubkey(), token: mallory.token, ..flows };
    env.assert_rejected(&mallory, stolen.request_unstake(1), BackstopError::AccountOwnerMismatch).await;
    let wrong_vault = backstop_tests::builders::Staking { vault: env.vault, ..flows };
    env.assert_rejected(&staker, wrong_vault.stake(USDC), BackstopError::VaultMismatch).await;
    let other_mint = env.create_mint(6).await;
    let wrong_token = env.create_token_account(other_mint, staker.pubkey()).await;
    let wrong = backstop_tests::builders::Staking { token: wrong_token, ..flows };
    env.assert_rejected(&staker, wrong.stake(USDC), BackstopError::MintMismatch).await;
    let foreign = backstop_tests::builders::Staking { token: mallory.token, ..flows };
    env.assert_rejected(&staker, foreign.stake(USDC), BackstopError::TokenOwnerMismatch).await;

    env.act(&staker, flows.request_unstake(shares / 2)).await.expect("request");
    env.assert_rejected(&staker, flows.stake(USDC), BackstopError::UnstakePending).await;
    env.assert_rejected(&staker, flows.request_unstake(1), BackstopError::UnstakePending).await;
    env.advance(DAY - 1).await;
    env.assert_rejected(&staker, flows.unstake(&[env.market]), BackstopError::CooldownNotElapsed).await;
    env.act(&staker, flows.cancel_unstake()).await.expect("cancel");
    let position = env.stake_position(&staker).await;
    assert_eq!((position.book.shares, position.book.locked_shares), (shares, 0));
    assert_eq!(env.fund_state().await.book.locked_shares, 0);
}

#[tokio::test]
async fn the_gate_holds_a_run_and_lets_the_rest_through_next_window() {
    let mut env = market_with_pool().await;
    let governance = env.governance.insecure_clone();
    // 30 % per day.
    let gated =
        FundParams { cooldown_secs: 86_400, vesting_period_secs: 86_400, gate_bps: 3_000, gate_window_secs: 86_400 };
    env.send(&[fund_governance::update_fund_params(governance.pubkey(), env.fund, gated)], &[&governance])
        .await
        .expect("queued, like every change to the staking rules");
    env.advance(TIMELOCK).await;
    env.send(&[fund_governance::apply_fund_params(env.fund, env.payer())], &[]).await.expect("applied");
    env.republish().await;
    let mut stakers = Vec::new();
    for _ in 0..4 {
        stakers.push(env.seed_fund(THOUSAND).await);
    }
    for staker in &stakers {
        let shares = env.stake_position(staker).await.book.shares;
        env.act(staker, env.staking(staker).request_unstake(shares)).await.expect("request");
    }
    env.advance(DAY).await;
    let mut out_per_day = Vec::new();
    for _ in 0..5 {
        let fund_before = env.fund_state().await.book.balance;
        for staker in &stakers {
            let _ = env.act(staker, env.staking(staker).unstake(&[env.market])).await;
        }
        let fund_after = env.fund_state().await.book.balance;
        out_per_day.push(fund_before - fund_after);
        assert!(fund_before - fund_after <= fund_before * 3 / 10 + 1, "at most 30 % per window");
        env.advance(DAY).await;
    }
    assert_eq!(out_per_day[0], 4 * THOUSAND * 3 / 10);
    assert!(out_per_day.iter().all(|&out| out > 0), "the rest gets through, window by window: {out_per_day:?}");
    // The first in line was served before the last.
    assert_eq!(env.stake_position(&stakers[0]).await.book.locked_shares, 0);
    assert!(env.stake_position(&stakers[3]).await.book.locked_shares > 0);
    env.assert_fund_vault_matches_books().await;
}

#[tokio::test]
async fn a_donation_before_the_first_stake_gains_the_donor_nothing_and_costs_the_next_staker_nothing() {
    let mut env = market_with_pool().await;
    let donor = env.actor(10 * THOUSAND).await;
    let fund_vault = pda::fund_vault(&env.fund);
    let ix = anchor_spl::token::spl_token::instruction::transfer(
        &anchor_spl::token::spl_token::ID,
        &donor.token,
        &fund_vault,
        &donor.pubkey(),
        &[],
        10 * THOUSAND,
    )
    .expect("transfer ix");
    env.act(&donor, ix).await.expect("donation");
    assert_eq!(env.fund_state().await.book.balance, 0, "a donation is not on the books");
    let victim = env.seed_fund(THOUSAND).await;
    let out = unstake_all(&mut env, &victim).await;
    assert_eq!(out, THOUSAND, "exactly what was staked");
    assert_eq!(env.token_balance(donor.token).await, 0);
}

#[tokio::test]
async fn staking_events_and_fund_health() {
    let mut env = market_with_pool().await;
    let staker = env.staker(THOUSAND).await;
    let ix = env.staking(&staker).stake(THOUSAND);
    let events = env.simulate_events(&staker, ix.clone()).await;
    env.act(&staker, ix).await.expect("stake");
    let record: StakeRecord = decode_event(&events).expect("StakeRecord");
    assert_eq!(record.action, StakeAction::Stake);
    assert_eq!((record.amount, record.fund_balance_after), (THOUSAND, THOUSAND));
    let shares = record.shares;
    env.act(&staker, env.staking(&staker).request_unstake(shares / 4)).await.expect("request");
    let health: backstop::instructions::FundHealth = decode_event::<backstop::events::FundHealthReport>(
        &env.simulate_events_by(&[], env.keeper_accounts().fund_health(&[env.market])).await,
    )
    .expect("report")
    .health;
    assert_eq!(health.total_shares, shares);
    assert_eq!(health.pending_unstake_value, THOUSAND / 4);
    assert_eq!(health.share_value_per_billion, 1_000_000); // 1e9 shares = 1 USDC at the virtual offset
}

#[tokio::test]
async fn loosening_the_staking_rules_is_timelocked() {
    let mut env = Env::new().await;
    let governance = env.governance.insecure_clone();
    let looser = FundParams { cooldown_secs: 3_600, ..default_fund_params() };
    env.send(&[fund_governance::update_fund_params(governance.pubkey(), env.fund, looser)], &[&governance])
        .await
        .expect("queued");
    assert_eq!(env.fund_state().await.params, default_fund_params());
    let caller = env.actor(0).await;
    let watched = [env.fund];
    let ix = fund_governance::apply_fund_params(env.fund, caller.pubkey());
    env.assert_rejected_by(&watched, &[&caller.keypair.insecure_clone()], ix, BackstopError::TimelockNotElapsed).await;
    env.advance(TIMELOCK).await;
    env.act(&caller, fund_governance::apply_fund_params(env.fund, caller.pubkey())).await.expect("apply");
    assert_eq!(env.fund_state().await.params, looser);
    let bad = FundParams { gate_bps: 0, ..looser };
    let ix = fund_governance::update_fund_params(governance.pubkey(), env.fund, bad);
    env.assert_rejected_by(&watched, &[&governance], ix, BackstopError::InvalidFundParams).await;
}

#[tokio::test]
async fn a_stake_position_of_another_fund_is_refused() {
    let mut env = market_with_pool().await;
    let staker = env.seed_fund(THOUSAND).await;
    let governance = env.governance.insecure_clone();
    let ix = initialize_insurance_fund(governance.pubkey(), env.payer(), env.mint, 1);
    env.send(&[ix], &[&governance]).await.expect("fund 1");
    let other = pda::insurance_fund(1);
    // The fund-0 position named against fund 1 (with fund 1's vault).
    let crossed =
        backstop_tests::builders::Staking { fund: other, vault: pda::fund_vault(&other), ..env.staking(&staker) };
    env.assert_rejected(&staker, crossed.request_unstake(1), BackstopError::FundMismatch).await;
    env.mint_to(staker.token, USDC).await;
    env.assert_rejected(&staker, crossed.stake(USDC), BackstopError::FundMismatch).await;
}
