//! Governance, the guardian, timelocked loosening, the circuit breaker, and a replay of the April-2026 admin takeover
//! of another Solana perp venue. (The dynamic fee and fund share: `controls.rs`.)

use anchor_lang::prelude::Pubkey;
use backstop::error::BackstopError;
use backstop::events::{BreakerTransition, ExchangeChanged, OracleChanged, ParamsChanged};
use backstop::instructions::ExchangeChange;
use backstop::state::{Exchange, MarketStatus, OracleConfig, OracleKind};
use backstop_math::params::MarketParams;
use backstop_tests::builders::governance as gov;
use backstop_tests::pyth::{PullPrice, PULL_SOL_USD, SOL_USD_FEED_ID};
use backstop_tests::*;
use solana_keypair::Keypair;
use solana_signer::Signer;

const THOUSAND: u64 = 1_000 * USDC;

fn signer(keypair: &Keypair) -> Keypair {
    keypair.insecure_clone()
}

async fn exchange(env: &mut Env) -> Exchange {
    env.load(pda::exchange()).await
}

#[tokio::test]
async fn only_governance_signs_governance_instructions() {
    let mut env = Env::new().await;
    let intruder = Keypair::new();
    let market = env.market;
    let watched = [pda::exchange(), market];
    let change = ExchangeChange {
        guardian: intruder.pubkey(),
        treasury: intruder.pubkey(),
        timelock_delay_secs: TIMELOCK,
        oracle_receiver: intruder.pubkey(),
    };
    let mut loose = default_params();
    loose.max_open_interest *= 2;
    let config = env.oracle_config();
    let attempts = [
        gov::propose_authority(intruder.pubkey(), intruder.pubkey()),
        gov::propose_exchange_change(intruder.pubkey(), change),
        gov::cancel_exchange_change(intruder.pubkey()),
        gov::update_market_params(intruder.pubkey(), market, loose),
        gov::cancel_market_change(intruder.pubkey(), market),
        gov::propose_oracle_change(intruder.pubkey(), market, env.oracle, config),
    ];
    for ix in attempts {
        env.assert_rejected_by(&watched, &[&intruder], ix, BackstopError::Unauthorized).await;
    }
    let pause = gov::set_market_status(intruder.pubkey(), market, MarketStatus::Paused as u8);
    env.assert_rejected_by(&watched, &[&intruder], pause, BackstopError::NotGuardian).await;
}

#[tokio::test]
async fn authority_transfer_takes_two_steps() {
    let mut env = Env::new().await;
    let governance = signer(&env.governance);
    let next = Keypair::new();
    let impostor = Keypair::new();
    env.send(&[gov::propose_authority(governance.pubkey(), next.pubkey())], &[&governance]).await.expect("propose");
    assert_eq!(exchange(&mut env).await.authority, governance.pubkey(), "nothing changes until accepted");
    let watched = [pda::exchange()];
    env.assert_rejected_by(
        &watched,
        &[&impostor],
        gov::accept_authority(impostor.pubkey()),
        BackstopError::NotPendingAuthority,
    )
    .await;
    env.send(&[gov::accept_authority(next.pubkey())], &[&next]).await.expect("accept");
    let state = exchange(&mut env).await;
    assert_eq!((state.authority, state.pending_authority), (next.pubkey(), Pubkey::default()));
    let old = gov::propose_authority(governance.pubkey(), governance.pubkey());
    env.assert_rejected_by(&watched, &[&governance], old, BackstopError::Unauthorized).await;
}

#[tokio::test]
async fn tightening_applies_at_once_with_old_and_new_values() {
    let mut env = Env::new().await;
    let governance = signer(&env.governance);
    let mut tighter = default_params();
    tighter.min_order_size *= 2;
    tighter.max_open_interest /= 2;
    let ix = gov::update_market_params(governance.pubkey(), env.market, tighter);
    let events = env.simulate_events_by(&[&governance], ix.clone()).await;
    env.send(&[ix], &[&governance]).await.expect("tighten");
    let record: ParamsChanged = decode_event(&events).expect("ParamsChanged");
    assert_eq!((record.old, record.new), (default_params(), tighter));
    assert_eq!(env.market_state().await.params, tighter);
}

