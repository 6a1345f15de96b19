//! The security review's money-path findings replayed on the binary with the native suite's numbers
//! (tests/cases/attacks: hedged_claim.rs, unstake_queue_storm.rs, exits_dodging_losses.rs, fund_corners.rs), and
//! what the new flows cost.

use crate::vm::{Measurement, Vm};
use crate::*;
use backstop::error::BackstopError;
use backstop::state::{Exchange, LpPosition, StakePosition};
use backstop_client::{fund_governance, pda};
use backstop_math::staking::FundParams;
use solana_signer::Signer;

const THOUSAND: u64 = 1_000 * USDC;

fn print(vm: &mut Vm, dollars: i64) {
    vm.advance(5);
    vm.set_price(usd(dollars), 1_000_000);
}

/// F1: A1 and A2 long 50, B short 100; at $150 both longs close (A2 is owed its whole profit) and re-open; at
/// $110 A2 closes. Its claim pays its loss: no deficit, nothing for the fund to cover.
pub fn hedged_pair_claim() -> Vec<Measurement> {
    let mut vm = Vm::listed(default_params());
    vm.seed_fund(10 * THOUSAND);
    let _lp = vm.lp(THOUSAND);
    let (a1, a2, b) = (vm.trader(600 * USDC), vm.trader(600 * USDC), vm.trader(8 * THOUSAND));
    let keeper = vm.trader(0);
    vm.act("trade: open", &a1, vm.flow(&a1).trade(50 * ONE));
    vm.act("trade: open", &b, vm.flow(&b).trade(-100 * ONE));
    vm.act("trade: open", &a2, vm.flow(&a2).trade(50 * ONE));
    print(&mut vm, 150);
    vm.act("trade: close", &a1, vm.flow(&a1).trade(-50 * ONE));
    vm.act("trade: close, profit owed", &a2, vm.flow(&a2).trade(-50 * ONE));
    let claim = vm.margin(&a2).balances.unsettled_pnl;
    assert_eq!(claim, 2_496_000_200);
    vm.act("trade: open", &a1, vm.flow(&a1).trade(50 * ONE));
    vm.act("trade: open", &a2, vm.flow(&a2).trade(50 * ONE));
    print(&mut vm, 110);
    vm.act("trade: close, loss netted against the claim", &a2, vm.flow(&a2).trade(-50 * ONE));
    let after = vm.margin(&a2).balances;
    assert_eq!((after.collateral, after.unsettled_pnl), (583_500_200, 488_999_800));
    vm.assert_rejected(&keeper, vm.keeper().cover_bankruptcy(keeper.pubkey(), a2.pubkey()), BackstopError::NotBankrupt);
    let fund = vm.fund_state();
    assert_eq!((fund.book.balance, fund.deficits_covered), (10 * THOUSAND, 0));
    vm.assert_vaults_match_books();
    vm.measurements
}

/// F2: 100 request/cancel pairs by a 10 % staker under a 20 %-a-day gate; the other staker is paid in the first
/// window after its cooldown. Then a staker leaving while a deficit is pending bears its share.
pub fn unstake_storm_and_pending_deficit() -> Vec<Measurement> {
    let mut vm = Vm::listed(default_params());
    let gated = FundParams { gate_bps: 2_000, gate_window_secs: 86_400, ..default_fund_params() };
    let governance = vm.governance.insecure_clone();
    vm.measure(
        "update_fund_params",
        fund_governance::update_fund_params(governance.pubkey(), vm.fund, gated),
        &[&governance],
    );
    // Every change to the staking rules waits for the timelock (review F4).
    vm.advance(TIMELOCK);
    vm.set_price(START_PRICE, START_CONF);
    vm.measure("apply_fund_params", fund_governance::apply_fund_params(vm.fund, vm.payer.pubkey()), &[]);
    let attacker = vm.seed_fund(100 * USDC);
    let victim = vm.seed_fund(900 * USDC);
    let flows = vm.staking(&attacker);
    let shares = vm.load::<StakePosition>(flows.position).book.shares;
    for _ in 0..100 {
        vm.act("request_unstake", &attacker, flows.request_unstake(shares));
        vm.act("cancel_unstake", &attacker, flows.cancel_unstake());
    }
    let victim_flows = vm.staking(&victim);
    let victim_shares = vm.load::<StakePosition>(victim_flows.position).book.shares;
    vm.act("request_unstake", &victim, victim_flows.request_unstake(victim_shares));
    vm.advance(i64::from(gated.cooldown_secs));
    vm.set_price(START_PRICE, START_CONF);
    vm.act("unstake: part, the gate's window", &victim, victim_flows.unstake(&[vm.market]));
    assert_eq!(vm.token_balance(victim.token), 200 * USDC);
    vm.assert_vaults_match_books();
    vm.measurements
}

