//! The core flows end to end on the binary, with the exact numbers the native suite asserts (tests/cases: the
//! same setups and the same formulas). Each scenario returns what its instructions cost; the VM tests run them
//! for the assertions, the `cu-bench` binary for the table.

use crate::vm::{Actor, Measurement, Vm};
use crate::*;
use backstop::error::BackstopError;
use backstop_client::governance as gov;
use backstop_math::fees::split_fee;
use backstop_math::position::Position;
use solana_signer::Signer;

const THOUSAND: u64 = 1_000 * USDC;
/// Alice's 9 SOL long filled at the $100.01 ask, on $100 of collateral less the opening fee.
const ENTRY: i64 = 9 * 100_010_000;
const COLLATERAL: i64 = 100_000_000 - 900_090;

pub struct Scenario {
    pub name: &'static str,
    pub run: fn() -> Vec<Measurement>,
}

pub const ALL: &[Scenario] = &[
    Scenario { name: "collateral and trading", run: collateral_and_trading },
    Scenario { name: "partial liquidation", run: partial_liquidation },
    Scenario { name: "full liquidation and fund sweep", run: full_liquidation_and_sweep },
    Scenario { name: "cover: the fund pays all", run: cover_from_fund },
    Scenario { name: "cover: fund, then LP clawback", run: cover_from_fund_and_pool },
    Scenario { name: "cover: socialized loss", run: cover_socialized },
    Scenario { name: "cover: uncovered", run: cover_uncovered },
    Scenario { name: "governance", run: governance },
    Scenario { name: "staking", run: staking },
    Scenario { name: "funding accruing", run: funding_accruing },
    Scenario { name: "production preset", run: production_preset },
    Scenario { name: "review F1: a hedged pair's claim", run: crate::review::hedged_pair_claim },
    Scenario { name: "review F2: unstake storm", run: crate::review::unstake_storm_and_pending_deficit },
    Scenario { name: "review: exits and the treasury", run: crate::review::exits_and_treasury },
    Scenario { name: "review: unstake, a bankruptcy pending", run: crate::review::unstake_with_a_bankruptcy_pending },
];

fn fee(notional: u64) -> u64 {
    (notional * 10).div_ceil(10_000)
}

fn move_price(vm: &mut Vm, price: i64) {
    vm.advance(5);
    vm.set_price(price, 1_000_000);
}

/// tests/cases/trade.rs and collateral.rs: open, increase, reduce, flip, close against the pool; withdraw; the
/// rejections of withdraw and trade.
pub fn collateral_and_trading() -> Vec<Measurement> {
    let mut vm = Vm::listed(default_params());
    let _lp = vm.lp(100 * THOUSAND);
    let alice = vm.trader(THOUSAND);
    let flow = vm.flow(&alice);
    vm.act("trade: open", &alice, flow.trade(2 * ONE));
    assert_eq!(vm.margin(&alice).balances.collateral, i64::try_from(THOUSAND - fee(200_020_000)).unwrap());
    vm.act("trade: increase", &alice, flow.trade(ONE));
    assert_eq!(vm.margin(&alice).balances.position, Position { base: 3 * ONE, entry_notional: 3 * 100_010_000 });

    vm.advance(10);
    vm.set_price(usd(110), 1_000_000);
    let collateral_before = vm.margin(&alice).balances.collateral;
    let pool_before = vm.market_state().books.pool_balance;
    vm.act("trade: reduce", &alice, flow.trade(-ONE));
    let realized = 109_990_000 - 100_010_000;
    let margin = vm.margin(&alice);
    assert_eq!(margin.realized_pnl, realized);
    let reduce_fee = fee(109_990_000);
    assert_eq!(margin.balances.collateral, collateral_before + realized - i64::try_from(reduce_fee).unwrap());
    let lp_share = split_fee(reduce_fee, 5_000, 1_000).unwrap().lp;
    assert_eq!(vm.market_state().books.pool_balance, pool_before - u64::try_from(realized).unwrap() + lp_share);

    vm.act("withdraw: with a position open", &alice, flow.withdraw(USDC));
    vm.act("trade: flip", &alice, flow.trade(-5 * ONE));
    assert_eq!(vm.margin(&alice).balances.position, Position { base: -3 * ONE, entry_notional: -3 * 109_990_000 });
    vm.act("trade: close", &alice, flow.trade(3 * ONE));
    let margin = vm.margin(&alice);
    assert_eq!(margin.balances.position, Position::default());
    assert_eq!(margin.realized_pnl, 3 * realized - 3 * 20_000);
    assert_eq!(vm.token_balance(alice.token), USDC);
    vm.assert_vaults_match_books();

    let collateral = u64::try_from(margin.balances.collateral).unwrap();
    vm.assert_rejected(&alice, flow.withdraw(0), BackstopError::InvalidAmount);
    vm.assert_rejected(&alice, flow.withdraw(collateral + 1), BackstopError::InsufficientCollateral);
    vm.advance(120);
    vm.assert_rejected(&alice, flow.trade(ONE), BackstopError::OracleStale);
    vm.act("withdraw: flat account", &alice, flow.withdraw(collateral));
    assert_eq!(vm.token_balance(alice.token), USDC + collateral);
    vm.assert_vaults_match_books();
    vm.measurements
}

