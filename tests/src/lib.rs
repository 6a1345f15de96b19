//! Backstop's integration harness: the real program, run natively inside solana-program-test's bank, with the
//! real System and SPL Token programs. One fixture module, one builder per instruction, one error assertion.

// solana-program-test 3.x marks its whole API deprecated as a notice that it joins Agave's unstable API in 4.0;
// it is the supported harness for 3.x.
#![allow(deprecated)]

pub mod builders;
pub mod bulk;
pub mod env;
pub mod fixtures;
pub mod inspect;
pub mod pyth;
pub mod rpc_proxy;
pub mod scenes;
pub mod surfnet;

pub use builders::*;
pub use env::*;
pub use fixtures::*;
pub use inspect::*;

/// Asserts a transaction failed with exactly this Backstop error.
#[macro_export]
macro_rules! assert_backstop_error {
    ($result:expr, $error:expr) => {{
        let expected: u32 = $error.into();
        match $result {
            Err(failure) => assert_eq!(
                $crate::inspect::custom_error_code(&failure),
                Some(expected),
                "expected {:?} ({}), got {:?}",
                $error,
                expected,
                failure
            ),
            Ok(_) => panic!("expected {:?}, but the transaction succeeded", $error),
        }
    }};
}

/// Asserts a transaction failed with exactly this Anchor framework error (constraint failures the program does
/// not name itself, such as a wrong account type).
#[macro_export]
macro_rules! assert_anchor_error {
    ($result:expr, $error:expr) => {{
        let expected: u32 = $error.into();
        match $result {
            Err(failure) => {
                assert_eq!($crate::inspect::custom_error_code(&failure), Some(expected), "got {:?}", failure)
            }
            Ok(_) => panic!("expected {:?}, but the transaction succeeded", $error),
        }
    }};
}

/// A raw custom error code from a program other than Backstop (the System program's `AccountAlreadyInUse` is 0).
#[derive(Debug, Clone, Copy)]
pub struct RawCode(pub u32);

impl From<RawCode> for u32 {
    fn from(code: RawCode) -> u32 {
        code.0
    }
}