/// Two $1,000 stakers, $36.080090 of bankruptcy pending: the leaver is paid its share net of the cover to come
/// (tests/cases/attacks/exits_dodging_losses.rs).
pub fn unstake_with_a_bankruptcy_pending() -> Vec<Measurement> {
    let mut vm = Vm::listed(default_params());
    let leaver = vm.seed_fund(THOUSAND);
    let _stayer = vm.seed_fund(THOUSAND);
    let _lp = vm.lp(100 * THOUSAND);
    let flows = vm.staking(&leaver);
    let shares = vm.load::<StakePosition>(flows.position).book.shares;
    vm.act("request_unstake", &leaver, flows.request_unstake(shares));
    vm.advance(i64::from(default_fund_params().cooldown_secs));
    vm.set_price(START_PRICE, START_CONF);
    let alice = vm.trader(100 * USDC);
    vm.act("trade: open 9x", &alice, vm.flow(&alice).trade(9 * ONE));
    let keeper = vm.trader(0);
    print(&mut vm, 85);
    vm.act("liquidate: to bankruptcy", &keeper, vm.keeper().liquidate(keeper.pubkey(), alice.pubkey()));
    vm.assert_rejected(&leaver, flows.unstake(&[]), BackstopError::InvalidMarketList);
    vm.act("unstake: a bankruptcy pending", &leaver, flows.unstake(&[vm.market]));
    assert_eq!(vm.token_balance(leaver.token), 981_959_955);
    vm.assert_vaults_match_books();
    vm.measurements
}

/// An LP exit in two steps with the loss recognised in between; a flat withdrawal while a deficit the pool can
/// bear is pending; the treasury's fees swept to the treasury.
pub fn exits_and_treasury() -> Vec<Measurement> {
    let mut vm = Vm::listed(default_params());
    let leaver = vm.lp(50 * THOUSAND);
    let _stayer = vm.lp(50 * THOUSAND);
    let alice = vm.trader(100 * USDC);
    vm.act("trade: open 9x", &alice, vm.flow(&alice).trade(9 * ONE));
    let idle = vm.trader(THOUSAND);
    let keeper = vm.trader(0);
    print(&mut vm, 85);
    let flow = vm.lp_flow(&leaver);
    let shares = vm.load::<LpPosition>(flow.position).shares;
    vm.assert_rejected(&leaver, flow.lp_withdraw(shares), BackstopError::NoLpExitRequest);
    vm.act("request_lp_withdraw", &leaver, flow.request_lp_withdraw(shares));
    assert_eq!(vm.load::<LpPosition>(flow.position).exit.value, 50_067_680_017);
    vm.assert_rejected(&leaver, flow.lp_withdraw(shares), BackstopError::LpExitDelayNotElapsed);
    vm.act("liquidate: to bankruptcy", &keeper, vm.keeper().liquidate(keeper.pubkey(), alice.pubkey()));
    vm.act("withdraw: flat, a deficit the pool can bear pending", &idle, vm.flow(&idle).withdraw(USDC));
    vm.act("cover_bankruptcy: LP clawback", &keeper, vm.keeper().cover_bankruptcy(keeper.pubkey(), alice.pubkey()));
    vm.advance(10);
    vm.set_price(usd(85), 1_000_000);
    vm.act("lp_withdraw", &leaver, flow.lp_withdraw(shares));
    assert_eq!(vm.token_balance(leaver.token), 50_049_729_972, "as in the native run");

    let exchange: Exchange = vm.load(pda::exchange());
    let treasury = vm.create_token_account(exchange.treasury);
    let accrued = vm.market_state().books.treasury_fee_accrued;
    vm.measure("sweep_treasury_fees", vm.keeper().sweep_treasury_fees(treasury), &[]);
    assert_eq!(vm.token_balance(treasury), accrued);
    vm.assert_vaults_match_books();
    vm.measurements
}