/// Alice 9x long at $100.01; a keeper with a margin account (tests/cases/liquidation.rs).
fn leveraged_long(vm: &mut Vm) -> (Actor, Actor) {
    let _lp = vm.lp(100 * THOUSAND);
    let alice = vm.trader(100 * USDC);
    vm.act("trade: open 9x", &alice, vm.flow(&alice).trade(9 * ONE));
    let keeper = vm.trader(0);
    (alice, keeper)
}

pub fn partial_liquidation() -> Vec<Measurement> {
    let mut vm = Vm::listed(default_params());
    let (alice, keeper) = leveraged_long(&mut vm);
    move_price(&mut vm, 9_370_000_000);
    let healthy = vm.keeper().liquidate(keeper.pubkey(), alice.pubkey());
    vm.assert_rejected(&keeper, healthy, BackstopError::NotLiquidatable);

    move_price(&mut vm, 9_350_000_000);
    let equity = COLLATERAL + 9 * 93_490_000 - ENTRY;
    let notional = 9 * 93_500_000i64;
    let need = u128::try_from(i128::from(notional) * 750 - i128::from(equity) * 10_000).unwrap();
    let q = i64::try_from((9 * 1_000_000_000u128 * need).div_ceil(u128::try_from(notional).unwrap() * 500)).unwrap();
    vm.act("liquidate: partial", &keeper, vm.keeper().liquidate(keeper.pubkey(), alice.pubkey()));
    let closed_notional = (u128::try_from(q).unwrap() * 93_500_000).div_ceil(1_000_000_000);
    let penalty = u64::try_from((closed_notional * 250).div_ceil(10_000)).unwrap();
    assert_eq!(vm.margin(&alice).balances.position.base, 9 * ONE - q);
    assert_eq!(vm.margin(&keeper).balances.collateral, i64::try_from(penalty / 2).unwrap());
    assert_eq!(vm.market_state().books.fund_penalty_accrued, penalty - penalty / 2);
    let again = vm.keeper().liquidate(keeper.pubkey(), alice.pubkey());
    vm.assert_rejected(&keeper, again, BackstopError::NotLiquidatable);
    vm.assert_vaults_match_books();
    vm.measurements
}

pub fn full_liquidation_and_sweep() -> Vec<Measurement> {
    let mut vm = Vm::listed(default_params());
    let (alice, keeper) = leveraged_long(&mut vm);
    move_price(&mut vm, 9_000_000_000);
    vm.act("liquidate: full", &keeper, vm.keeper().liquidate(keeper.pubkey(), alice.pubkey()));
    let margin = vm.margin(&alice);
    assert_eq!((margin.balances.position, margin.balances.collateral), (Position::default(), 0));
    let left = u64::try_from(COLLATERAL + 9 * 89_990_000 - ENTRY).unwrap();
    assert_eq!(vm.margin(&keeper).balances.collateral, i64::try_from(left / 2).unwrap());

    let books = vm.market_state().books;
    vm.measure("settle_fund_revenue: fees and penalties", vm.keeper().settle_fund_revenue(), &[]);
    let fund = vm.fund_state();
    assert_eq!(fund.book.balance, books.fund_fee_accrued + books.fund_penalty_accrued);
    assert_eq!((fund.inflow_fees, fund.inflow_penalties), (books.fund_fee_accrued, books.fund_penalty_accrued));
    vm.measure("settle_fund_revenue: nothing to move", vm.keeper().settle_fund_revenue(), &[]);
    vm.assert_vaults_match_books();
    vm.measurements
}

