//! trade: open, increase, reduce, close, flip against the pool at the oracle price moved against the taker.

use backstop::error::BackstopError;
use backstop::events::TradeRecord;
use backstop::state::MarketStatus;
use backstop_math::constants::BASE_PRECISION_U64;
use backstop_math::fees::split_fee;
use backstop_math::position::Position;
use backstop_tests::*;

const THOUSAND: u64 = 1_000 * USDC;
/// $100.00 ± $0.01 in PRICE_PRECISION.
const ASK: i64 = 100_010_000;
const BID: i64 = 99_990_000;

fn fee(notional: u64) -> u64 {
    // 10 bps, rounded up.
    (notional * 10).div_ceil(10_000)
}

async fn market_with_pool() -> (Env, Actor) {
    let mut env = Env::new().await;
    let lp = env.lp(100 * THOUSAND).await;
    (env, lp)
}

#[tokio::test]
async fn open_charges_the_fee_split_and_records_the_entry_at_the_ask() {
    let (mut env, _lp) = market_with_pool().await;
    let alice = env.trader(THOUSAND).await;
    let pool_before = env.market_state().await.books.pool_balance;

    let events = env.simulate_events(&alice, env.flow(&alice).trade(5 * ONE)).await;
    env.act(&alice, env.flow(&alice).trade(5 * ONE)).await.expect("open long");

    let notional = 500_050_000; // 5 × 100.01
    let split = split_fee(fee(notional), 5_000, 1_000).unwrap();
    assert_eq!((split.fund, split.lp, split.treasury), (250_025, 200_020, 50_005));
    let margin = env.margin(&alice).await;
    assert_eq!(margin.balances.position, Position { base: 5 * ONE, entry_notional: 500_050_000 });
    assert_eq!(margin.balances.collateral, i64::try_from(THOUSAND - fee(notional)).unwrap());
    assert_eq!(margin.fees_paid, fee(notional));
    let market = env.market_state().await;
    assert_eq!(market.books.open_interest_long, 5 * BASE_PRECISION_U64);
    assert_eq!(market.books.open_interest_short, 0);
    assert_eq!(market.books.fund_fee_accrued, split.fund);
    assert_eq!(market.books.treasury_fee_accrued, split.treasury);
    assert_eq!(market.books.pool_balance, pool_before + split.lp);
    assert_eq!(market.cumulative_volume, notional);
    assert_eq!(market.last_oracle_publish_time, T0);
    env.assert_vault_matches_books().await;

    let record: TradeRecord = decode_event(&events).expect("TradeRecord");
    assert_eq!((record.base_delta, record.fill_price, record.fill_notional), (5 * ONE, ASK, notional));
    assert_eq!((record.oracle_price, record.oracle_conf), (100_000_000, 10_000));
    assert_eq!((record.fee_to_fund, record.fee_to_lp, record.fee_to_treasury), (split.fund, split.lp, split.treasury));
    assert_eq!((record.base_before, record.base_after), (0, 5 * ONE));
}

#[tokio::test]
async fn increase_reduce_flip_and_close_realise_pnl_against_the_pool() {
    let (mut env, _lp) = market_with_pool().await;
    let alice = env.trader(THOUSAND).await;
    let flow = env.flow(&alice);
    env.act(&alice, flow.trade(2 * ONE)).await.expect("open");
    env.act(&alice, flow.trade(ONE)).await.expect("increase");
    let margin = env.margin(&alice).await;
    assert_eq!(margin.balances.position, Position { base: 3 * ONE, entry_notional: 3 * 100_010_000 });

    // Price rises to $110; selling one unit at the bid realises a third of the entry against 109.99.
    env.advance(10).await;
    env.set_price(usd(110), 1_000_000).await;
    let collateral_before = env.margin(&alice).await.balances.collateral;
    let pool_before = env.market_state().await.books.pool_balance;
    env.act(&alice, flow.trade(-ONE)).await.expect("reduce");
    let margin = env.margin(&alice).await;
    let realized = 109_990_000 - 100_010_000;
    assert_eq!(margin.realized_pnl, realized);
    assert_eq!(margin.balances.position, Position { base: 2 * ONE, entry_notional: 2 * 100_010_000 });
    let reduce_fee = fee(109_990_000);
    assert_eq!(margin.balances.collateral, collateral_before + realized - i64::try_from(reduce_fee).unwrap());
    let lp_share = split_fee(reduce_fee, 5_000, 1_000).unwrap().lp;
    let pool_after = env.market_state().await.books.pool_balance;
    assert_eq!(pool_after, pool_before - u64::try_from(realized).unwrap() + lp_share);

    // Flip: sell 5 closes the remaining 2 long and opens 3 short at the bid.
    env.act(&alice, flow.trade(-5 * ONE)).await.expect("flip");
    let margin = env.margin(&alice).await;
    assert_eq!(margin.balances.position, Position { base: -3 * ONE, entry_notional: -3 * 109_990_000 });
    assert_eq!(margin.realized_pnl, 3 * realized);
    let market = env.market_state().await;
    assert_eq!((market.books.open_interest_long, market.books.open_interest_short), (0, 3 * BASE_PRECISION_U64));

    // Close the short at $110's ask: loses the spread twice.
    env.act(&alice, flow.trade(3 * ONE)).await.expect("close");
    let margin = env.margin(&alice).await;
    assert_eq!(margin.balances.position, Position::default());
    assert_eq!(margin.realized_pnl, 3 * realized - 3 * 20_000);
    env.assert_vault_matches_books().await;
}