#[tokio::test]
async fn loosening_waits_for_the_timelock_and_can_be_cancelled() {
    let mut env = Env::new().await;
    let governance = signer(&env.governance);
    let keeper = Keypair::new();
    let market = env.market;
    let mut looser = default_params();
    looser.initial_margin_bps = 500;
    looser.maintenance_margin_bps = 300;
    looser.liquidation_penalty_bps = 200;
    env.send(&[gov::update_market_params(governance.pubkey(), market, looser)], &[&governance]).await.expect("queue");
    let state = env.market_state().await;
    assert_eq!(state.params, default_params(), "not applied yet");
    assert_eq!((state.pending_params, state.params_change.eta), (looser, env.now + TIMELOCK));
    let watched = [market];
    // A second loosening while one is queued.
    let mut other = default_params();
    other.max_open_interest *= 3;
    let ix = gov::update_market_params(governance.pubkey(), market, other);
    env.assert_rejected_by(&watched, &[&governance], ix, BackstopError::ChangeAlreadyQueued).await;
    // Too early, by anyone.
    env.advance(TIMELOCK - 1).await;
    env.assert_rejected_by(
        &watched,
        &[&keeper],
        gov::apply_market_params(market, keeper.pubkey()),
        BackstopError::TimelockNotElapsed,
    )
    .await;
    env.advance(1).await;
    let ix = gov::apply_market_params(market, keeper.pubkey());
    let events = env.simulate_events_by(&[&keeper], ix.clone()).await;
    env.send(&[ix], &[&keeper]).await.expect("apply after the delay");
    let record: ParamsChanged = decode_event(&events).expect("ParamsChanged");
    assert_eq!((record.old, record.new), (default_params(), looser));
    assert_eq!(env.market_state().await.params, looser);

    // Queue again and cancel.
    env.send(&[gov::update_market_params(governance.pubkey(), market, default_params())], &[&governance])
        .await
        .expect("queue the way back");
    env.send(&[gov::cancel_market_change(governance.pubkey(), market)], &[&governance]).await.expect("cancel");
    env.advance(TIMELOCK).await;
    env.assert_rejected_by(
        &watched,
        &[&keeper],
        gov::apply_market_params(market, keeper.pubkey()),
        BackstopError::NoQueuedChange,
    )
    .await;
    env.assert_rejected_by(
        &watched,
        &[&governance],
        gov::cancel_market_change(governance.pubkey(), market),
        BackstopError::NoQueuedChange,
    )
    .await;
}

#[tokio::test]
async fn every_bound_is_checked_on_update() {
    let mut env = Env::new().await;
    let governance = signer(&env.governance);
    let watched = [env.market];
    /// One bound: how to break it and the error that names it.
    struct Bound {
        breaks: fn(&mut MarketParams),
        expected: BackstopError,
    }
    let cases = [
        Bound {
            breaks: |p| p.maintenance_margin_bps = p.initial_margin_bps,
            expected: BackstopError::InvalidMarginRatios,
        },
        Bound {
            breaks: |p| p.liquidation_penalty_bps = p.maintenance_margin_bps,
            expected: BackstopError::InvalidLiquidationPenalty,
        },
        Bound { breaks: |p| p.fee_lp_share_bps += 1, expected: BackstopError::InvalidFeeSplit },
        Bound { breaks: |p| p.oracle_max_age_secs = 0, expected: BackstopError::InvalidOracleBounds },
        Bound { breaks: |p| p.fee_cap_bps = p.taker_fee_bps - 1, expected: BackstopError::InvalidDynamicFee },
        Bound { breaks: |p| p.fund_share_max_bps = 9_999, expected: BackstopError::InvalidFundShare },
        Bound { breaks: |p| p.breaker_cooldown_secs = 0, expected: BackstopError::InvalidCircuitBreaker },
        Bound { breaks: |p| p.funding_cap_ppm = 10_001, expected: BackstopError::InvalidFundingParams },
    ];
    for case in cases {
        let mut params = default_params();
        (case.breaks)(&mut params);
        let ix = gov::update_market_params(governance.pubkey(), env.market, params);
        env.assert_rejected_by(&watched, &[&governance], ix, case.expected).await;
    }
    let unchanged = gov::update_market_params(governance.pubkey(), env.market, default_params());
    env.assert_rejected_by(&watched, &[&governance], unchanged, BackstopError::NoChange).await;
}

