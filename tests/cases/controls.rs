//! The dynamic fee, worked out by each trade at the print it observes, and the fund's share of it, worked out by
//! `refresh_market` (the keeper's first action each round) and read by trades while fresh: the cautious share once
//! stale or after a parameter change.

use backstop::error::BackstopError;
use backstop::events::TradeRecord;
use backstop_math::controls::CONTROLS_MAX_AGE_SECS;
use backstop_math::dynamic::{taker_fee_at_rate, volatility_ppm};
use backstop_math::params::MarketParams;
use backstop_tests::builders::governance as gov;
use backstop_tests::*;
use solana_keypair::Keypair;
use solana_signer::Signer;

const THOUSAND: u64 = 1_000 * USDC;

/// A market whose fee and fund share move: base 5 bps (floor 5, cap 50, +1 bps per 1 % of volatility), fund share
/// 50 % rising to 90 % as coverage falls below 5 %.
fn dynamic_params() -> MarketParams {
    MarketParams {
        taker_fee_bps: 5,
        fee_floor_bps: 5,
        fee_cap_bps: 50,
        fee_vol_coefficient: 1_000,
        fund_share_max_bps: 9_000,
        coverage_target_bps: 500,
        ..default_params()
    }
}

/// The keeper's refresh: the print absorbed, the fund's share worked out.
async fn refresh(env: &mut Env) {
    env.send(&[gov::refresh_market(env.market, env.oracle, env.fund)], &[]).await.expect("refresh");
}

async fn traded_fee(env: &mut Env, actor: &Actor, delta: i64) -> TradeRecord {
    let ix = env.flow(actor).trade(delta);
    let events = env.simulate_events(actor, ix.clone()).await;
    env.act(actor, ix).await.expect("trade");
    decode_event(&events).expect("TradeRecord")
}

/// `fee_due` at `bps` (rounded up, as the program charges).
fn fee_at(record: &TradeRecord, bps: u64) -> u64 {
    (record.fill_notional * bps).div_ceil(10_000)
}

#[tokio::test]
async fn the_fee_rises_with_volatility() {
    let mut env = Env::with_params(dynamic_params()).await;
    env.seed_fund(1_000 * THOUSAND).await; // coverage far above target: the base fund share
    let _lp = env.lp(100 * THOUSAND).await;
    let alice = env.trader(10 * THOUSAND).await;
    refresh(&mut env).await;
    let calm = traded_fee(&mut env, &alice, ONE).await;
    assert_eq!(calm.fee_due, fee_at(&calm, 5), "no volatility yet: the base 5 bps");
    // A 2 % move observed after a full window: the rate moves half way (the weight's cap) to 0.02² per hour,
    // volatility √½ × 2 % = 14 142 ppm → +2 bps (1.41 rounded up).
    env.advance(3_600).await;
    env.set_price(usd(102), 1_000_000).await;
    refresh(&mut env).await;
    let moved = traded_fee(&mut env, &alice, ONE).await;
    let market = env.market_state().await;
    assert_eq!(market.variance.rate, 55_555_555_556);
    assert_eq!(volatility_ppm(market.variance.rate, market.params.volatility_window_secs), Ok(14_142));
    assert_eq!(market.controls.fund_share_bps, 5_000);
    assert_eq!(moved.fee_due, fee_at(&moved, 7));
    assert_eq!(moved.fee_to_fund, moved.fee_due * 5_000 / 10_000);
}

/// The fee follows the print the trade itself observes, not the last refresh's: a trader who posts a jump (anyone
/// may post a pull-oracle update) and trades on it in one transaction pays the fee that jump sets.
#[tokio::test]
async fn a_trade_on_a_jump_no_refresh_has_seen_pays_the_fee_the_jump_sets() {
    let mut env = Env::with_params(dynamic_params()).await;
    env.seed_fund(1_000 * THOUSAND).await;
    let _lp = env.lp(100 * THOUSAND).await;
    let alice = env.trader(10 * THOUSAND).await;
    env.advance(3_570).await;
    env.republish().await;
    refresh(&mut env).await;
    assert_eq!(env.market_state().await.variance.rate, 0, "a calm hour");
    env.advance(30).await;
    env.set_price(usd(102), 1_000_000).await;
    let jumped = traded_fee(&mut env, &alice, ONE).await;
    let market = env.market_state().await;
    let bps = taker_fee_at_rate(&market.params, market.variance.rate).unwrap();
    assert!(bps > 5, "the jump moved the fee: {bps} bps");
    assert_eq!(jumped.fee_due, fee_at(&jumped, u64::from(bps)));
    assert_eq!(jumped.fee_to_fund, jumped.fee_due * 5_000 / 10_000, "the refresh's share, 30 s old");
}

