//! Backstop's crash laboratory: a market on the in-process bank (the real program, SPL Token, real Pyth account
//! layouts), traders and LPs, a price series replayed through the oracle, and the real keeper (`backstop-app`)
//! between price steps. Dev-only: it links the test bank, which the operator binary never does.

pub mod bank;
pub mod demo;
pub mod quiet;
pub mod simulation;

pub use bank::InProcessChain;
