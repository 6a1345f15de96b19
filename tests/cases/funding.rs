//! Funding: exact accrual for long-heavy, short-heavy and balanced markets, zero open interest, a six-hour gap,
//! a position liquidated by funding alone, and parameter bounds.

use backstop::error::BackstopError;
use backstop::events::TradeRecord;
use backstop_math::funding::FUNDING_INDEX_PRECISION;
use backstop_tests::*;
use solana_signer::Signer;

const THOUSAND: u64 = 1_000 * USDC;
const HOUR: i64 = 3_600;

/// Funding per unit per hour at $100 for a rate in ppm/hour, in quote atoms: 100 × 1e6 × ppm / 1e6.
const fn per_unit_hour(ppm: i64) -> i64 {
    100 * ppm
}

async fn market(params: backstop_math::params::MarketParams) -> (Env, Actor, Actor) {
    let mut env = Env::with_params(params).await;
    let _lp = env.lp(100 * THOUSAND).await;
    let alice = env.trader(10 * THOUSAND).await;
    let bob = env.trader(10 * THOUSAND).await;
    (env, alice, bob)
}

/// Brings `actor`'s account up to date (a 1-atom deposit touches it) and returns its collateral change.
async fn settle(env: &mut Env, actor: &Actor) -> i64 {
    let before = env.margin(actor).await.balances.collateral;
    env.mint_to(actor.token, 1).await;
    env.act(actor, env.flow(actor).deposit(1)).await.expect("touch");
    env.margin(actor).await.balances.collateral - before - 1
}

/// Opens Alice long `long` and Bob short `short` at $100 ± 0, so fills carry no spread.
async fn open(env: &mut Env, alice: &Actor, bob: &Actor, long: i64, short: i64) {
    env.set_price(usd(100), 0).await;
    if long != 0 {
        env.act(alice, env.flow(alice).trade(long * ONE)).await.expect("alice");
    }
    if short != 0 {
        env.act(bob, env.flow(bob).trade(-short * ONE)).await.expect("bob");
    }
}

async fn pass(env: &mut Env, seconds: i64) {
    env.advance(seconds).await;
    env.set_price(usd(100), 0).await;
}

#[tokio::test]
async fn long_heavy_market_longs_pay_shorts_and_pool_receive() {
    let (mut env, alice, bob) = market(funding_params()).await;
    open(&mut env, &alice, &bob, 30, 10).await;
    let pool_before = env.market_state().await.books.pool_balance;
    pass(&mut env, HOUR).await;
    // Skew 20 over max(40, depth 100) = 20 %: 100 ppm × 0.2 = 20 ppm/hour = $0.002 per SOL per hour.
    let rate_unit = per_unit_hour(20);
    assert_eq!(settle(&mut env, &alice).await, -30 * rate_unit);
    assert_eq!(settle(&mut env, &bob).await, 10 * rate_unit);
    let market = env.market_state().await;
    assert_eq!(market.books.funding_rate_ppb, 20_000);
    assert_eq!(market.books.cumulative_funding_index, rate_unit * FUNDING_INDEX_PRECISION);
    assert_eq!(market.books.pool_balance, pool_before + u64::try_from(20 * rate_unit).unwrap());
    env.assert_vault_matches_books().await;
}

#[tokio::test]
async fn short_heavy_market_shorts_pay() {
    let (mut env, alice, bob) = market(funding_params()).await;
    open(&mut env, &alice, &bob, 10, 40).await;
    pass(&mut env, HOUR).await;
    // Skew −30 over 100: −30 ppm/hour.
    assert_eq!(settle(&mut env, &alice).await, 10 * per_unit_hour(30));
    assert_eq!(settle(&mut env, &bob).await, -40 * per_unit_hour(30));
    env.assert_vault_matches_books().await;
}

#[tokio::test]
async fn the_rate_is_capped() {
    let (mut env, alice, bob) = market(funding_params()).await;
    open(&mut env, &alice, &bob, 90, 0).await; // skew 90 % → 90 ppm, capped at 50
    pass(&mut env, HOUR).await;
    assert_eq!(settle(&mut env, &alice).await, -90 * per_unit_hour(50));
}

#[tokio::test]
async fn a_balanced_market_and_an_empty_one_pay_nothing() {
    let (mut env, alice, bob) = market(funding_params()).await;
    pass(&mut env, 10 * HOUR).await; // nobody holds anything
    assert_eq!(env.market_state().await.books.cumulative_funding_index, 0);
    open(&mut env, &alice, &bob, 25, 25).await;
    pass(&mut env, 10 * HOUR).await;
    assert_eq!(settle(&mut env, &alice).await, 0);
    assert_eq!(settle(&mut env, &bob).await, 0);
    assert_eq!(env.market_state().await.books.cumulative_funding_index, 0);
}