#[tokio::test]
async fn a_round_trip_at_one_price_costs_exactly_the_fees_and_the_spread() {
    let (mut env, _lp) = market_with_pool().await;
    let alice = env.trader(THOUSAND).await;
    let flow = env.flow(&alice);
    env.act(&alice, flow.trade(-4 * ONE)).await.expect("open short");
    env.act(&alice, flow.trade(4 * ONE)).await.expect("close");
    let margin = env.margin(&alice).await;
    let spread = 4 * (ASK - BID);
    let fees = fee(4 * 99_990_000) + fee(4 * 100_010_000);
    assert_eq!(margin.balances.collateral, i64::try_from(THOUSAND - fees).unwrap() - spread);
    env.act(&alice, flow.withdraw(u64::try_from(margin.balances.collateral).unwrap())).await.expect("withdraw all");
    let balances = env.margin(&alice).await.balances;
    assert_eq!((balances.collateral, balances.position, balances.unsettled_pnl), (0, Default::default(), 0));
    env.assert_vault_matches_books().await;
}

#[tokio::test]
async fn profit_is_withdrawable_only_once_realised() {
    let (mut env, _lp) = market_with_pool().await;
    let alice = env.trader(THOUSAND).await;
    let flow = env.flow(&alice);
    env.act(&alice, flow.trade(5 * ONE)).await.expect("open");
    env.advance(5).await;
    env.set_price(usd(200), 1_000_000).await; // +$500 unrealized on $1000
    let collateral = u64::try_from(env.margin(&alice).await.balances.collateral).unwrap();
    env.assert_rejected(&alice, flow.withdraw(collateral + 1), BackstopError::InsufficientCollateral).await;
    env.act(&alice, flow.trade(-5 * ONE)).await.expect("close");
    let margin = env.margin(&alice).await;
    assert_eq!(margin.realized_pnl, 5 * (199_990_000 - 100_010_000));
    let cash = u64::try_from(margin.balances.collateral).unwrap();
    let realized = u64::try_from(margin.realized_pnl).unwrap();
    assert_eq!(cash, collateral + realized - fee(5 * 199_990_000));
    env.act(&alice, flow.withdraw(cash)).await.expect("withdraw the realised profit");
    assert_eq!(env.token_balance(alice.token).await, cash);
    env.assert_vault_matches_books().await;
}

#[tokio::test]
async fn unrealized_profit_counts_toward_initial_margin_only_up_to_the_cap() {
    let (mut env, _lp) = market_with_pool().await;
    let alice = env.trader(100 * USDC).await;
    let flow = env.flow(&alice);
    env.act(&alice, flow.trade(9 * ONE)).await.expect("open 9x");
    env.advance(5).await;
    env.set_price(usd(150), 1_000_000).await; // +$450 unrealized; the cap counts at most 50 % of ~$99
                                              // At $150, 12 units need $180 of initial margin: only collateral + capped profit (< $150) is counted.
    env.assert_rejected(&alice, flow.trade(3 * ONE), BackstopError::InitialMarginBreached).await;
}

#[tokio::test]
async fn reducing_is_always_allowed_even_below_initial_margin_or_in_reduce_only() {
    let (mut env, _lp) = market_with_pool().await;
    let alice = env.trader(100 * USDC).await;
    let flow = env.flow(&alice);
    env.act(&alice, flow.trade(9 * ONE)).await.expect("open");
    env.advance(5).await;
    env.set_price(usd(96), 1_000_000).await; // below initial, above maintenance
    env.assert_rejected(&alice, flow.trade(ONE / 10), BackstopError::InitialMarginBreached).await;
    env.force_market_status(MarketStatus::ReduceOnly).await;
    env.assert_rejected(&alice, flow.trade(ONE / 10), BackstopError::MarketReduceOnly).await;
    env.act(&alice, flow.trade(-4 * ONE)).await.expect("reduce");
    env.act(&alice, flow.trade(-5 * ONE)).await.expect("close");
    assert!(env.margin(&alice).await.balances.position.is_flat());
}