/// F6: withdrawals, LP flows and covers used to record a price without observing it, so a jump first read by
/// one of them never reached the volatility estimate. Every read observes it now.
#[tokio::test]
async fn f6_a_jump_first_read_by_a_withdrawal_or_an_lp_flow_still_moves_the_volatility() {
    let mut env = Env::with_params(dynamic_params()).await;
    let lp = env.lp(100 * THOUSAND).await;
    let alice = env.trader(10 * THOUSAND).await;
    env.act(&alice, env.flow(&alice).trade(ONE)).await.expect("open");
    env.advance(3_600).await;
    env.set_price(usd(102), 1_000_000).await;
    env.act(&alice, env.flow(&alice).withdraw(USDC)).await.expect("withdraw with a position reads the oracle");
    assert_eq!(env.market_state().await.variance.rate, 55_555_555_556, "half way to a 2 % move over an hour");
    env.advance(3_600).await;
    env.set_price(usd(100), 1_000_000).await;
    env.act(&lp, env.lp_flow(&lp).request_lp_withdraw(1)).await.expect("lp exit request");
    let rate = env.market_state().await.variance.rate;
    // Half way from the first estimate (0.02² / 2 per hour) to 0.0196² per hour: √(0.0001 / 2 + 0.0196² / 2)
    // = 1.71 %.
    assert_eq!(volatility_ppm(rate, 3_600), Ok(17_095), "−1.96 % over the next hour, seen by an LP exit request");
}

#[tokio::test]
async fn the_fund_share_rises_as_coverage_falls() {
    let mut env = Env::with_params(dynamic_params()).await;
    let _lp = env.lp(100 * THOUSAND).await;
    let alice = env.trader(10 * THOUSAND).await;
    // Coverage is measured on the open interest at the refresh: with none, nothing is at risk yet.
    refresh(&mut env).await;
    let first = traded_fee(&mut env, &alice, 10 * ONE).await;
    assert_eq!(first.fee_to_fund, first.fee_due * 5_000 / 10_000);
    // An empty fund behind $1 000 of open interest: coverage 0 → the maximum share, 90 %.
    refresh(&mut env).await;
    let empty = traded_fee(&mut env, &alice, ONE / 10).await;
    assert_eq!(empty.fee_to_fund, empty.fee_due * 9_000 / 10_000);
    assert_eq!(empty.fee_to_treasury, empty.fee_due * 1_000 / 10_000, "the treasury keeps its share");
    // Fund at half the 5 % target: open interest 10.1 SOL × $100 = $1 010; 2.5 % of it is $25.25 → 70 %.
    env.seed_fund(25_250_000).await;
    let before_refresh = traded_fee(&mut env, &alice, ONE / 10).await;
    assert_eq!(before_refresh.fee_to_fund, before_refresh.fee_due * 9_000 / 10_000, "the stored share until refreshed");
    // Open interest is now 10.2 SOL ($1 020): $25.25 is 247 bps of it (rounded down), so the share is
    // 50 % + 40 % × 253 / 500 = 70.24 %.
    refresh(&mut env).await;
    assert_eq!(env.market_state().await.controls.fund_share_bps, 7_024);
    let half = traded_fee(&mut env, &alice, ONE / 10).await;
    assert_eq!(half.fee_to_fund, half.fee_due * 7_024 / 10_000);
}

#[tokio::test]
async fn a_stale_or_missing_refresh_gives_the_fund_the_cautious_share() {
    let mut env = Env::with_params(dynamic_params()).await;
    env.seed_fund(1_000 * THOUSAND).await;
    let _lp = env.lp(100 * THOUSAND).await;
    let alice = env.trader(10 * THOUSAND).await;
    // Never refreshed: the fund's largest share (90 %); the trader pays the fee of the market's volatility either way.
    let never = traded_fee(&mut env, &alice, ONE).await;
    assert_eq!((never.fee_due, never.fee_to_fund), (fee_at(&never, 5), never.fee_due * 9_000 / 10_000));
    refresh(&mut env).await;
    let refreshed_at = env.now;
    env.advance(CONTROLS_MAX_AGE_SECS).await;
    env.republish().await;
    let fresh = traded_fee(&mut env, &alice, ONE).await;
    assert_eq!((fresh.fee_due, fresh.fee_to_fund), (fee_at(&fresh, 5), fresh.fee_due * 5_000 / 10_000), "60 s on");
    env.advance(1).await;
    env.republish().await;
    let stale = traded_fee(&mut env, &alice, ONE).await;
    assert_eq!((stale.fee_due, stale.fee_to_fund), (fee_at(&stale, 5), stale.fee_due * 9_000 / 10_000), "61 s on");
    assert_eq!(env.market_state().await.controls.refreshed_at, refreshed_at, "a trade does not refresh");
}

