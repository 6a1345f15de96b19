//! Every scenario of `backstop_sbf::scenarios` against the binary in LiteSVM. Needs target/deploy/backstop.so
//! (scripts/build-sbf.sh); `.ci/run` builds it first.

use backstop_sbf::{review, scenarios};

macro_rules! vm_test {
    ($($name:ident),* $(,)?) => {$(
        #[test]
        fn $name() {
            let measurements = scenarios::$name();
            assert!(!measurements.is_empty());
        }
    )*};
}

vm_test!(
    collateral_and_trading,
    partial_liquidation,
    full_liquidation_and_sweep,
    cover_from_fund,
    cover_from_fund_and_pool,
    cover_socialized,
    cover_uncovered,
    governance,
    staking,
    funding_accruing,
    production_preset,
);

#[test]
fn review_hedged_pair_claim() {
    assert!(!review::hedged_pair_claim().is_empty());
}

#[test]
fn review_unstake_storm() {
    assert!(!review::unstake_storm_and_pending_deficit().is_empty());
}

#[test]
fn review_unstake_with_a_bankruptcy_pending() {
    assert!(!review::unstake_with_a_bankruptcy_pending().is_empty());
}

#[test]
fn review_exits_and_treasury() {
    assert!(!review::exits_and_treasury().is_empty());
}

#[test]
fn every_scenario_is_listed_for_the_benchmark() {
    assert_eq!(scenarios::ALL.len(), 15);
}

#[test]
fn the_binary_carries_its_security_txt() {
    let binary = std::fs::read(backstop_sbf::vm::program_path()).expect("backstop.so");
    let marker = b"=======BEGIN SECURITY.TXT V1=======";
    assert!(binary.windows(marker.len()).any(|window| window == marker), "security.txt missing from the binary");
}

/// The deployed entrypoint (`lean-entrypoint`) on the inputs the scenarios never send: an account named twice, and
/// more accounts than its 64 stack slots (they go to the SDK's reader).
#[test]
fn the_entrypoint_reads_repeated_accounts_and_more_than_its_stack_holds() {
    use anchor_lang::solana_program::instruction::AccountMeta;
    use solana_transaction::{InstructionError, TransactionError};
    use backstop::error::BackstopError;
    let mut vm = backstop_sbf::vm::Vm::listed(backstop_sbf::default_params());
    let market = vm.market;
    // The market and its book named twice: read as the same accounts, refused by name by the program.
    let twice = vm.keeper().fund_health(&[market, market]);
    let refused: u32 = BackstopError::InvalidMarketList.into();
    match vm.send(twice, &[]) {
        Err(TransactionError::InstructionError(_, InstructionError::Custom(code))) => {
            assert_eq!(code, refused)
        }
        other => panic!("expected InvalidMarketList, got {other:?}"),
    }
    assert!(vm.send(vm.keeper().fund_health(&[market]), &[]).is_ok(), "once: the view runs");
    // 70 accounts: the oracle poke with the market repeated past the stack's 64 slots, read by the SDK's reader.
    vm.advance(5);
    vm.set_price(backstop_sbf::usd(101), 1_000_000);
    let mut poke = backstop_client::governance::refresh_market(market, vm.oracle, vm.fund);
    poke.accounts.extend((0..64).map(|_| AccountMeta::new_readonly(market, false)));
    assert_eq!(poke.accounts.len(), 70);
    assert!(vm.send(poke, &[]).is_ok(), "beyond 64 accounts the instruction runs as ever");
    // The print was absorbed (PRICE_PRECISION, six decimals; the fixture publishes eight).
    assert_eq!(vm.market_state().last_oracle_price, backstop_sbf::usd(101) / 100);
}

/// The compute-unit limit clients set from `client/src/measured_units.rs` (its measured most plus the margin) covers
/// every case the binary runs now; rewrite the table with `cu-bench --write-docs` when an instruction grows.
/// (Within the margin, the table may lag a run: an `extend_market_book` varies by a few dozen units with its keys.)
#[test]
fn the_measured_units_cover_the_binary() {
    use backstop_client::compute::{unit_limit, BUDGET_INSTRUCTION_UNITS};
    for scenario in scenarios::ALL {
        for measurement in (scenario.run)() {
            let instruction = measurement.label.split(": ").next().unwrap_or_default();
            if !backstop_sbf::in_measured_table(instruction) {
                continue;
            }
            let limit = unit_limit(&[instruction])
                .unwrap_or_else(|| panic!("{instruction} is not in client/src/measured_units.rs"));
            let available = u64::from(limit - BUDGET_INSTRUCTION_UNITS);
            assert!(
                measurement.compute_units <= available,
                "{}: {} units, over the {available} a client asks for: run cu-bench --write-docs",
                measurement.label,
                measurement.compute_units
            );
        }
    }
}
