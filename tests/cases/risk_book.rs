//! The bankruptcy book through the bank: risk-based admission of trades, and what `fund_health` reads from it.

use backstop::error::BackstopError;
use backstop::events::FundHealthReport;
use backstop_tests::*;

const THOUSAND: u64 = 1_000 * USDC;

/// The target shock pinned at 30 % (floor = cap), so the figures below do not depend on volatility.
fn shocked_at_30() -> backstop_math::params::MarketParams {
    backstop_math::params::MarketParams {
        stress_shock_floor_bps: 3_000,
        stress_shock_cap_bps: 3_000,
        ..default_params()
    }
}

/// An LP pool of $1,500 and an empty fund: $1,500 (and the pool's gains) is all a crash deficit can be absorbed by.
async fn thin_market() -> (Env, Actor, Actor) {
    let mut env = Env::with_params(shocked_at_30()).await;
    let lp = env.lp(1_500 * USDC).await;
    let alice = env.trader(THOUSAND).await;
    (env, lp, alice)
}

#[tokio::test]
async fn a_trade_that_would_leave_a_crash_deficit_beyond_the_fund_and_the_pool_is_refused_by_name() {
    let (mut env, _lp, alice) = thin_market().await;
    // 95 SOL long on $1,000 at $100 (9.5×, within initial margin): at $70 it would owe about $1,860, more than
    // the pool's $1,500 and the empty fund.
    env.assert_rejected(&alice, env.flow(&alice).trade(95 * ONE), BackstopError::StressedDeficitBeyondCapacity).await;

    // 50 SOL: about $505 at $70, admitted.
    env.act(&alice, env.flow(&alice).trade(50 * ONE)).await.expect("within what the pool can absorb");
    let stressed = env.assert_book_agrees(&[&alice]).await;
    // Entry $5,000.50 (at the $100.01 ask) less collateral $994.9995 (after the $5.0005 fee) is $4,005.5005 of
    // debt, plus the book's 4-atom rounding slack; at $70 the position is worth $3,500.
    assert_eq!(stressed, 505_500_504);
    // Forty more would take it to about $1,710: refused, nothing changed.
    env.assert_rejected(&alice, env.flow(&alice).trade(40 * ONE), BackstopError::StressedDeficitBeyondCapacity).await;
    // Reducing is always allowed.
    env.act(&alice, env.flow(&alice).trade(-10 * ONE)).await.expect("a reduction");
    let reduced = env.assert_book_agrees(&[&alice]).await;
    assert_eq!(reduced, 206_600_404);
}

#[tokio::test]
async fn a_fund_deep_enough_admits_what_the_pool_alone_could_not() {
    let (mut env, _lp, alice) = thin_market().await;
    env.seed_fund(1_000 * USDC).await;
    // The same 95 SOL: about $1,860 at $70, now within $1,500 of pool and $1,000 of fund.
    env.act(&alice, env.flow(&alice).trade(95 * ONE)).await.expect("fund and pool together absorb it");
    env.assert_book_agrees(&[&alice]).await;
}

#[tokio::test]
async fn fund_health_reads_latent_and_stressed_deficits_and_adequacy_from_the_book() {
    let (mut env, _lp, alice) = thin_market().await;
    env.seed_fund(250 * USDC).await;
    env.act(&alice, env.flow(&alice).trade(50 * ONE)).await.expect("open");
    let stressed = env.assert_book_agrees(&[&alice]).await;
    assert_eq!(stressed, 505_500_504);
    let report = env.simulate_events_by(&[], env.keeper_accounts().fund_health(&[env.market])).await;
    let event = decode_event::<FundHealthReport>(&report).expect("FundHealthReport");
    let (health, market) = (event.health, event.markets[0]);
    assert_eq!(market.target_shock_bps, 3_000);
    assert_eq!(market.stressed_deficit, stressed);
    assert_eq!(market.stressed_ladder[2], stressed, "the ladder's 30 % rung is the target here");
    assert_eq!(market.stressed_ladder[0], 0, "a 9.5× long at 10 %: still solvent (bankrupt near −10.5 %)");
    assert!(
        market.stressed_ladder[1] < market.stressed_ladder[2] && market.stressed_ladder[2] < market.stressed_ladder[3]
    );
    assert_eq!(market.latent_deficit, 0, "nobody is underwater at the last price");
    assert_eq!(market.adequacy_bps, 250 * USDC * 10_000 / stressed);
    assert_eq!((health.stressed_deficit, health.stressed_ladder), (stressed, market.stressed_ladder));
    assert_eq!(health.adequacy_bps, market.adequacy_bps);
    assert_eq!(health.latent_deficit, 0);
}