#[tokio::test]
async fn exchange_changes_are_timelocked() {
    let mut env = Env::new().await;
    let governance = signer(&env.governance);
    let new_guardian = Keypair::new();
    let change = ExchangeChange {
        guardian: new_guardian.pubkey(),
        treasury: Pubkey::new_unique(),
        timelock_delay_secs: 2 * TIMELOCK,
        oracle_receiver: Pubkey::default(),
    };
    let watched = [pda::exchange()];
    let bad = ExchangeChange { timelock_delay_secs: 60, ..change };
    env.assert_rejected_by(
        &watched,
        &[&governance],
        gov::propose_exchange_change(governance.pubkey(), bad),
        BackstopError::InvalidTimelockDelay,
    )
    .await;
    env.send(&[gov::propose_exchange_change(governance.pubkey(), change)], &[&governance]).await.expect("queue");
    let caller = Keypair::new();
    env.assert_rejected_by(
        &watched,
        &[&caller],
        gov::apply_exchange_change(caller.pubkey()),
        BackstopError::TimelockNotElapsed,
    )
    .await;
    env.advance(TIMELOCK).await;
    let ix = gov::apply_exchange_change(caller.pubkey());
    let events = env.simulate_events_by(&[&caller], ix.clone()).await;
    env.send(&[ix], &[&caller]).await.expect("apply");
    let record: ExchangeChanged = decode_event(&events).expect("ExchangeChanged");
    assert_eq!((record.old_guardian, record.new_guardian), (env.guardian.pubkey(), change.guardian));
    assert_eq!((record.old_timelock_delay_secs, record.new_timelock_delay_secs), (TIMELOCK, 2 * TIMELOCK));
    let state = exchange(&mut env).await;
    assert_eq!(
        (state.guardian, state.treasury, state.timelock_delay_secs),
        (change.guardian, change.treasury, 2 * TIMELOCK)
    );
}

#[tokio::test]
async fn the_guardian_only_restricts_and_governance_reactivates() {
    let mut env = Env::new().await;
    let (governance, guardian) = (signer(&env.governance), signer(&env.guardian));
    let market = env.market;
    let watched = [market];
    env.send(&[gov::set_market_status(guardian.pubkey(), market, MarketStatus::ReduceOnly as u8)], &[&guardian])
        .await
        .expect("reduce-only");
    env.send(&[gov::set_market_status(guardian.pubkey(), market, MarketStatus::Paused as u8)], &[&guardian])
        .await
        .expect("pause");
    let loosen = gov::set_market_status(guardian.pubkey(), market, MarketStatus::ReduceOnly as u8);
    env.assert_rejected_by(&watched, &[&guardian], loosen, BackstopError::GuardianCannotLoosen).await;
    let loosen = gov::set_market_status(guardian.pubkey(), market, MarketStatus::Active as u8);
    env.assert_rejected_by(&watched, &[&guardian], loosen, BackstopError::GuardianCannotLoosen).await;
    let listing = gov::set_market_status(guardian.pubkey(), market, MarketStatus::Listing as u8);
    env.assert_rejected_by(&watched, &[&guardian], listing, BackstopError::InvalidStatusTransition).await;
    env.send(&[gov::set_market_status(governance.pubkey(), market, MarketStatus::Active as u8)], &[&governance])
        .await
        .expect("governance re-activates");
    assert_eq!(env.market_state().await.status, MarketStatus::Active as u8);
}

#[tokio::test]
async fn an_oracle_change_is_timelocked() {
    let mut env = Env::new().await;
    let governance = signer(&env.governance);
    let market = env.market;
    let _lp = env.lp(100 * THOUSAND).await;
    let alice = env.trader(THOUSAND).await;
    let new_oracle = Pubkey::new_unique();
    let mut update = PullPrice::from_fixture(PULL_SOL_USD, backstop::oracle::PYTH_RECEIVER_PROGRAM_ID);
    update.set(usd(100), 1_000_000, env.now);
    env.ctx.set_account(&new_oracle, &update.account().into());
    let config = OracleConfig {
        kind: OracleKind::PythPull as u8,
        receiver: backstop::oracle::PYTH_RECEIVER_PROGRAM_ID,
        feed_id: SOL_USD_FEED_ID,
        min_signatures: 0,
    };
    env.send(&[gov::propose_oracle_change(governance.pubkey(), market, new_oracle, config)], &[&governance])
        .await
        .expect("queue");
    let watched = [market];
    let keeper = Keypair::new();
    env.assert_rejected_by(
        &watched,
        &[&keeper],
        gov::apply_oracle_change(market, new_oracle, keeper.pubkey()),
        BackstopError::TimelockNotElapsed,
    )
    .await;
    env.act(&alice, env.flow(&alice).trade(ONE)).await.expect("the old oracle still rules");
    env.advance(TIMELOCK).await;
    let other = env.oracle;
    env.assert_rejected_by(
        &watched,
        &[&keeper],
        gov::apply_oracle_change(market, other, keeper.pubkey()),
        BackstopError::OracleMismatch,
    )
    .await;
    // The old oracle's last print the market uses, just before the change.
    env.advance(2).await;
    env.set_price(usd(100), 1_000_000).await;
    env.act(&alice, env.flow(&alice).trade(ONE)).await.expect("the old oracle, just before the change");
    update.set(usd(100), 1_000_000, env.now);
    env.ctx.set_account(&new_oracle, &update.account().into());
    let ix = gov::apply_oracle_change(market, new_oracle, keeper.pubkey());
    let events = env.simulate_events_by(&[&keeper], ix.clone()).await;
    env.send(&[ix], &[&keeper]).await.expect("apply");
    let record: OracleChanged = decode_event(&events).expect("OracleChanged");
    assert_eq!((record.old_oracle, record.new_oracle, record.new_config), (other, new_oracle, config));
    let state = env.market_state().await;
    assert_eq!((state.oracle, state.oracle_kind), (new_oracle, OracleKind::PythPull as u8));
    env.set_price(usd(100), 1_000_000).await; // the old account, fresh: no longer the market's
    env.assert_rejected(&alice, env.flow(&alice).trade(ONE), BackstopError::OracleMismatch).await;
    let on_new = Flow { oracle: new_oracle, ..env.flow(&alice) };
    // Ordering survives the change: a fresh, verified print older than the last one the market used is refused.
    let last_used = env.market_state().await.last_oracle_publish_time;
    assert_eq!(last_used, env.now);
    env.advance(1).await;
    update.set(usd(100), 1_000_000, last_used - 1);
    env.ctx.set_account(&new_oracle, &update.account().into());
    env.assert_rejected(&alice, on_new.trade(ONE), BackstopError::OracleOutOfOrder).await;
    update.set(usd(100), 1_000_000, env.now);
    env.ctx.set_account(&new_oracle, &update.account().into());
    env.act(&alice, on_new.trade(ONE)).await.expect("trades on the new oracle");
}

