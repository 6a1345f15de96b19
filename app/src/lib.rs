//! Backstop's operator tools: a client over any cluster (one `Chain` trait; `rpc` implements it over JSON-RPC),
//! the keeper that keeps markets safe, and the CLI's commands. Every number is computed by the same
//! `backstop-math` code the program runs, and every instruction is built by `backstop-client`. Nothing here links
//! the test bank: the simulator and the in-process chain live in `backstop-sim`.

pub mod chain;
pub mod commands;
pub mod config;
pub mod error;
pub mod keeper;
pub mod landing;
pub mod metrics;
pub mod multisig;
pub mod output;
pub mod price_service;
pub mod rpc;
pub mod settings;
pub mod watch;

pub use chain::Chain;
pub use error::Error;
pub use keeper::{Keeper, RoundReport};