#[tokio::test]
async fn a_gap_through_zero_leaves_a_closed_account_bankrupt_and_frozen() {
    let (mut env, _lp) = market_with_pool().await;
    let alice = env.trader(100 * USDC).await;
    let flow = env.flow(&alice);
    env.act(&alice, flow.trade(9 * ONE)).await.expect("open 9x");
    env.advance(5).await;
    env.set_price(usd(80), 1_000_000).await; // -$180 on $100
    env.act(&alice, flow.trade(-9 * ONE)).await.expect("a close is never refused");
    let margin = env.margin(&alice).await;
    assert!(margin.balances.collateral < 0);
    let market = env.market_state().await;
    assert_eq!(market.books.pending_deficit, margin.balances.collateral.unsigned_abs());
    env.assert_vault_matches_books().await;

    env.mint_to(alice.token, THOUSAND).await;
    env.assert_rejected(&alice, flow.trade(ONE), BackstopError::AccountBankrupt).await;
    env.assert_rejected(&alice, flow.deposit(USDC), BackstopError::AccountBankrupt).await;
    env.assert_rejected(&alice, flow.withdraw(USDC), BackstopError::AccountBankrupt).await;
}

#[tokio::test]
async fn trade_rejections_change_nothing() {
    let (mut env, _lp) = market_with_pool().await;
    let alice = env.trader(THOUSAND).await;
    let mallory = env.trader(THOUSAND).await;
    let flow = env.flow(&alice);

    env.assert_rejected(&alice, flow.trade(0), BackstopError::InvalidAmount).await;
    env.assert_rejected(&alice, flow.trade(ONE / 1_000 - 1), BackstopError::OrderTooSmall).await;
    env.assert_rejected(&alice, flow.trade(101 * ONE), BackstopError::InitialMarginBreached).await;
    env.assert_rejected(&alice, flow.trade(i64::MIN), BackstopError::Overflow).await;
    env.assert_rejected(&alice, flow.trade(i64::MAX), BackstopError::OpenInterestCapExceeded).await;
    let stolen = Flow { owner: mallory.pubkey(), ..flow };
    env.assert_rejected(&mallory, stolen.trade(ONE), BackstopError::AccountOwnerMismatch).await;
    env.force_market_status(MarketStatus::Paused).await;
    env.assert_rejected(&alice, flow.trade(ONE), BackstopError::MarketPaused).await;
    env.force_market_status(MarketStatus::Active).await;
    env.act(&alice, flow.trade(ONE)).await.expect("a valid trade after all that");
}

/// Security review: a pause blocked even reducing trades while liquidations and funding went on, trapping
/// traders. Paused now refuses only what adds risk.
#[tokio::test]
async fn a_paused_market_lets_a_trader_reduce() {
    let (mut env, _lp) = market_with_pool().await;
    let alice = env.trader(THOUSAND).await;
    let flow = env.flow(&alice);
    env.act(&alice, flow.trade(2 * ONE)).await.expect("open");
    env.force_market_status(MarketStatus::Paused).await;
    env.assert_rejected(&alice, flow.trade(ONE), BackstopError::MarketPaused).await;
    env.assert_rejected(&alice, flow.trade(-3 * ONE), BackstopError::MarketPaused).await; // a flip adds risk
    env.act(&alice, flow.trade(-ONE)).await.expect("reduce while paused");
    env.act(&alice, flow.trade(-ONE)).await.expect("close while paused");
    assert!(env.margin(&alice).await.balances.position.is_flat());
}

#[tokio::test]
async fn open_interest_cap_and_pool_margin_bound_risk_increasing_trades() {
    let mut params = default_params();
    params.max_open_interest = 10 * BASE_PRECISION_U64;
    let mut env = Env::with_params(params).await;
    let _lp = env.lp(20 * USDC).await; // $20 of pool backs at most $200 of net notional at 10 %
    let alice = env.trader(10 * THOUSAND).await;
    let bob = env.trader(10 * THOUSAND).await;
    env.assert_rejected(&alice, env.flow(&alice).trade(2 * ONE + ONE / 10), BackstopError::PoolMarginBreached).await;
    env.act(&alice, env.flow(&alice).trade(ONE)).await.expect("within pool margin");
    // Alternating sides keeps the pool's net position within one unit while open interest grows to the cap.
    for (trader, delta) in [(&bob, -2), (&alice, 2), (&bob, -2), (&alice, 2), (&bob, -2), (&alice, 2), (&bob, -2)] {
        env.act(trader, env.flow(trader).trade(delta * ONE)).await.expect("netting trade");
    }
    env.act(&alice, env.flow(&alice).trade(2 * ONE)).await.expect("alice at 9");
    env.act(&bob, env.flow(&bob).trade(-2 * ONE)).await.expect("bob at the cap");
    env.act(&alice, env.flow(&alice).trade(ONE)).await.expect("alice at the cap");
    let market = env.market_state().await;
    assert_eq!(
        (market.books.open_interest_long, market.books.open_interest_short),
        (params.max_open_interest, params.max_open_interest)
    );
    env.assert_rejected(&bob, env.flow(&bob).trade(-ONE / 1_000), BackstopError::OpenInterestCapExceeded).await;
    env.assert_rejected(&alice, env.flow(&alice).trade(ONE / 1_000), BackstopError::OpenInterestCapExceeded).await;
    env.act(&bob, env.flow(&bob).trade(ONE)).await.expect("reducing is fine at the cap");
}