#[tokio::test]
async fn the_circuit_breaker_trips_on_a_fast_move_and_clears_after_calm() {
    let mut params = default_params();
    params.breaker_move_bps = 1_500; // 15 % within 10 minutes
    params.breaker_window_secs = 600;
    params.breaker_cooldown_secs = 1_800;
    let mut env = Env::with_params(params).await;
    let _lp = env.lp(100 * THOUSAND).await;
    let alice = env.trader(THOUSAND).await;
    let keeper = Keypair::new();
    env.act(&alice, env.flow(&alice).trade(ONE)).await.expect("calm trade");
    env.advance(120).await;
    env.set_price(usd(80), 1_000_000).await; // −20 % in two minutes
    let poke = gov::refresh_market(env.market, env.oracle, env.fund);
    let events = env.simulate_events_by(&[], poke.clone()).await;
    env.send(&[poke], &[]).await.expect("poke");
    let trip: BreakerTransition = decode_event(&events).expect("BreakerTransition");
    assert!(trip.tripped);
    assert_eq!(trip.move_bps, 2_000);
    env.assert_rejected(&alice, env.flow(&alice).trade(ONE), BackstopError::MarketReduceOnly).await;
    env.act(&alice, env.flow(&alice).trade(-ONE / 2)).await.expect("reducing is allowed");
    // Half an hour of calm at the new level clears it.
    env.advance(1_800).await;
    env.set_price(usd(80), 1_000_000).await;
    let poke = gov::refresh_market(env.market, env.oracle, env.fund);
    let events = env.simulate_events_by(&[], poke.clone()).await;
    env.send(&[poke], &[]).await.expect("poke");
    let clear: BreakerTransition = decode_event(&events).expect("BreakerTransition");
    assert!(!clear.tripped);
    env.act(&alice, env.flow(&alice).trade(ONE)).await.expect("active again");
    let _ = keeper;
}

#[tokio::test]
async fn the_circuit_breaker_trips_on_uncertainty() {
    let mut params = default_params();
    params.breaker_conf_bps = 50; // 0.5 %
    let mut env = Env::with_params(params).await;
    let _lp = env.lp(100 * THOUSAND).await;
    let alice = env.trader(THOUSAND).await;
    // ± $0.60 on average lately (the publishers' EMA of confidence): within the 2 % oracle bound, above the 0.5 %
    // breaker.
    env.set_price(usd(100), 60_000_000).await;
    env.send(&[gov::refresh_market(env.market, env.oracle, env.fund)], &[]).await.expect("poke");
    assert_eq!(env.market_state().await.breaker.tripped, 1);
    // A wide print cannot add risk by itself (`OracleUncertain`); once calmer, the tripped breaker still holds.
    env.assert_rejected(&alice, env.flow(&alice).trade(ONE), BackstopError::OracleUncertain).await;
    env.set_price(usd(100), 1_000_000).await;
    env.assert_rejected(&alice, env.flow(&alice).trade(ONE), BackstopError::MarketReduceOnly).await;
}

