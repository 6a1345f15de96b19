//! Backstop's VM suite: the real SBF binary (`target/deploy/backstop.so`, built by `scripts/build-sbf.sh`) in
//! LiteSVM, with the real SPL Token program and real Pyth accounts. The same builders as every other client
//! (`backstop-client`), the same fixtures as the native harness (the files are shared, not copied), and the
//! compute units of every instruction recorded as it runs.

/// The native harness's numbers and parameters (tests/src/fixtures.rs), included rather than depended on: the
/// native harness crate pulls solana-program-test, which this workspace does not build.
#[path = "../../src/fixtures.rs"]
pub mod fixtures;
/// Real Pyth price accounts from tests/fixtures/pyth, with the fields a test moves rewritten in place.
#[path = "../../src/pyth.rs"]
pub mod pyth;
pub mod review;
pub mod scenarios;
pub mod vm;

pub use fixtures::*;
pub use vm::{Actor, Measurement, Vm};

/// Whether `instruction` has a row in `client/src/measured_units.rs`, the table clients set compute-unit limits
/// from: every instruction but those that create an account, whose cost varies from run to run with the PDA bump
/// search (and which no keeper budgets). `cu-bench --write-docs` writes the table; the VM suite checks it covers.
pub fn in_measured_table(instruction: &str) -> bool {
    !instruction.starts_with("create_") && !instruction.starts_with("initialize_")
}
