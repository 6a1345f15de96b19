//! F3 of the security review: a queued parameter set silently reverted an emergency tightening applied at once
//! in between (markets and funds alike). Replayed with its numbers: on a market the tightening survives the
//! queue's apply; a fund's rules no longer change at once at all.

use backstop::error::BackstopError;
use backstop_math::params::MarketParams;
use backstop_math::staking::FundParams;
use backstop_tests::builders::{fund_governance, governance as gov};
use backstop_tests::*;
use solana_signer::Signer;

/// Queued: a fee change (it never applies at once). Then an emergency tightening at once. The review's was IMR
/// 2,500, MMR 1,500, open interest ÷ 10, oracle age 10 s, and applying the queue put back 1,000 / 500 / 10,000 SOL
/// / 60 s; since F4 margins always wait and only a bounded step applies at once (the cap cut, the oracle age
/// halved, the minimum order doubled), and that step survives the queue's apply: only the fee changes.
#[tokio::test]
async fn a_queued_market_change_does_not_undo_an_emergency_tightening() {
    let mut env = Env::new().await;
    let governance = env.governance.insecure_clone();
    let queued = MarketParams { taker_fee_bps: 12, fee_cap_bps: 12, ..default_params() };
    env.send(&[gov::update_market_params(governance.pubkey(), env.market, queued)], &[&governance])
        .await
        .expect("queue");
    let emergency = MarketParams {
        min_order_size: default_params().min_order_size * 2,
        max_open_interest: default_params().max_open_interest / 10,
        oracle_max_age_secs: 30,
        ..default_params()
    };
    env.send(&[gov::update_market_params(governance.pubkey(), env.market, emergency)], &[&governance])
        .await
        .expect("a bounded safety tightening applies at once");
    assert_eq!(env.market_state().await.params, emergency);
    env.advance(TIMELOCK).await;
    let anyone = env.trader(0).await;
    env.act(&anyone, gov::apply_market_params(env.market, anyone.pubkey())).await.expect("apply the queue");
    let params = env.market_state().await.params;
    assert_eq!(params, MarketParams { taker_fee_bps: 12, fee_cap_bps: 12, ..emergency });
    assert_eq!(
        (params.min_order_size, params.max_open_interest, params.oracle_max_age_secs),
        (default_params().min_order_size * 2, default_params().max_open_interest / 10, 30),
        "not back to 0.001 SOL / 10,000 SOL / 60 s"
    );
}

/// The same race on a fund: a queued loosening of the vesting, then a 30-day cooldown and a 5 % gate "at once".
/// Before the fix applying the queue put back a 1-day cooldown and a 100 % gate. Now no change to the staking
/// rules applies at once (F4: they decide who leaves first when a loss looms), so there is no race: the second
/// change is refused while the first is queued, and stakers see every change a whole timelock ahead.
#[tokio::test]
async fn a_fund_change_never_applies_at_once_so_nothing_can_race_the_queue() {
    let mut env = Env::new().await;
    let governance = env.governance.insecure_clone();
    let queued = FundParams { vesting_period_secs: 3_600, ..default_fund_params() };
    let ix = fund_governance::update_fund_params(governance.pubkey(), env.fund, queued);
    env.send(&[ix], &[&governance]).await.expect("a shorter vesting is queued");
    let emergency = FundParams { cooldown_secs: 30 * 86_400, gate_bps: 500, ..default_fund_params() };
    let ix = fund_governance::update_fund_params(governance.pubkey(), env.fund, emergency);
    let watched = [env.fund];
    env.assert_rejected_by(&watched, &[&governance], ix, BackstopError::ChangeAlreadyQueued).await;
    assert_eq!(env.fund_state().await.params, default_fund_params(), "nothing applied at once");
    env.advance(TIMELOCK).await;
    let ix = fund_governance::apply_fund_params(env.fund, env.payer());
    env.send(&[ix], &[]).await.expect("apply the queue");
    assert_eq!(env.fund_state().await.params, queued);
    // The tightening goes through the timelock like anything else.
    let ix = fund_governance::update_fund_params(governance.pubkey(), env.fund, emergency);
    env.send(&[ix], &[&governance]).await.expect("queued");
    assert_eq!(env.fund_state().await.params, queued);
}

/// A queued fund change can be cancelled by governance (markets and the exchange could; funds could not), and by
/// no one else; after the cancel there is nothing to apply.
#[tokio::test]
async fn a_queued_fund_change_can_be_cancelled() {
    let mut env = Env::new().await;
    let governance = env.governance.insecure_clone();
    let queued = FundParams { vesting_period_secs: 3_600, ..default_fund_params() };
    let ix = fund_governance::update_fund_params(governance.pubkey(), env.fund, queued);
    env.send(&[ix], &[&governance]).await.expect("queued");
    let stranger = env.trader(0).await;
    let watched = [env.fund];
    let forged = fund_governance::cancel_fund_change(stranger.pubkey(), env.fund);
    let signer = stranger.keypair.insecure_clone();
    env.assert_rejected_by(&watched, &[&signer], forged, BackstopError::Unauthorized).await;
    let ix = fund_governance::cancel_fund_change(governance.pubkey(), env.fund);
    env.send(&[ix], &[&governance]).await.expect("cancelled");
    assert!(!env.fund_state().await.params_change.is_queued());
    let again = fund_governance::cancel_fund_change(governance.pubkey(), env.fund);
    env.assert_rejected_by(&watched, &[&governance], again, BackstopError::NoQueuedChange).await;
    env.advance(TIMELOCK).await;
    let apply = fund_governance::apply_fund_params(env.fund, env.payer());
    env.assert_rejected_by(&watched, &[], apply, BackstopError::NoQueuedChange).await;
    assert_eq!(env.fund_state().await.params, default_fund_params());
}

/// A merge that could never apply is dropped, never the emergency change: queued, a minimum order of 5 SOL; then
/// the open-interest cap cut to 4 SOL at once. The queue would hold a minimum above the cap (invalid) and be stuck
/// until cancelled.
#[tokio::test]
async fn a_queue_the_emergency_change_makes_invalid_is_dropped() {
    let mut env = Env::new().await;
    let governance = env.governance.insecure_clone();
    let queued = MarketParams { min_order_size: 5 * ONE as u64, ..default_params() };
    env.send(&[gov::update_market_params(governance.pubkey(), env.market, queued)], &[&governance])
        .await
        .expect("queue");
    let emergency = MarketParams { max_open_interest: 4 * ONE as u64, ..default_params() };
    env.send(&[gov::update_market_params(governance.pubkey(), env.market, emergency)], &[&governance])
        .await
        .expect("the emergency change applies");
    let market = env.market_state().await;
    assert_eq!((market.params, market.params_change.is_queued()), (emergency, false));
}