/// Alice gapped from 9x long to $85 and liquidated: bankrupt by `deficit()`, the fund holding `fund`.
fn bankrupt_alice(fund: u64) -> (Vm, Actor, Actor) {
    let mut vm = Vm::listed(default_params());
    if fund > 0 {
        vm.seed_fund(fund);
    }
    let (alice, keeper) = leveraged_long(&mut vm);
    move_price(&mut vm, 8_500_000_000);
    vm.act("liquidate: to bankruptcy", &keeper, vm.keeper().liquidate(keeper.pubkey(), alice.pubkey()));
    assert_eq!(vm.margin(&alice).balances.collateral, -i64::try_from(deficit()).unwrap());
    (vm, alice, keeper)
}

fn deficit() -> u64 {
    u64::try_from(ENTRY - 9 * 84_990_000 - COLLATERAL).unwrap()
}

pub fn cover_from_fund() -> Vec<Measurement> {
    let (mut vm, alice, keeper) = bankrupt_alice(THOUSAND);
    let pool_before = vm.market_state().books.pool_balance;
    let acting = vm.keeper().cover_bankruptcy(keeper.pubkey(), alice.pubkey());
    vm.assert_rejected(
        &keeper,
        vm.keeper().cover_bankruptcy(keeper.pubkey(), keeper.pubkey()),
        BackstopError::NotBankrupt,
    );
    vm.act("cover_bankruptcy: the fund pays all", &keeper, acting);
    let fund = vm.fund_state();
    assert_eq!((fund.book.balance, fund.deficits_covered), (THOUSAND - deficit(), deficit()));
    let market = vm.market_state();
    assert_eq!((market.books.pool_balance, market.books.pending_deficit), (pool_before, 0));
    assert_eq!(vm.margin(&alice).balances.collateral, 0);
    vm.assert_vaults_match_books();
    vm.measurements
}

pub fn cover_from_fund_and_pool() -> Vec<Measurement> {
    let fund = 10 * USDC;
    let (mut vm, alice, keeper) = bankrupt_alice(fund);
    let pool_before = vm.market_state().books.pool_balance;
    vm.act(
        "cover_bankruptcy: fund, then LP clawback",
        &keeper,
        vm.keeper().cover_bankruptcy(keeper.pubkey(), alice.pubkey()),
    );
    assert_eq!(vm.fund_state().book.balance, 0);
    let market = vm.market_state();
    assert_eq!(market.books.pool_balance, pool_before - (deficit() - fund));
    assert_eq!(market.cumulative_lp_clawback, deficit() - fund);
    vm.assert_vaults_match_books();
    vm.measurements
}

/// tests/src/scenes.rs `thin_pool_gap`: a $20 pool between Alice (9 long) and Bob (9 short), Carol idle
/// with `idle`, the price gapped to `price` and Bob liquidated into bankruptcy.
fn thin_pool_gap(idle: u64, price: i64) -> (Vm, Actor, Actor, Actor, Option<Actor>) {
    let mut vm = Vm::listed(default_params());
    let _lp = vm.lp(20 * USDC);
    let alice = vm.trader(100 * USDC);
    let bob = vm.trader(100 * USDC);
    let carol = (idle > 0).then(|| vm.trader(idle));
    let keeper = vm.trader(0);
    for _ in 0..9 {
        vm.act("trade: open 1", &alice, vm.flow(&alice).trade(ONE));
        vm.act("trade: open 1", &bob, vm.flow(&bob).trade(-ONE));
    }
    move_price(&mut vm, price);
    vm.act("liquidate: to bankruptcy", &keeper, vm.keeper().liquidate(keeper.pubkey(), bob.pubkey()));
    (vm, alice, bob, keeper, carol)
}