/// The review's M1: a position opened with ample collateral passes admission (it cannot go bankrupt at the shock);
/// stripping the collateral afterwards raised the market's crash deficit with no check. A withdrawal beside a
/// position is now admitted as a risk-adding trade is.
#[tokio::test]
async fn a_withdrawal_that_strips_a_position_of_its_collateral_is_admitted_like_a_trade() {
    let mut env = Env::with_params(shocked_at_30()).await;
    let _lp = env.lp(1_500 * USDC).await;
    let alice = env.trader(10 * THOUSAND).await;
    // 95 SOL on $10,000: bankrupt only near $4, nothing owed at $70.
    env.act(&alice, env.flow(&alice).trade(95 * ONE)).await.expect("well collateralised");
    assert_eq!(env.assert_book_agrees(&[&alice]).await, 0);
    // Taking $9,000 out would leave about $990: at $70 it would owe about $1,860, beyond the pool's $1,500.
    env.assert_rejected(&alice, env.flow(&alice).withdraw(9 * THOUSAND), BackstopError::StressedDeficitBeyondCapacity)
        .await;
    // $8,000 leaves about $1,990 (owing about $860 at $70, within it).
    env.act(&alice, env.flow(&alice).withdraw(8 * THOUSAND)).await.expect("within what the pool can absorb");
    let stressed = env.assert_book_agrees(&[&alice]).await;
    // Entry $9,500.95 less collateral $1,990.49905 ($10,000 − the $9.50095 fee − $8,000), plus the 4-atom slack,
    // less $6,650 at $70.
    assert_eq!(stressed, 860_450_954);
}

#[tokio::test]
async fn a_market_opens_only_with_its_whole_book_and_the_book_grows_no_further() {
    let mut env = Env::new().await;
    let governance = env.governance.insecure_clone();
    let listing = ListMarket { market_id: 1, ..env.list_market(default_params()) };
    env.send(&[listing.instruction()], &[&governance]).await.expect("listed, its book at 10 KiB");
    env.advance(TIMELOCK).await;
    env.republish().await;
    let market = pda::market(1);
    let activate = activate_market(market, env.payer());
    env.assert_rejected_by(&[market], &[], activate.clone(), BackstopError::MarketBookIncomplete).await;
    // The fund's health needs every market it backs, each with a whole book: a list without the new market is
    // refused, and so is one with its book still growing (each by name, nothing changed).
    let watched = [env.market, market, env.fund];
    let partial = env.keeper_accounts().fund_health(&[env.market]);
    env.assert_rejected_by(&watched, &[], partial, BackstopError::InvalidMarketList).await;
    let growing = env.keeper_accounts().fund_health(&[env.market, market]);
    env.assert_rejected_by(&watched, &[], growing, BackstopError::MarketBookIncomplete).await;
    let refresh = backstop_tests::builders::governance::refresh_market(market, env.oracle, env.fund);
    env.assert_rejected_by(&watched, &[], refresh, BackstopError::MarketBookIncomplete).await;
    for _ in 1..listing.instructions().len() {
        env.send(&[extend_market_book(market, env.payer())], &[]).await.expect("grown");
    }
    let watched = [pda::market_book(&market)];
    env.assert_rejected_by(&watched, &[], extend_market_book(market, env.payer()), BackstopError::MarketBookComplete)
        .await;
    env.send(&[activate], &[]).await.expect("activated with its whole book");
}

/// The second review's M-1: a flip moves an account's crash deficit to the other side. A leveraged long flipped short
/// owed less at +30 % than it had at −30 %, so admission let it through, and the shorts' side went past what the
/// pool could absorb. A flip's old term now counts as nothing on its new side.
#[tokio::test]
async fn a_flip_is_admitted_on_the_side_it_lands_on() {
    let (mut env, _lp, alice) = thin_market().await;
    let bob = env.trader(THOUSAND).await;
    // Bob: 60 SOL short on $1,000, owing about $807 at $130. Alice: 80 SOL long on $1,000, about $1,409 at $70.
    env.act(&bob, env.flow(&bob).trade(-60 * ONE)).await.expect("within what the pool can absorb");
    env.act(&alice, env.flow(&alice).trade(80 * ONE)).await.expect("within what the pool can absorb");
    // Flipping to 60 short would owe about $824 at $130 (less than her $1,409 at $70), but the shorts together
    // would owe about $1,630: beyond the pool.
    env.assert_rejected(&alice, env.flow(&alice).trade(-140 * ONE), BackstopError::StressedDeficitBeyondCapacity).await;
    // Closing is a reduction: always allowed.
    env.act(&alice, env.flow(&alice).trade(-80 * ONE)).await.expect("a close");
    env.assert_book_agrees(&[&alice, &bob]).await;
}
