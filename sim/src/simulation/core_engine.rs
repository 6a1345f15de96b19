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
    apply_cover, apply_deposit, apply_fund_revenue_sweep, apply_liquidation, apply_refresh, apply_request_unstake,
    apply_trade, apply_unstake,
};
use backstop::state::{InsuranceFund, MarginAccount, Market, MarketBook, StakePosition};
use backstop_app::chain::Chain;
use backstop_app::keeper::Failure;
use backstop_app::RoundReport;
use backstop_client::keeper::{round_plan, Verdict};
use backstop_math::margin::TraderBalances;
use backstop_math::oracle::OracleView;
use backstop_tests::builders::pda;
use backstop_tests::pyth::OracleFeed;

/// One market as the core engine holds it: the market account, the keeper's margin account in it, the vault's
/// tally and the oracle.
#[derive(Clone)]
struct CoreMarket {
    market: Market,
    /// The market's bankruptcy book (boxed: 10 KiB).
    book: Box<MarketBook>,
    keeper: MarginAccount,
    vault: u64,
    feed: OracleFeed,
    oracle_owner: Pubkey,
    /// The oracle account's bytes as last published.
    oracle_data: Vec<u8>,
}

impl CoreMarket {
    /// The oracle as the program reads it now, through the same decoder and guards.
    fn view(&self, market: &Market, now: i64) -> Result<OracleView, backstop_app::Error> {
        backstop_client::oracle::view_from_account(&self.oracle_data, &self.oracle_owner, market, now)
            .map_err(backstop_app::Error::from)
    }
}

/// Where a core run starts: a bank's state once the markets, the fund, the pools and the keeper are set up,
/// copied out. Cloned per seed, so a sweep builds one bank per fund size rather than one per run.
#[derive(Clone)]
pub struct CoreStart {
    markets: Vec<CoreMarket>,
    fund: InsuranceFund,
    stake: StakePosition,
    fund_vault: u64,
    now: i64,
}

impl CoreStart {
    pub async fn from_bank(bank: &mut BankEngine) -> Result<Self, String> {
        let fund = bank.fund().await?;
        let keeper = bank.chain.keeper();
        let mut markets = Vec::with_capacity(bank.markets());
        let mut fund_vault = 0;
        for index in 0..bank.markets() {
            let market = bank.market(index).await?;
            let vault;
            (vault, fund_vault) = bank.vault_balances(index).await?;
            let address = bank.market_address(index)?;
            let keeper: MarginAccount = bank.chain.env.load(pda::margin_account(&address, &keeper)).await;
            let book = bank.chain.market_book(address).await?;
            let feed = bank.oracle_feed(index)?;
            let oracle_data = feed.account().data;
            let oracle_owner = feed.account().owner;
            markets.push(CoreMarket { market, book, keeper, vault, feed, oracle_owner, oracle_data });
        }
        let stake = bank.stake_position().await?;
        Ok(Self { markets, fund, stake, fund_vault, now: bank.chain.env.now })
    }
}

pub struct CoreEngine {
    markets: Vec<CoreMarket>,
    fund: InsuranceFund,
    stake: StakePosition,
    /// Each trader's market and margin account.
    traders: Vec<(usize, MarginAccount)>,
    fund_vault: u64,
    now: i64,
    covers: Vec<(usize, CoverObservation)>,
}

type Refusal = anchor_lang::error::Error;

impl CoreEngine {
    pub fn new(start: CoreStart) -> Self {
        Self {
            markets: start.markets,
            fund: start.fund,
            stake: start.stake,
            traders: Vec::new(),
            fund_vault: start.fund_vault,
            now: start.now,
            covers: Vec::new(),
        }
    }

    /// Whether the vaults still hold what `market` and `fund` owe, as each handler checks after its transfers.
    fn vaults_cover(market: &Market, fund: &InsuranceFund, market_vault: u64, fund_vault: u64) -> bool {
        market.books.vault_liability().is_ok_and(|owed| market_vault >= owed) && fund_vault >= fund.book.balance
    }

    /// `refresh_market` of market `m`.
    fn poke(&mut self, m: usize) -> bool {
        let lane = &mut self.markets[m];
        let mut market = lane.market;
        let Ok(view) = lane.view(&market, self.now) else { return false };
        let ok = apply_refresh(&mut market, &lane.book, self.fund.book.balance, &view, self.now).is_ok();
        if ok {
            lane.market = market;
        }
        ok
    }

    fn liquidate(&mut self, trader: usize) -> Result<(), backstop_app::Error> {
        let (m, mut account) = self.traders[trader];
        let lane = &mut self.markets[m];
        // The book on the heap (34 KiB): kept only if the liquidation succeeds, as a transaction would.
        let (mut market, mut keeper, mut book) = (lane.market, lane.keeper, lane.book.clone());
        let view = lane.view(&market, self.now)?;
        apply_liquidation(&mut market, &mut account, &mut keeper, &mut book, &view, self.now).map_err(refusal)?;
        (lane.market, lane.keeper, self.traders[trader].1, lane.book) = (market, keeper, account, book);
        Ok(())
    }

