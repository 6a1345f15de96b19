//! The fast engine: the program's own state transitions on accounts held in memory, no bank.
//!
//! Every action runs the function its instruction's handler runs (`apply_trade`, `apply_liquidation`,
//! `apply_cover`, `apply_fund_revenue_sweep`, `apply_deposit`, `apply_request_unstake`, `apply_unstake`,
//! `Market::absorb_oracle`) on copies of the accounts,
//! and keeps the copies only when the action succeeds and the vaults still hold what the books owe, as a rejected
//! transaction changes nothing. The oracle is read from the same account bytes the bank's Pyth account holds, with
//! the program's decoder and guards (staleness, ordering, confidence, the EMA band).
//!
//! What is not modelled, and is checked only on the bank engine: signatures and Anchor's account constraints (the
//! oracle's address, `Liquidate::validate`'s self-liquidation checks, owners and discriminators), rent, compute
//! limits, and the keeper's retries of transient failures (there are none in memory). The vaults are the engine's
//! own tallies, moved exactly as each handler moves tokens: the audit's vault-against-books check compares the
//! engine with itself here, so it is the bank engine's audit that proves the token movements; the core engine's
//! proves the books. `sim/tests/engines.rs` holds the two engines to identical results.

use super::bank_engine::BankEngine;
use super::engine::Engine;
use super::reconcile::{CoverObservation, CoverSnapshot};
use anchor_lang::prelude::Pubkey;
use backstop::instructions::{
    apply_cover, apply_deposit, apply_fund_revenue_sweep, apply_liquidation, apply_request_unstake, apply_trade,
    apply_unstake,
};
use backstop::state::{InsuranceFund, MarginAccount, Market, StakePosition};
use backstop_app::chain::Chain;
use backstop_app::keeper::{verdict, Failure, Verdict};
use backstop_app::RoundReport;
use backstop_math::margin::TraderBalances;
use backstop_math::oracle::OracleView;
use backstop_tests::builders::pda;
use backstop_tests::pyth::OracleFeed;

/// Where a core run starts: a bank's state once the market, the fund, the pool and the keeper are set up,
/// copied out. Cloned per seed, so a sweep builds one bank per fund size rather than one per run.
#[derive(Clone)]
pub struct CoreStart {
    market: Market,
    fund: InsuranceFund,
    keeper: MarginAccount,
    stake: StakePosition,
    market_vault: u64,
    fund_vault: u64,
    feed: OracleFeed,
    oracle_owner: Pubkey,
    now: i64,
}

impl CoreStart {
    pub async fn from_bank(bank: &mut BankEngine) -> Result<Self, String> {
        let market = bank.market().await?;
        let fund = bank.fund().await?;
        let (market_vault, fund_vault) = bank.vault_balances().await?;
        let keeper_address = pda::margin_account(&bank.chain.env.market, &bank.chain.keeper());
        let keeper: MarginAccount = bank.chain.env.load(keeper_address).await;
        let stake = bank.stake_position().await?;
        let feed = bank.chain.env.oracle_feed();
        let oracle_owner = feed.account().owner;
        let now = bank.chain.env.now;
        Ok(Self { market, fund, keeper, stake, market_vault, fund_vault, feed, oracle_owner, now })
    }
}

pub struct CoreEngine {
    market: Market,
    fund: InsuranceFund,
    keeper: MarginAccount,
    stake: StakePosition,
    traders: Vec<MarginAccount>,
    market_vault: u64,
    fund_vault: u64,
    feed: OracleFeed,
    oracle_owner: Pubkey,
    /// The oracle account's bytes as last published.
    oracle_data: Vec<u8>,
    now: i64,
    covers: Vec<CoverObservation>,
}

type Refusal = anchor_lang::error::Error;

impl CoreEngine {
    pub fn new(start: CoreStart) -> Self {
        let oracle_data = start.feed.account().data;
        Self {
            market: start.market,
            fund: start.fund,
            keeper: start.keeper,
            stake: start.stake,
            traders: Vec::new(),
            market_vault: start.market_vault,
            fund_vault: start.fund_vault,
            feed: start.feed,
            oracle_owner: start.oracle_owner,
            oracle_data,
            now: start.now,
            covers: Vec::new(),
        }
    }

    /// The oracle as the program reads it now, through the same decoder and guards.
    fn view(&self, market: &Market) -> Result<OracleView, backstop_app::Error> {
        backstop_app::oracle::view_from_account(&self.oracle_data, &self.oracle_owner, market, self.now)
    }

    /// Whether the vaults still hold what `market` and `fund` owe, as each handler checks after its transfers.
    fn vaults_cover(market: &Market, fund: &InsuranceFund, market_vault: u64, fund_vault: u64) -> bool {
        market.books.vault_liability().is_ok_and(|owed| market_vault >= owed) && fund_vault >= fund.book.balance
    }