#[tokio::test]
async fn a_parameter_change_voids_the_refresh() {
    let mut env = Env::with_params(dynamic_params()).await;
    env.seed_fund(1_000 * THOUSAND).await;
    let _lp = env.lp(100 * THOUSAND).await;
    let alice = env.trader(10 * THOUSAND).await;
    refresh(&mut env).await;
    // A tightening applies at once: the stored share was worked out under the old parameters.
    let governance = env.governance.insecure_clone();
    let tighter = MarketParams { max_open_interest: dynamic_params().max_open_interest / 2, ..dynamic_params() };
    env.send(&[gov::update_market_params(governance.pubkey(), env.market, tighter)], &[&governance])
        .await
        .expect("tighten");
    assert_eq!(env.market_state().await.controls.refreshed_at, 0);
    let voided = traded_fee(&mut env, &alice, ONE).await;
    assert_eq!(voided.fee_to_fund, voided.fee_due * 9_000 / 10_000);
    refresh(&mut env).await;
    let again = traded_fee(&mut env, &alice, ONE).await;
    assert_eq!(again.fee_to_fund, again.fee_due * 5_000 / 10_000);
}

#[tokio::test]
async fn a_refresh_names_the_markets_fund_book_and_oracle() {
    let mut env = Env::with_params(dynamic_params()).await;
    let governance = env.governance.insecure_clone();
    env.send(&[initialize_insurance_fund(governance.pubkey(), env.payer(), env.mint, 1)], &[&governance])
        .await
        .expect("fund 1");
    let market_1 = crate::liquidation::list_second_market(&mut env).await;
    let (market, oracle, fund) = (env.market, env.oracle, env.fund);
    let watched = [market, pda::market_book(&market), fund, pda::insurance_fund(1), market_1];
    let other_fund = gov::refresh_market(market, oracle, pda::insurance_fund(1));
    env.assert_rejected_by(&watched, &[], other_fund, BackstopError::FundMismatch).await;
    let mut other_book = gov::refresh_market(market, oracle, fund);
    other_book.accounts[1].pubkey = pda::market_book(&market_1);
    env.assert_rejected_by(&watched, &[], other_book, BackstopError::MarketMismatch).await;
    let stranger = Keypair::new().pubkey();
    let wrong_oracle = gov::refresh_market(market, stranger, fund);
    env.assert_rejected_by(&watched, &[], wrong_oracle, BackstopError::OracleMismatch).await;
    env.advance(61).await;
    env.assert_rejected_by(&watched, &[], gov::refresh_market(market, oracle, fund), BackstopError::OracleStale).await;
    env.republish().await;
    refresh(&mut env).await;
    assert_eq!(env.market_state().await.controls.refreshed_at, env.now, "anyone refreshes (the payer alone signs)");
}

/// Open (docs/security.md, "The refreshed fund share"): a state held for one transaction sets the fund's share of
/// every trade's fee until the next refresh. A withdrawal beside a position raises the market's crash deficit, the
/// refresh reads it, and a deposit in the same transaction puts the collateral back; the keeper's next refresh
/// restores the share of the market's real state. This replays it and pins its bound.
#[tokio::test]
async fn open_a_state_held_for_one_transaction_sets_the_share_until_the_next_refresh() {
    // Adequacy moves the share (50 % rising to 90 %); no coverage target; a 20 % shock floor, beyond the 10 %
    // initial margin, so a position at the leverage limit owes at the shock.
    let params = MarketParams { fund_share_max_bps: 9_000, stress_shock_floor_bps: 2_000, ..default_params() };
    let mut env = Env::with_params(params).await;
    env.seed_fund(200 * USDC).await;
    let _lp = env.lp(100 * THOUSAND).await;
    let alice = env.trader(10 * THOUSAND).await;
    let bob = env.trader(10 * THOUSAND).await;
    env.act(&alice, env.flow(&alice).trade(50 * ONE)).await.expect("a 50 SOL long on $10 000: nothing owed at −20 %");
    refresh(&mut env).await;
    assert_eq!(env.market_state().await.controls.fund_share_bps, 5_000, "the real state: the base share");
    let collateral = env.margin(&alice).await.balances.collateral;

    // One transaction: strip the long to its initial margin, refresh, put the collateral back.
    let held = 9_400 * USDC;
    let (strip, restore) = (env.flow(&alice).withdraw(held), env.flow(&alice).deposit(held));
    let refresh_ix = gov::refresh_market(env.market, env.oracle, env.fund);
    let keypair = alice.keypair.insecure_clone();
    env.send(&[strip, refresh_ix, restore], &[&keypair]).await.expect("withdraw, refresh, deposit");
    assert_eq!(env.margin(&alice).await.balances.collateral, collateral, "the account is as it was");
    let bent = env.market_state().await.controls.fund_share_bps;
    // Stripped to $594.99 (after the $5.00 fee), the long owes $1,000.50 at −20 % ($80): a deficit of ~$405.5
    // against a $200 fund, adequacy 4,932 bps, so the share is 50 % + 40 % × 5,068 / 10,000 = 70.28 %.
    assert_eq!(bent, 7_028, "the share the held state set");

    // Until the next refresh every trade's fee is split at that share: the LPs' part goes to the fund.
    let bobs = traded_fee(&mut env, &bob, ONE).await;
    assert_eq!(bobs.fee_to_fund, bobs.fee_due * u64::from(bent) / 10_000);
    // The keeper's next refresh restores the real state's share.
    refresh(&mut env).await;
    assert_eq!(env.market_state().await.controls.fund_share_bps, 5_000);
    let after = traded_fee(&mut env, &bob, ONE).await;
    assert_eq!(after.fee_to_fund, after.fee_due * 5_000 / 10_000);
}

