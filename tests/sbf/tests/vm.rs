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