    fn cover(&mut self, trader: usize) -> Result<(), backstop_app::Error> {
        let (m, mut account) = self.traders[trader];
        let lane = &mut self.markets[m];
        let (mut market, mut fund) = (lane.market, self.fund);
        let before = CoverSnapshot::read(&account, &market, &fund, self.now);
        let view = lane.view(&market, self.now)?;
        let outcome = apply_cover(&mut market, &mut account, &mut fund, &view, self.now).map_err(refusal)?;
        // The handler moves the fund's share from the fund vault to the market vault.
        let paid = outcome.plan.fund;
        // The token program refuses a transfer beyond the source's balance.
        let moved = self.fund_vault.checked_sub(paid).zip(lane.vault.checked_add(paid));
        let Some((fund_vault, market_vault)) = moved else { return Err(insufficient_funds()) };
        if !Self::vaults_cover(&market, &fund, market_vault, fund_vault) {
            return Err(undercollateralized());
        }
        let after = CoverSnapshot::read(&account, &market, &fund, self.now);
        self.covers.push((m, before.observe(&after, self.now)));
        (lane.market, lane.vault, self.traders[trader].1) = (market, market_vault, account);
        (self.fund, self.fund_vault) = (fund, fund_vault);
        Ok(())
    }

    /// As `Keeper::round` on market `m`: show the market its oracle, read the price once, judge every account
    /// against the market as read then, liquidate (and cover at once an account the liquidation left bankrupt) or
    /// cover, and refresh the market again if it did either.
    fn keeper_round_in(&mut self, m: usize) -> Result<RoundReport, String> {
        let poked = self.poke(m);
        let lane = &self.markets[m];
        let market = lane.market;
        let price = lane
            .view(&market, self.now)
            .and_then(|view| view.believed().map_err(Into::into))
            .map_err(|e| e.to_string())?;
        let in_market: Vec<usize> = (0..self.traders.len()).filter(|t| self.traders[*t].0 == m).collect();
        let mut report = RoundReport { scanned: in_market.len(), poked, ..Default::default() };
        // In the keeper's order: deepest first.
        let margins: Vec<&MarginAccount> = in_market.iter().map(|t| &self.traders[*t].1).collect();
        let plan = round_plan(&margins, &market.books, &market.params, &price, self.now);
        for (index, verdict) in plan {
            let trader = in_market[index];
            match verdict {
                Verdict::Healthy => {}
                Verdict::Liquidate => {
                    let outcome = self.liquidate(trader);
                    keeper_action("liquidate", trader, &mut report, outcome);
                    if self.traders[trader].1.balances.is_bankrupt() {
                        let outcome = self.cover(trader);
                        keeper_action("cover", trader, &mut report, outcome);
                    }
                }
                Verdict::Cover => {
                    let outcome = self.cover(trader);
                    keeper_action("cover", trader, &mut report, outcome);
                }
            }
        }
        // As the keeper: the fund's share worked out again after liquidations or covers.
        if !report.liquidated.is_empty() || !report.covered.is_empty() {
            self.poke(m);
        }
        Ok(report)
    }

    fn lane(&self, market: usize) -> Result<&CoreMarket, String> {
        self.markets.get(market).ok_or_else(|| format!("no market {market}"))
    }
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

    fn markets(&self) -> usize {
        self.markets.len()
    }

    async fn set_price(&mut self, market: usize, price_e8: i64, conf: u64) {
        let Some(lane) = self.markets.get_mut(market) else { return };
        lane.feed.publish(price_e8, conf, self.now);
        lane.oracle_data = lane.feed.account().data;
    }

    fn ema_e8(&self, market: usize) -> Option<i64> {
        self.markets.get(market)?.feed.ema()
    }

    async fn add_trader(&mut self, market: usize, collateral: u64) -> Result<usize, String> {
        let lane = self.markets.get_mut(market).ok_or_else(|| format!("no market {market}"))?;
        let mut account: MarginAccount = bytemuck::Zeroable::zeroed();
        account.market = lane.keeper.market;
        account.owner = address_of(self.traders.len());
        if collateral > 0 {
            let (mut books, mut book) = (lane.market, lane.book.clone());
            apply_deposit(&mut books, &mut account, &mut book, collateral, self.now).map_err(|e| e.to_string())?;
            lane.vault = lane.vault.checked_add(collateral).ok_or("market vault overflows")?;
            (lane.market, lane.book) = (books, book);
        }
        self.traders.push((market, account));
        Ok(self.traders.len() - 1)
    }

