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

/// IMR 10,000 / MMR 9,999 at once made a healthy 2x long fully liquidatable in the same transaction.
#[tokio::test]
async fn f4_margins_rise_one_bounded_step_a_day_so_a_healthy_book_cannot_be_liquidated_at_once() {
    let mut env = Env::new().await;
    let _lp = env.lp(100 * THOUSAND).await;
    let alice = env.trader(THOUSAND).await;
    let keeper = env.trader(0).await;
    env.act(&alice, env.flow(&alice).trade(20 * ONE)).await.expect("a 2x long");
    let start = env.market_state().await.params; // IMR 1 000, MMR 500, step 2 500

    let freeze = MarketParams { initial_margin_bps: 10_000, maintenance_margin_bps: 9_999, ..start };
    propose(&mut env, freeze).await;
    let market = env.market_state().await;
    assert_eq!(market.params, start, "not applied");
    assert_eq!(market.pending_params, freeze, "queued behind the timelock, in public");
    let ix = env.keeper_accounts().liquidate(keeper.pubkey(), alice.pubkey());
    env.assert_rejected(&keeper, ix, BackstopError::NotLiquidatable).await;
    let governance = env.governance.insecure_clone();
    env.send(&[gov::cancel_market_change(governance.pubkey(), env.market)], &[&governance]).await.expect("cancel");

    // One step at once (+2 500 bps each): Alice, at 50 % margin, stays healthy.
    let step = MarketParams { initial_margin_bps: 3_500, maintenance_margin_bps: 3_000, ..start };
    propose(&mut env, step).await;
    assert_eq!(env.market_state().await.params, step, "one step applies at once");
    // A second step the same day waits.
    env.advance(3_600).await;
    let again = MarketParams { initial_margin_bps: 6_000, maintenance_margin_bps: 5_500, ..start };
    propose(&mut env, again).await;
    let market = env.market_state().await;
    assert_eq!((market.params, market.pending_params), (step, again));
    env.set_price(usd(100), 1_000_000).await;
    let ix = env.keeper_accounts().liquidate(keeper.pubkey(), alice.pubkey());
    env.assert_rejected(&keeper, ix, BackstopError::NotLiquidatable).await;
}

/// `oracle_max_conf_bps` cut to 1 at once made every read fail (liquidations too), and undoing it waited.
#[tokio::test]
async fn f4_an_oracle_bound_cannot_be_cut_below_its_floor_at_once() {
    let mut env = Env::new().await;
    let start = env.market_state().await.params; // confidence 200 bps, age 60 s
    propose(&mut env, MarketParams { oracle_max_conf_bps: 1, ..start }).await;
    assert_eq!(env.market_state().await.params, start, "1 bps would blind the market: queued");
    let governance = env.governance.insecure_clone();
    env.send(&[gov::cancel_market_change(governance.pubkey(), env.market)], &[&governance]).await.expect("cancel");
    let floor = MarketParams { oracle_max_conf_bps: 100, oracle_max_age_secs: 10, ..start };
    propose(&mut env, floor).await;
    assert_eq!(env.market_state().await.params, floor, "down to the floor (1 %, 10 s) applies at once");
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
