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