    /// `update_circuit_breaker`.
    fn poke(&mut self) -> bool {
        let mut market = self.market;
        let Ok(view) = self.view(&market) else { return false };
        let ok = market.absorb_oracle(&view, self.now).is_ok();
        if ok {
            self.market = market;
        }
        ok
    }

    fn liquidate(&mut self, trader: usize) -> Result<(), backstop_app::Error> {
        let (mut market, mut account, mut keeper) = (self.market, self.traders[trader], self.keeper);
        let view = self.view(&market)?;
        apply_liquidation(&mut market, &mut account, &mut keeper, &view, self.now).map_err(refusal)?;
        (self.market, self.traders[trader], self.keeper) = (market, account, keeper);
        Ok(())
    }

    fn cover(&mut self, trader: usize) -> Result<(), backstop_app::Error> {
        let (mut market, mut account, mut fund) = (self.market, self.traders[trader], self.fund);
        let before = CoverSnapshot::read(&account, &market, &fund, self.now);
        let view = self.view(&market)?;
        let outcome = apply_cover(&mut market, &mut account, &mut fund, &view, self.now).map_err(refusal)?;
        // The handler moves the fund's share from the fund vault to the market vault.
        let paid = outcome.plan.fund;
        // The token program refuses a transfer beyond the source's balance.
        let moved = self.fund_vault.checked_sub(paid).zip(self.market_vault.checked_add(paid));
        let Some((fund_vault, market_vault)) = moved else { return Err(insufficient_funds()) };
        if !Self::vaults_cover(&market, &fund, market_vault, fund_vault) {
            return Err(undercollateralized());
        }
        let after = CoverSnapshot::read(&account, &market, &fund, self.now);
        self.covers.push(before.observe(&after, self.now));
        (self.market, self.traders[trader], self.fund) = (market, account, fund);
        (self.market_vault, self.fund_vault) = (market_vault, fund_vault);
        Ok(())
    }

    fn keeper_action(
        action: &'static str,
        trader: usize,
        report: &mut RoundReport,
        outcome: Result<(), backstop_app::Error>,
    ) {
        let address = address_of(trader);
        match outcome {
            Ok(()) if action == "liquidate" => report.liquidated.push(address),
            Ok(()) => report.covered.push(address),
            Err(error) => report.failed.push(Failure::new(action, address, &error)),
        }
    }
}

/// A program refusal as the RPC client names it: Backstop's errors by name, by the one code table.
fn refusal(error: Refusal) -> backstop_app::Error {
    match &error {
        anchor_lang::error::Error::AnchorError(anchor) => {
            backstop_app::Error::from_custom(anchor.error_code_number, std::slice::from_ref(&anchor.error_msg))
        }
        anchor_lang::error::Error::ProgramError(program) => {
            backstop_app::Error::Transaction { reason: program.program_error.to_string(), transient: false }
        }
    }
}

/// What the token program says of a transfer beyond the source's balance.
fn insufficient_funds() -> backstop_app::Error {
    backstop_app::Error::Transaction { reason: "insufficient funds (token program)".to_string(), transient: false }
}

fn undercollateralized() -> backstop_app::Error {
    refusal(backstop::error::BackstopError::VaultUndercollateralized.into())
}

/// A stand-in address for a trader of the core engine (it has no keys), for the keeper's report.
fn address_of(trader: usize) -> Pubkey {
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&(trader as u64).to_le_bytes());
    Pubkey::new_from_array(bytes)
}

impl Engine for CoreEngine {
    fn now(&self) -> i64 {
        self.now
    }

    async fn set_clock(&mut self, unix_ts: i64) {
        self.now = unix_ts;
    }

    async fn set_price(&mut self, price_e8: i64, conf: u64) {
        self.feed.publish(price_e8, conf, self.now);
        self.oracle_data = self.feed.account().data;
    }

    fn ema_e8(&self) -> Option<i64> {
        self.feed.ema()
    }

    async fn add_trader(&mut self, collateral: u64) -> Result<usize, String> {
        let mut account: MarginAccount = bytemuck::Zeroable::zeroed();
        account.market = self.keeper.market;
        account.owner = address_of(self.traders.len());
        if collateral > 0 {
            let mut market = self.market;
            apply_deposit(&mut market, &mut account, collateral, self.now).map_err(|e| e.to_string())?;
            self.market = market;
            self.market_vault = self.market_vault.checked_add(collateral).ok_or("market vault overflows")?;
        }
        self.traders.push(account);
        Ok(self.traders.len() - 1)
    }

    async fn trade(&mut self, trader: usize, base_delta: i64) -> bool {
        let Some(mut account) = self.traders.get(trader).copied() else { return false };
        let mut market = self.market;
        let Ok(view) = self.view(&market) else { return false };
        let fund_balance = self.fund.book.balance;
        if apply_trade(&mut market, &mut account, fund_balance, &view, base_delta, self.now).is_err() {
            return false;
        }
        (self.market, self.traders[trader]) = (market, account);
        true
    }

