//! Security review F4: "tightenings" applied without the timelock could move value or freeze a market in one
//! transaction. Replays with the review's numbers: what moves value waits, margins rise one bounded step a day,
//! and the oracle bounds have a floor no immediate change goes below.

use backstop::error::BackstopError;
use backstop_math::params::MarketParams;
use backstop_tests::builders::governance as gov;
use backstop_tests::*;
use solana_signer::Signer;

const THOUSAND: u64 = 1_000 * USDC;

async fn propose(env: &mut Env, params: MarketParams) {
    let governance = env.governance.insecure_clone();
    env.send(&[gov::update_market_params(governance.pubkey(), env.market, params)], &[&governance])
        .await
        .expect("proposal accepted (applied or queued)");
}

/// IMR 10,000 / MMR 9,999 at once made a healthy 2x long fully liquidatable in the same transaction; reviews of
/// the first fixes found that a "step" of +2,500 on maintenance still liquidated every account above 3.3x at once,
/// and one of +500 on initial margin enlarged every liquidation's close and penalty (by 31 % in their example).
/// Margins now always wait (the guardian's reduce-only is the emergency tool for new risk); the minimum order
/// steps at most double, once a day.
#[tokio::test]
async fn f4_margins_wait_and_the_minimum_order_steps_at_most_double_a_day() {
    let mut env = Env::new().await;
    let _lp = env.lp(100 * THOUSAND).await;
    let alice = env.trader(THOUSAND).await;
    let bob = env.trader(THOUSAND).await;
    let keeper = env.trader(0).await;
    env.act(&alice, env.flow(&alice).trade(20 * ONE)).await.expect("a 2x long");
    env.act(&bob, env.flow(&bob).trade(80 * ONE)).await.expect("an 8x long");
    let start = env.market_state().await.params; // IMR 1 000, MMR 500
    let governance = env.governance.insecure_clone();
    let liquidate = |env: &Env, who: &Actor| env.keeper_accounts().liquidate(keeper.pubkey(), who.pubkey());

    let freeze = MarketParams { initial_margin_bps: 10_000, maintenance_margin_bps: 9_999, ..start };
    propose(&mut env, freeze).await;
    let market = env.market_state().await;
    assert_eq!(market.params, start, "not applied");
    assert_eq!(market.pending_params, freeze, "queued behind the timelock, in public");
    env.assert_rejected(&keeper, liquidate(&env, &alice), BackstopError::NotLiquidatable).await;
    env.send(&[gov::cancel_market_change(governance.pubkey(), env.market)], &[&governance]).await.expect("cancel");

    // Maintenance +2 500 (the review's replay): queued, so the 8x long is not liquidated in the same transaction.
    let squeeze = MarketParams { maintenance_margin_bps: 3_000, initial_margin_bps: 3_500, ..start };
    propose(&mut env, squeeze).await;
    assert_eq!(env.market_state().await.params, start);
    env.assert_rejected(&keeper, liquidate(&env, &bob), BackstopError::NotLiquidatable).await;
    env.send(&[gov::cancel_market_change(governance.pubkey(), env.market)], &[&governance]).await.expect("cancel");

    // Initial margin +500: queued too.
    let nudge = MarketParams { initial_margin_bps: 1_500, ..start };
    propose(&mut env, nudge).await;
    assert_eq!(env.market_state().await.params, start);
    env.send(&[gov::cancel_market_change(governance.pubkey(), env.market)], &[&governance]).await.expect("cancel");

    // One step at once (the minimum order doubled); a second the same day waits.
    let step = MarketParams { min_order_size: start.min_order_size * 2, ..start };
    propose(&mut env, step).await;
    assert_eq!(env.market_state().await.params, step, "one step applies at once");
    env.advance(3_600).await;
    let again = MarketParams { min_order_size: start.min_order_size * 4, ..start };
    propose(&mut env, again).await;
    let market = env.market_state().await;
    assert_eq!((market.params, market.pending_params), (step, again));
    env.set_price(usd(100), 1_000_000).await;
    env.assert_rejected(&keeper, liquidate(&env, &bob), BackstopError::NotLiquidatable).await;
}

/// `oracle_max_conf_bps` cut to 1 at once made every read fail (liquidations too), and undoing it waited. Cuts
/// now halve at most, once a day, never below 1 % and 10 s.
#[tokio::test]
async fn f4_an_oracle_bound_is_at_most_halved_at_once_and_never_below_its_floor() {
    let mut env = Env::new().await;
    let start = env.market_state().await.params; // confidence 200 bps, age 60 s
    let governance = env.governance.insecure_clone();
    let quick = MarketParams { oracle_max_age_secs: 29, liquidation_max_age_secs: 29, ..start };
    for blind in [MarketParams { oracle_max_conf_bps: 1, ..start }, quick] {
        propose(&mut env, blind).await;
        assert_eq!(env.market_state().await.params, start, "queued");
        env.send(&[gov::cancel_market_change(governance.pubkey(), env.market)], &[&governance]).await.expect("cancel");
    }
    let half = MarketParams { oracle_max_conf_bps: 100, oracle_max_age_secs: 30, ..start };
    propose(&mut env, half).await;
    assert_eq!(env.market_state().await.params, half, "halved (and at the 1 % floor) at once");
}

/// Value transfers wait in both directions: funding up (an instant charge on traders), the LP's fee share down,
/// the execution spread up, the fund's draw cap down.
#[tokio::test]
async fn f4_value_moving_changes_wait_for_the_timelock() {
    let mut env = Env::new().await;
    let start = env.market_state().await.params;
    let transfers = [
        MarketParams { funding_coefficient_ppm: 100, funding_cap_ppm: 100, ..start },
        MarketParams { fee_lp_share_bps: 3_000, fee_fund_share_bps: 6_000, fund_share_max_bps: 6_000, ..start },
        MarketParams { exec_conf_scale_bps: 20_000, ..start },
        MarketParams { fund_draw_cap: start.fund_draw_cap / 2, ..start },
    ];
    let governance = env.governance.insecure_clone();
    for change in transfers {
        propose(&mut env, change).await;
        let market = env.market_state().await;
        assert_eq!((market.params, market.pending_params), (start, change), "queued, not applied");
        env.send(&[gov::cancel_market_change(governance.pubkey(), env.market)], &[&governance]).await.expect("cancel");
    }
}