    async fn trade(&mut self, trader: usize, base_delta: i64) -> bool {
        let Some((m, mut account)) = self.traders.get(trader).copied() else { return false };
        let lane = &mut self.markets[m];
        let (mut market, mut book) = (lane.market, lane.book.clone());
        let Ok(view) = lane.view(&market, self.now) else { return false };
        let fund_balance = self.fund.book.balance;
        if apply_trade(&mut market, &mut account, &mut book, fund_balance, &view, base_delta, self.now).is_err() {
            return false;
        }
        (lane.market, self.traders[trader].1, lane.book) = (market, account, book);
        true
    }

    async fn balances(&mut self, trader: usize) -> Result<TraderBalances, String> {
        self.traders.get(trader).map(|(_, account)| account.balances).ok_or_else(|| format!("no trader {trader}"))
    }

    /// A round per market, `first` first, as one `backstop keeper` per market would run them.
    async fn keeper_round(&mut self, first: usize) -> Result<Vec<RoundReport>, String> {
        let count = self.markets.len();
        let mut rounds = vec![RoundReport::default(); count];
        for m in (0..count).map(|k| (first + k) % count) {
            rounds[m] = self.keeper_round_in(m)?;
        }
        Ok(rounds)
    }

    async fn settle_fund_revenue(&mut self, m: usize) -> Result<(), String> {
        let lane = self.markets.get_mut(m).ok_or_else(|| format!("no market {m}"))?;
        let (mut market, mut fund) = (lane.market, self.fund);
        let sweep = apply_fund_revenue_sweep(&mut market, &mut fund, self.now).map_err(|e| e.to_string())?;
        let total = sweep.fees.checked_add(sweep.penalties).ok_or("fund revenue overflows")?;
        // The token program refuses a transfer beyond the source's balance.
        let moved = lane.vault.checked_sub(total).zip(self.fund_vault.checked_add(total));
        let Some((market_vault, fund_vault)) = moved else { return Err(insufficient_funds().to_string()) };
        if !Self::vaults_cover(&market, &fund, market_vault, fund_vault) {
            return Err(undercollateralized().to_string());
        }
        (lane.market, lane.vault, self.fund, self.fund_vault) = (market, market_vault, fund, fund_vault);
        Ok(())
    }

    async fn market(&mut self, market: usize) -> Result<Market, String> {
        Ok(self.lane(market)?.market)
    }

    async fn fund(&mut self) -> Result<InsuranceFund, String> {
        Ok(self.fund)
    }

    async fn margin_accounts(&mut self, market: usize) -> Result<Vec<TraderBalances>, String> {
        let keeper = self.lane(market)?.keeper;
        let traders = self.traders.iter().filter(|(m, _)| *m == market).map(|(_, account)| account);
        Ok(traders.chain(std::iter::once(&keeper)).map(|account| account.balances).collect())
    }

    async fn vault_balances(&mut self, market: usize) -> Result<(u64, u64), String> {
        Ok((self.lane(market)?.vault, self.fund_vault))
    }

    fn take_covers(&mut self) -> Vec<(usize, CoverObservation)> {
        std::mem::take(&mut self.covers)
    }

    async fn market_book(&mut self, market: usize) -> Result<Box<MarketBook>, String> {
        Ok(self.lane(market)?.book.clone())
    }

    async fn stake_position(&mut self) -> Result<StakePosition, String> {
        Ok(self.stake)
    }

    async fn request_exit(&mut self) -> Result<bool, String> {
        let (mut fund, mut stake) = (self.fund, self.stake);
        let shares = super::stress::unlocked_shares(&stake, &fund);
        if apply_request_unstake(&mut fund, &mut stake, shares, self.now).is_err() {
            return Ok(false);
        }
        (self.fund, self.stake) = (fund, stake);
        Ok(true)
    }

    /// As `unstake` naming every market the fund backs: their exposures netted, the amount paid out of the vault.
    async fn complete_exit(&mut self) -> Result<bool, String> {
        // `unstake` must name every market the fund backs; this engine must hold them all.
        if usize::from(self.fund.markets_backed) != self.markets.len() {
            return Err(format!(
                "the core engine holds {} market(s); the fund backs {}",
                self.markets.len(),
                self.fund.markets_backed
            ));
        }
        let mut exposure = 0u64;
        for lane in &self.markets {
            let Ok(one) = backstop::fund_markets::market_exposure(&lane.market) else { return Ok(false) };
            let Some(sum) = exposure.checked_add(one) else { return Ok(false) };
            exposure = sum;
        }
        let (mut fund, mut stake) = (self.fund, self.stake);
        let Ok(done) = apply_unstake(&mut fund, &mut stake, exposure, self.now) else { return Ok(false) };
        let Some(fund_vault) = self.fund_vault.checked_sub(done.quote) else { return Ok(false) };
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
