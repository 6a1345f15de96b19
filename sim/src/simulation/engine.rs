//! Two engines behind one interface. The replay (`super::replay`) asks an [`Engine`] to publish prices, let
//! traders trade, run the keeper and sweep revenue, and reads back what the audit and the report need.
//!
//! - [`BankEngine`](super::bank_engine::BankEngine): the real program on the in-process bank, with the SPL Token
//!   program, real Pyth account bytes and the real keeper sending real transactions. The ground truth.
//! - [`CoreEngine`](super::core_engine::CoreEngine): the same program code with no bank. It starts from a bank's
//!   state after the market, the fund and the pool are set up, then calls the program's own `apply_*` functions
//!   (what each instruction decides and stores, which its handler calls between loading accounts and moving
//!   tokens) on accounts held in memory, decodes the same oracle bytes, and decides as the keeper does with the
//!   keeper's own `verdict`. Hundreds of times faster: for sweeps and many seeds.
//!
//! `sim/tests/engines.rs` replays several settings on both (one market, and two markets sharing a fund) and
//! requires identical totals, samples and failures.

use super::reconcile::CoverObservation;
use backstop::state::{InsuranceFund, Market, MarketBook, StakePosition};
use backstop_app::RoundReport;
use backstop_math::margin::TraderBalances;

/// Which engine a run uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize, clap::ValueEnum)]
pub enum EngineKind {
    /// The real program on the in-process bank: every action a transaction (the ground truth).
    #[default]
    Bank,
    /// The program's own state-transition functions in memory, from a bank-built start (fast).
    Core,
}

/// What a replay needs of a chain: one insurance fund backing one or more markets (numbered from 0 in the order
/// the run lists them), each with its own oracle, vault, pool and traders.
#[allow(async_fn_in_trait)]
pub trait Engine {
    fn now(&self) -> i64;
    async fn set_clock(&mut self, unix_ts: i64);
    /// How many markets the fund backs.
    fn markets(&self) -> usize;
    /// Publishes a print (mantissa at expo -8) on `market`'s oracle stamped now, its EMA lagging as Pyth's does.
    async fn set_price(&mut self, market: usize, price_e8: i64, conf: u64);
    /// `market`'s EMA as last published.
    fn ema_e8(&self, market: usize) -> Option<i64>;
    /// A new trader in `market` depositing `collateral` atoms; its index for [`Engine::trade`].
    async fn add_trader(&mut self, market: usize, collateral: u64) -> Result<usize, String>;
    /// Whether the trader's market took the trade.
    async fn trade(&mut self, trader: usize, base_delta: i64) -> bool;
    async fn balances(&mut self, trader: usize) -> Result<TraderBalances, String>;
    /// One keeper round over every market, as `backstop keeper` runs one per market (its sweep left to the
    /// replay), market `first` first and the rest in turn (a fund short of cash pays whoever is covered first, so
    /// the replay rotates who that is); a report per market, indexed by market.
    async fn keeper_round(&mut self, first: usize) -> Result<Vec<RoundReport>, String>;
    /// `settle_fund_revenue` of `market`; the error text when refused.
    async fn settle_fund_revenue(&mut self, market: usize) -> Result<(), String>;
    async fn market(&mut self, market: usize) -> Result<Market, String>;
    async fn fund(&mut self) -> Result<InsuranceFund, String>;
    /// Every margin account of `market` as stored: the traders' and the keeper's.
    async fn margin_accounts(&mut self, market: usize) -> Result<Vec<TraderBalances>, String>;
    /// Token balances of `market`'s vault and of the fund's vault.
    async fn vault_balances(&mut self, market: usize) -> Result<(u64, u64), String>;
    /// Every cover since the last call, observed around it (for the audit), with the market it was in.
    fn take_covers(&mut self) -> Vec<(usize, CoverObservation)>;
    /// Market `market`'s bankruptcy book as stored (boxed: 34 KiB).
    async fn market_book(&mut self, market: usize) -> Result<Box<MarketBook>, String>;
    /// The fund's staker (who seeded it) as stored.
    async fn stake_position(&mut self) -> Result<StakePosition, String>;
    /// The staker asks to withdraw all its unlocked shares: `request_unstake` (the cooldown starts). Whether the
    /// program took the request.
    async fn request_exit(&mut self) -> Result<bool, String>;
    /// The staker's `unstake`, naming every market the fund backs. Whether the program paid (a refusal, e.g. the
    /// cooldown not over or the redemption gate full, is `false`).
    async fn complete_exit(&mut self) -> Result<bool, String>;
}