pub fn cover_socialized() -> Vec<Measurement> {
    let (mut vm, alice, bob, keeper, carol) = thin_pool_gap(THOUSAND, usd(120));
    // Carol's idle $1,000 cannot leave before the loss it will share is assessed (attacks/exits_dodging_losses.rs).
    let carol = carol.expect("carol");
    vm.assert_rejected(&carol, vm.flow(&carol).withdraw(THOUSAND), BackstopError::DeficitAwaitingCover);
    let deficit = vm.margin(&bob).balances.collateral.unsigned_abs();
    let positive = vm.market_state().books.total_positive_collateral;
    let cover = vm.keeper().cover_bankruptcy(keeper.pubkey(), bob.pubkey());
    vm.act("cover_bankruptcy: fund, LP, socialized", &keeper, cover);
    let market = vm.market_state();
    assert_eq!((market.books.pending_deficit, market.cumulative_uncovered), (0, 0));
    let socialized = deficit - market.cumulative_lp_clawback - market.cumulative_fund_cover;
    assert!(socialized > 0 && socialized == market.cumulative_socialized, "the thin pool leaves a share to socialize");
    let one = u128::from(backstop_math::ledger::SOCIAL_INDEX_ONE);
    let expected = one * u128::from(positive - socialized) / u128::from(positive);
    assert_eq!(u128::from(market.books.social_loss_index), expected);
    vm.act("withdraw: applies the social loss", &alice, vm.flow(&alice).withdraw(1));
    // Carol's share applied by anyone first (the payer alone signs), then her withdrawal finds it taken.
    let touch = vm.keeper().touch_account(backstop_client::pda::margin_account(&vm.market, &carol.pubkey()));
    vm.measure("touch_account: a socialized loss applied", touch, &[]);
    assert_eq!(vm.margin(&carol).balances.collateral, 945_246_187, "as in the native replay");
    vm.act("withdraw: after the cover, its share taken", &carol, vm.flow(&carol).withdraw(1));
    assert_eq!(vm.margin(&carol).balances.collateral, 945_246_187 - 1, "as in the native replay");
    vm.assert_vaults_match_books();
    vm.measurements
}

/// +45 % and no idle money: the deficit exceeds the pool and every positive balance; the rest is uncovered.
pub fn cover_uncovered() -> Vec<Measurement> {
    let (mut vm, _alice, bob, keeper, _) = thin_pool_gap(0, usd(145));
    let deficit = vm.margin(&bob).balances.collateral.unsigned_abs();
    let positive = vm.market_state().books.total_positive_collateral;
    let cover = vm.keeper().cover_bankruptcy(keeper.pubkey(), bob.pubkey());
    vm.act("cover_bankruptcy: fund, LP, socialized, uncovered", &keeper, cover);
    let market = vm.market_state();
    assert_eq!(market.cumulative_socialized, positive, "every positive balance bore its share");
    assert!(market.cumulative_uncovered > 0);
    assert_eq!(market.cumulative_lp_clawback + market.cumulative_socialized + market.cumulative_uncovered, deficit);
    assert_eq!(market.books.pending_deficit, 0);
    vm.assert_vaults_match_books();
    vm.measurements
}

/// tests/cases/governance.rs: tightening applies at once; loosening is queued; the guardian's pause.
pub fn governance() -> Vec<Measurement> {
    let mut vm = Vm::listed(default_params());
    let governance = vm.governance.insecure_clone();
    let mut tighter = default_params();
    tighter.min_order_size *= 2;
    tighter.max_open_interest /= 2;
    vm.measure(
        "update_market_params: tighten",
        gov::update_market_params(governance.pubkey(), vm.market, tighter),
        &[&governance],
    );
    assert_eq!(vm.market_state().params, tighter);
    let queued = gov::update_market_params(governance.pubkey(), vm.market, default_params());
    vm.measure("update_market_params: queue loosening", queued, &[&governance]);
    assert_eq!(vm.market_state().params, tighter);
    vm.advance(TIMELOCK);
    vm.set_price(START_PRICE, START_CONF);
    vm.measure("apply_market_params", gov::apply_market_params(vm.market, vm.payer.pubkey()), &[]);
    assert_eq!(vm.market_state().params, default_params());
    let stranger = vm.actor(0);
    let forged = gov::update_market_params(stranger.pubkey(), vm.market, tighter);
    vm.assert_rejected(&stranger, forged, BackstopError::Unauthorized);
    vm.measurements
}