/// April 2026: a perp venue's admin multisig, without a timelock, was taken over and used in one batch to list a
/// fake market on its own oracle, raise caps and lift withdrawal limits; ~$280M left. Here the same batch takes
/// effect nowhere before the timelock, the guardian pauses in between, and no instruction can move fund or user
/// money to the authority at all.
#[tokio::test]
async fn replay_of_the_april_2026_admin_takeover_fails() {
    let mut env = Env::new().await;
    env.seed_fund(500 * THOUSAND).await;
    let _lp = env.lp(100 * THOUSAND).await;
    let alice = env.trader(10 * THOUSAND).await;
    let attacker = signer(&env.governance); // the compromised authority
    let guardian = signer(&env.guardian);
    let attacker_wallet = env.actor(0).await;
    let fund_vault = pda::fund_vault(&env.fund);
    let balances_before = (env.token_balance(env.vault).await, env.token_balance(fund_vault).await);

    // 1. List a fake market on an oracle the attacker controls (a real layout, priced at will).
    let fake_oracle = Pubkey::new_unique();
    let mut fake_price = env.price.clone();
    fake_price.set(usd(1_000_000), 1, env.now);
    env.ctx.set_account(&fake_oracle, &fake_price.account(backstop::oracle::PYTH_LEGACY_PROGRAM_ID).into());
    let mut fake_params = default_params();
    fake_params.initial_margin_bps = 60; // the loosest allowed
    fake_params.maintenance_margin_bps = 50;
    fake_params.liquidation_penalty_bps = 10;
    let listing = ListMarket { oracle: fake_oracle, market_id: 1, params: fake_params, ..env.list_market(fake_params) };
    env.send(&listing.instructions(), &[&attacker]).await.expect("the listing is queued, not live");
    let fake_market = pda::market(1);
    // 2. Raise the real market's caps and lift its limits.
    let mut lifted = default_params();
    lifted.max_open_interest = u64::try_from(i64::MAX).unwrap();
    lifted.fund_draw_cap = u64::MAX / 2;
    lifted.oracle_max_age_secs = 300;
    lifted.unrealized_profit_cap_bps = 10_000;
    env.send(&[gov::update_market_params(attacker.pubkey(), env.market, lifted)], &[&attacker]).await.expect("queued");
    assert_eq!(env.market_state().await.params, default_params(), "nothing took effect");

    // The fake market is not live: nobody can deposit into it or activate it early.
    let victim_flow = Flow {
        market: fake_market,
        position: pda::margin_account(&fake_market, &alice.pubkey()),
        vault: pda::market_vault(&fake_market),
        book: pda::market_book(&fake_market),
        oracle: fake_oracle,
        ..env.flow(&alice)
    };
    env.act(&alice, create_margin_account(fake_market, alice.pubkey())).await.expect("account");
    env.assert_rejected(&alice, victim_flow.deposit(USDC), BackstopError::MarketNotLive).await;
    let watched = [fake_market];
    env.assert_rejected_by(&watched, &[], activate_market(fake_market, env.payer()), BackstopError::TimelockNotElapsed)
        .await;

    // 3. Within the delay the guardian pauses the fake listing and puts the real market in reduce-only.
    env.send(&[gov::set_market_status(guardian.pubkey(), fake_market, MarketStatus::Paused as u8)], &[&guardian])
        .await
        .expect("pause the fake market");
    env.send(&[gov::set_market_status(guardian.pubkey(), env.market, MarketStatus::ReduceOnly as u8)], &[&guardian])
        .await
        .expect("reduce-only");
    env.advance(TIMELOCK).await;
    env.set_price(usd(100), 1_000_000).await;
    env.assert_rejected_by(
        &watched,
        &[],
        activate_market(fake_market, env.payer()),
        BackstopError::InvalidStatusTransition,
    )
    .await;
    env.assert_rejected_by(
        &watched,
        &[&attacker],
        gov::set_market_status(attacker.pubkey(), fake_market, MarketStatus::Active as u8),
        BackstopError::InvalidStatusTransition,
    )
    .await;

    // No path leads to the money: the vaults are intact and the attacker's wallet is empty.
    assert_eq!((env.token_balance(env.vault).await, env.token_balance(fund_vault).await), balances_before);
    assert_eq!(env.token_balance(attacker_wallet.token).await, 0);
    env.act(&alice, env.flow(&alice).withdraw(10 * THOUSAND)).await.expect("users can still leave");
    env.assert_vault_matches_books().await;
    env.assert_fund_vault_matches_books().await;
}