/// The refresh keeps the fee of the variance it saw, and a trade at that same variance reuses it: exact only while
/// the parameters are those it was worked out under. A fee raise applied by anyone after the timelock voids it, so
/// the next trade at the unchanged variance pays the new fee, not the stored one.
#[tokio::test]
async fn a_fee_change_applied_after_the_timelock_is_paid_at_once_though_the_variance_has_not_moved() {
    let mut env = Env::with_params(dynamic_params()).await;
    env.seed_fund(1_000 * THOUSAND).await;
    let _lp = env.lp(100 * THOUSAND).await;
    let alice = env.trader(10 * THOUSAND).await;
    let governance = env.governance.insecure_clone();
    let raised = MarketParams { taker_fee_bps: 7, ..dynamic_params() };
    env.send(&[gov::update_market_params(governance.pubkey(), env.market, raised)], &[&governance])
        .await
        .expect("a fee raise is queued");
    env.advance(TIMELOCK).await;
    env.republish().await;
    refresh(&mut env).await;
    let stored = env.market_state().await.controls;
    assert_eq!((stored.fee_variance_rate, stored.taker_fee_bps), (0, 5), "the old fee, stored at a calm variance");
    let keeper = Keypair::new();
    env.send(&[gov::apply_market_params(env.market, keeper.pubkey())], &[&keeper]).await.expect("applied");
    assert_eq!(env.market_state().await.controls.refreshed_at, 0, "voided");
    let raised_fee = traded_fee(&mut env, &alice, ONE).await;
    assert_eq!(env.market_state().await.variance.rate, 0, "the variance has not moved");
    assert_eq!(raised_fee.fee_due, fee_at(&raised_fee, 7));
    assert_eq!(raised_fee.fee_to_fund, raised_fee.fee_due * 9_000 / 10_000, "and the cautious share until a refresh");
}

/// A gap since the refresh moves adequacy before any refresh reads it: once the price has left the refresh's by
/// half the shock floor (5 % here), trades give the fund its largest share until the next refresh.
#[tokio::test]
async fn a_gap_of_half_the_shock_floor_since_the_refresh_gives_the_fund_the_cautious_share() {
    let mut env = Env::with_params(dynamic_params()).await;
    env.seed_fund(1_000 * THOUSAND).await;
    let _lp = env.lp(100 * THOUSAND).await;
    let alice = env.trader(10 * THOUSAND).await;
    refresh(&mut env).await;
    env.advance(10).await;
    env.set_price(usd(95), 1_000_000).await;
    let within = traded_fee(&mut env, &alice, ONE).await;
    assert_eq!(within.fee_to_fund, within.fee_due * 5_000 / 10_000, "−5 %: the stored share");
    env.advance(10).await;
    env.set_price(usd(94), 1_000_000).await;
    let beyond = traded_fee(&mut env, &alice, ONE).await;
    assert_eq!(beyond.fee_to_fund, beyond.fee_due * 9_000 / 10_000, "−6 %: the cautious share");
    refresh(&mut env).await;
    let again = traded_fee(&mut env, &alice, ONE).await;
    assert_eq!(again.fee_to_fund, again.fee_due * 5_000 / 10_000, "refreshed at the new price");
}