/// tests/cases/staking.rs: stake, request, cooldown, unstake at the same value.
pub fn staking() -> Vec<Measurement> {
    let mut vm = Vm::listed(default_params());
    let staker = vm.seed_fund(THOUSAND);
    let flows = vm.staking(&staker);
    let shares = vm.load::<backstop::state::StakePosition>(flows.position).book.shares;
    vm.assert_rejected(&staker, flows.unstake(&[vm.market]), BackstopError::NoUnstakeRequest);
    vm.act("request_unstake", &staker, flows.request_unstake(shares));
    vm.assert_rejected(&staker, flows.unstake(&[vm.market]), BackstopError::CooldownNotElapsed);
    vm.advance(i64::from(default_fund_params().cooldown_secs));
    vm.act("unstake", &staker, flows.unstake(&[vm.market]));
    assert_eq!(vm.token_balance(staker.token), THOUSAND);
    assert_eq!(vm.fund_state().book.balance, 0);
    vm.assert_vaults_match_books();
    vm.measurements
}

/// The same trades on a market listed with the production preset (`backstop_client::presets::production`), whose
/// fee follows volatility and whose fund share can rise with its coverage and adequacy: every trade there works out
/// the volatility, the coverage and the crash deficit at the target shock, which the test market's flat fee and
/// fixed share let it skip. The price moves 3 % between trades (ten seconds apart, so each print is observed), so
/// the volatility estimate is live and the target shock off its floor: the costliest path.
pub fn production_preset() -> Vec<Measurement> {
    let mut vm = Vm::listed(backstop_client::presets::production());
    let _lp = vm.lp(100 * THOUSAND);
    let alice = vm.trader(THOUSAND);
    let flow = vm.flow(&alice);
    let step = |vm: &mut Vm, price: i64| {
        vm.advance(10);
        vm.set_price(price, 1_000_000);
    };
    vm.act("trade: open (production preset)", &alice, flow.trade(2 * ONE));
    step(&mut vm, usd(103));
    // The keeper's poke: the print absorbed with nobody trading (funding, volatility estimate, breaker).
    let poke = backstop_client::governance::refresh_market(vm.market, vm.oracle, vm.fund);
    vm.measure("refresh_market: a print absorbed (production preset)", poke, &[]);
    vm.act("trade: increase (production preset)", &alice, flow.trade(ONE));
    step(&mut vm, usd(100));
    vm.act("withdraw: with a position open (production preset)", &alice, flow.withdraw(USDC));
    step(&mut vm, usd(103));
    vm.act("trade: flip (production preset)", &alice, flow.trade(-5 * ONE));
    step(&mut vm, usd(100));
    vm.act("trade: close (production preset)", &alice, flow.trade(2 * ONE));
    let market = vm.market_state();
    let shock = backstop_math::book::target_shock_bps(&market.params, market.variance.rate).expect("shock");
    assert!(shock > market.params.stress_shock_floor_bps, "the target shock left its floor: {shock}");
    assert_eq!(vm.margin(&alice).balances.position.base, 0);
    vm.assert_vaults_match_books();
    vm.measurements
}

/// Funding on (tests/cases/funding.rs parameters): every touch a second or more after the last one accrues the
/// index and settles the account's share (reported in the `TradeRecord`'s `funding`).
pub fn funding_accruing() -> Vec<Measurement> {
    let mut vm = Vm::listed(funding_params());
    let _lp = vm.lp(100 * THOUSAND);
    let alice = vm.trader(THOUSAND);
    let bob = vm.trader(THOUSAND);
    vm.act("trade: open", &alice, vm.flow(&alice).trade(3 * ONE));
    vm.act("trade: open", &bob, vm.flow(&bob).trade(-ONE));
    let index_before = vm.market_state().books.cumulative_funding_index;
    vm.advance(600);
    vm.set_price(START_PRICE, START_CONF);
    vm.act("trade: funding accrued and settled", &alice, vm.flow(&alice).trade(ONE));
    assert!(vm.market_state().books.cumulative_funding_index > index_before, "longs are crowded: the index rises");
    vm.advance(600);
    vm.set_price(START_PRICE, START_CONF);
    vm.act("withdraw: funding accrued and settled", &bob, vm.flow(&bob).withdraw(USDC));
    assert_eq!(vm.token_balance(bob.token), USDC);
    vm.assert_vaults_match_books();
    vm.measurements
}