    async fn balances(&mut self, trader: usize) -> Result<TraderBalances, String> {
        self.traders.get(trader).map(|account| account.balances).ok_or_else(|| format!("no trader {trader}"))
    }

    /// As `Keeper::round`: show the market its oracle, read the price once, judge every account against the
    /// market as read then, liquidate (and cover at once an account the liquidation left bankrupt) or cover.
    async fn keeper_round(&mut self) -> Result<RoundReport, String> {
        let poked = self.poke();
        let market = self.market;
        let price =
            self.view(&market).and_then(|view| view.believed().map_err(Into::into)).map_err(|e| e.to_string())?;
        let mut report = RoundReport { scanned: self.traders.len(), poked, ..Default::default() };
        for trader in 0..self.traders.len() {
            match verdict(&self.traders[trader], &market.books, &market.params, &price, self.now) {
                Verdict::Healthy => {}
                Verdict::Liquidate => {
                    let outcome = self.liquidate(trader);
                    Self::keeper_action("liquidate", trader, &mut report, outcome);
                    if self.traders[trader].balances.is_bankrupt() {
                        let outcome = self.cover(trader);
                        Self::keeper_action("cover", trader, &mut report, outcome);
                    }
                }
                Verdict::Cover => {
                    let outcome = self.cover(trader);
                    Self::keeper_action("cover", trader, &mut report, outcome);
                }
            }
        }
        Ok(report)
    }

    async fn settle_fund_revenue(&mut self) -> Result<(), String> {
        let (mut market, mut fund) = (self.market, self.fund);
        let sweep = apply_fund_revenue_sweep(&mut market, &mut fund, self.now).map_err(|e| e.to_string())?;
        let total = sweep.fees.checked_add(sweep.penalties).ok_or("fund revenue overflows")?;
        // The token program refuses a transfer beyond the source's balance.
        let moved = self.market_vault.checked_sub(total).zip(self.fund_vault.checked_add(total));
        let Some((market_vault, fund_vault)) = moved else { return Err(insufficient_funds().to_string()) };
        if !Self::vaults_cover(&market, &fund, market_vault, fund_vault) {
            return Err(undercollateralized().to_string());
        }
        (self.market, self.fund, self.market_vault, self.fund_vault) = (market, fund, market_vault, fund_vault);
        Ok(())
    }

    async fn market(&mut self) -> Result<Market, String> {
        Ok(self.market)
    }

    async fn fund(&mut self) -> Result<InsuranceFund, String> {
        Ok(self.fund)
    }

    async fn margin_accounts(&mut self) -> Result<Vec<TraderBalances>, String> {
        Ok(self.traders.iter().chain(std::iter::once(&self.keeper)).map(|account| account.balances).collect())
    }

    async fn vault_balances(&mut self) -> Result<(u64, u64), String> {
        Ok((self.market_vault, self.fund_vault))
    }

    fn take_covers(&mut self) -> Vec<CoverObservation> {
        std::mem::take(&mut self.covers)
    }

    async fn stake_position(&mut self) -> Result<StakePosition, String> {
        Ok(self.stake)
    }

    async fn request_exit(&mut self) -> Result<bool, String> {
        let (mut fund, mut stake) = (self.fund, self.stake);
        // The shares as the fund counts them now (a fund drained to nothing voids them: a new epoch).
        let book = stake.book.in_epoch_of(&fund.book);
        let shares = book.shares.saturating_sub(book.locked_shares);
        if apply_request_unstake(&mut fund, &mut stake, shares, self.now).is_err() {
            return Ok(false);
        }
        (self.fund, self.stake) = (fund, stake);
        Ok(true)
    }

    /// As `unstake` naming the one market the fund backs: its exposure netted, the amount paid out of the vault.
    async fn complete_exit(&mut self) -> Result<bool, String> {
        // `unstake` must name every market the fund backs; this engine holds one.
        if self.fund.markets_backed != 1 {
            return Err(format!("the core engine holds one market; the fund backs {}", self.fund.markets_backed));
        }
        let (mut fund, mut stake) = (self.fund, self.stake);
        let Ok(exposure) = backstop::fund_markets::market_exposure(&self.market) else { return Ok(false) };
        let Ok(done) = apply_unstake(&mut fund, &mut stake, exposure, self.now) else { return Ok(false) };
        let Some(fund_vault) = self.fund_vault.checked_sub(done.amount) else { return Ok(false) };
        if fund_vault < fund.book.balance {
            return Ok(false);
        }
        (self.fund, self.stake, self.fund_vault) = (fund, stake, fund_vault);
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::refusal;
    use backstop::error::BackstopError;

    #[test]
    fn a_refusal_is_named_as_the_rpc_client_names_it() {
        let named = refusal(BackstopError::OracleStale.into());
        assert!(matches!(&named, backstop_app::Error::Program { name, .. } if name == "OracleStale"), "{named:?}");
        let failure = backstop_app::keeper::Failure::new("liquidate", super::address_of(3), &named);
        assert_eq!(failure.reason, "OracleStale");
    }
}