#[tokio::test]
async fn a_six_hour_gap_accrues_six_hours_in_one_step() {
    let (mut env, alice, bob) = market(funding_params()).await;
    open(&mut env, &alice, &bob, 30, 10).await;
    pass(&mut env, 6 * HOUR).await;
    let ix = env.flow(&alice).trade(ONE / 100);
    let events = env.simulate_events(&alice, ix).await;
    let trade: TradeRecord = decode_event(&events).expect("TradeRecord");
    let accrued = trade.funding;
    assert_eq!((accrued.rate_ppb, accrued.skew, accrued.elapsed), (20_000, 20 * ONE, 6 * HOUR));
    assert_eq!(trade.funding_settled, 30 * 6 * per_unit_hour(20));
    assert_eq!(settle(&mut env, &alice).await, -30 * 6 * per_unit_hour(20));
}

#[tokio::test]
async fn funding_alone_makes_a_position_liquidatable_on_time() {
    let mut params = funding_params();
    params.funding_coefficient_ppm = 10_000;
    params.funding_cap_ppm = 10_000; // 1 % of notional per hour when one-sided
    params.funding_depth = backstop_math::constants::BASE_PRECISION_U64;
    let mut env = Env::with_params(params).await;
    let _lp = env.lp(100 * THOUSAND).await;
    let alice = env.trader(100 * USDC).await;
    let keeper = env.trader(0).await;
    env.set_price(usd(100), 0).await;
    env.act(&alice, env.flow(&alice).trade(9 * ONE)).await.expect("9x long, alone");
    // Equity ≈ $99.1 against $45 of maintenance: $9 of funding per hour takes 6 hours to breach it.
    pass(&mut env, 5 * HOUR).await;
    let ix = env.keeper_accounts().liquidate(keeper.pubkey(), alice.pubkey());
    env.assert_rejected(&keeper, ix, BackstopError::NotLiquidatable).await;
    pass(&mut env, HOUR + 60).await;
    env.act(&keeper, env.keeper_accounts().liquidate(keeper.pubkey(), alice.pubkey()))
        .await
        .expect("liquidated by funding");
    env.assert_vault_matches_books().await;
}

#[tokio::test]
async fn funding_parameters_are_bounded() {
    let mut env = Env::bare().await;
    env.initialize_exchange().await;
    let governance = env.governance.insecure_clone();
    let ix = initialize_insurance_fund(solana_signer::Signer::pubkey(&governance), env.payer(), env.mint, 0);
    env.send(&[ix], &[&governance]).await.expect("fund");
    let watched = [pda::market(0)];
    for breaks in [
        |p: &mut backstop_math::params::MarketParams| p.funding_coefficient_ppm = 10_001,
        |p: &mut backstop_math::params::MarketParams| p.funding_cap_ppm = 10_001,
        |p: &mut backstop_math::params::MarketParams| p.funding_depth = 0,
    ] {
        let mut params = funding_params();
        breaks(&mut params);
        let listing = env.list_market(params);
        env.assert_rejected_by(&watched, &[&governance], listing.instruction(), BackstopError::InvalidFundingParams)
            .await;
    }
}

/// Security review F10: a funding change reached back over every idle hour. Replay: funding off, a 100-SOL long
/// idle for 8 hours, then coefficient and cap raised to 1 %/hour. Before the fix the long owed $800 for hours
/// when funding was off; now the idle hours (and the timelock's, since a funding change moves value and so waits,
/// review F4) accrue under the parameters in force, and only the hour after the change is charged ($100).
#[tokio::test]
async fn a_funding_change_does_not_reach_back_over_idle_hours() {
    let (mut env, alice, bob) = market(default_params()).await;
    open(&mut env, &alice, &bob, 100, 0).await;
    pass(&mut env, 8 * HOUR).await;
    let raised = backstop_math::params::MarketParams {
        funding_coefficient_ppm: 10_000,
        funding_cap_ppm: 10_000,
        ..default_params()
    };
    let governance = env.governance.insecure_clone();
    let ix = backstop_tests::builders::governance::update_market_params(governance.pubkey(), env.market, raised);
    env.send(&[ix], &[&governance]).await.expect("a raise is queued");
    pass(&mut env, TIMELOCK).await;
    let keeper = env.trader(0).await;
    let apply = backstop_tests::builders::governance::apply_market_params(env.market, keeper.pubkey());
    env.act(&keeper, apply).await.expect("applied after the timelock");
    assert_eq!(env.market_state().await.params, raised);
    assert_eq!(settle(&mut env, &alice).await, 0, "nothing for the idle hours");
    pass(&mut env, HOUR).await;
    // Skew 100 over max(100, depth 100): the full 1 %/hour on $10,000.
    assert_eq!(settle(&mut env, &alice).await, -100 * per_unit_hour(10_000));
}
