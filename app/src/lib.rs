//! Backstop's off-chain side: a client over any chain (an RPC node or the in-process bank, behind one trait),
//! the keeper that keeps markets safe, and the crash simulator. Every number is computed by the same
//! `backstop-math` code the program runs.

pub mod chain;
pub mod cli;
pub mod demo;
pub mod keeper;
pub mod oracle;
pub mod rpc;
pub mod sim;

/// Instruction builders and PDAs for every Backstop instruction (one definition, shared with the tests).
pub use backstop_tests::builders;
pub use chain::{Chain, InProcessChain};
pub use keeper::{Keeper, RoundReport};
