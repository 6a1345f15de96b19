//! The keeper: scans a market's margin accounts, computes health off-chain with the program's own math, and
//! sends `liquidate` for every liquidatable account, then `cover_bankruptcy` for every bankrupt one, with
//! `touch_above` a `touch_account` for every healthy account owing that much socialized loss, and sweeps fund
//! revenue now and then; each transaction bids for compute (`unit_price`). One instruction per account: a cascade
//! of K costs K.

use crate::chain::Chain;
use crate::error::Result;
use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use backstop::state::MarginAccount;
use backstop_client::compute::{self, UnitPrice};
use backstop_client::keeper::HealthScreen;
use backstop_client::{pda, KeeperAccounts};
use std::collections::HashSet;

/// What one keeper round did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct RoundReport {
    pub scanned: usize,
    /// Accounts whose health the round computed: the rest were vouched for by the screen (unchanged, and the price
    /// and funding moved less than their cushion; `backstop_client::keeper::HealthScreen`).
    pub assessed: usize,
    pub liquidated: Vec<Pubkey>,
    pub covered: Vec<Pubkey>,
    /// Healthy accounts brought up to date (`touch_account`, with `Keeper::touch_above`).
    pub touched: Vec<Pubkey>,
    pub failed: Vec<Failure>,
    pub swept: bool,
    /// The round began by showing the market its oracle (`refresh_market`).
    pub poked: bool,
    /// The market's crash risk as the round began, read from its bankruptcy book by the program's own function
    /// (`fund_health`'s per-market figures): absent when the book or the fund could not be read.
    pub risk: Option<Risk>,
    /// With a price service (`Keeper::price_posting`): what the round did about the market's pull-oracle price.
    pub price_post: Option<PostOutcome>,
}

/// What a round did about posting a pull-oracle market's price.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PostOutcome {
    /// An update this new was posted, in the same transaction as the round's refresh (or alone when Backstop
    /// refused the refresh), before any liquidation or cover.
    Posted { publish_time: i64 },
    /// The feed account's print was younger than `older_than_secs`, or as recent as the service's latest.
    NothingNewer,
    /// Why nothing was posted (the round acted on the feed account as it stood).
    Failed { reason: String },
}

/// A market's crash risk, as the keeper logs it each round.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Risk {
    /// Underwater positions, deficits awaiting cover and socialized loss not yet applied, at the last price.
    pub latent_deficit: u64,
    pub target_shock_bps: u32,
    /// What a gap of the target shock would leave unpaid before any liquidation ran.
    pub stressed_deficit: u64,
    /// Fund balance ÷ stressed deficit, bps (`u64::MAX`: nothing at stake).
    pub adequacy_bps: u64,
}

/// One keeper action that failed, by reason, so failures can be counted by cause.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Failure {
    /// `liquidate`, `cover` or `touch`.
    pub action: &'static str,
    pub account: Pubkey,
    /// The program error's name when Backstop refused, otherwise the error's kind.
    pub reason: String,
    pub message: String,
}

impl Failure {
    pub fn new(action: &'static str, account: Pubkey, error: &crate::error::Error) -> Self {
        let reason = match error {
            crate::error::Error::Program { name, .. } => name.clone(),
            other => other.kind().to_string(),
        };
        Self { action, account, reason, message: error.to_string() }
    }
}

pub struct Keeper {
    pub market: Pubkey,
    pub accounts: KeeperAccounts,
    /// Sweep fund revenue every this many rounds (0: never).
    pub sweep_every: u64,
    /// Further attempts at a transaction that failed transiently (a dropped connection, an expired blockhash)
    /// before giving up on it this round. A program refusal is never retried.
    pub retries: u32,
    /// Wait before the first retry; doubled before each next one.
    pub backoff: std::time::Duration,
    /// Touch every healthy account with at least this much socialized loss not yet applied (quote atoms), so the
    /// market's bankruptcy book stops counting it against the market; `None`: never.
    pub touch_above: Option<u64>,
    /// How each transaction bids for compute: a unit limit from the measured table (`backstop_client::compute`) and
    /// this unit price, read once a round and, for a recent-fees bid, again for each liquidation and cover with the
    /// account it writes; `None`: no compute-budget instructions (the laboratory's bank, which does not meter the
    /// native program as the cluster meters the binary).
    pub unit_price: Option<UnitPrice>,
    /// How many of a round's liquidations (and then covers) are in flight at once on a chain that can send
    /// several together (`Chain::send_window`, the next sent as soon as any one settles): one that does not land
    /// then holds up only its own place. 1: one after another, each liquidation's cover right after it (the
    /// laboratory's engines, held to identical books).
    pub concurrency: usize,
    /// For a pull-oracle market, where signed price updates come from: each round posts the latest one with its
    /// refresh, before acting, when it is enough newer than the market's feed account (`posting`). `None`: never.
    pub price_posting: Option<PricePosting>,
    /// The unit price this round bids (micro-lamports per unit).
    price: u64,
    /// The close of the encoded VAA this round posted its price from, sent after its actions.
    posted_vaa: Option<Instruction>,
    rounds: u64,
    /// The accounts found healthy, and what they were found healthy at.
    screen: HealthScreen,
}

impl Keeper {
    pub fn new(accounts: KeeperAccounts) -> Self {
        Self {
            market: accounts.market,
            accounts,
            sweep_every: 10,
            retries: 3,
            backoff: std::time::Duration::from_millis(250),
            touch_above: None,
            unit_price: None,
            concurrency: 1,
            price_posting: None,
            price: 0,
            posted_vaa: None,
            rounds: 0,
            screen: HealthScreen::new(),
        }
    }

    /// One pass over the market. Acts at most once per account in a round (a transient failure may be sent again,
    /// which the program makes harmless: the account is then no longer liquidatable or bankrupt).
    pub async fn round<C: Chain>(&mut self, chain: &mut C) -> Result<RoundReport> {
        self.rounds += 1;
        self.price = self.round_price(chain).await;
        let keeper = chain.keeper();
        // First show the market its oracle: funding accrues, the variance estimate and the breaker see the print
        // even when nobody trades, and the fund's share of fees that trades read is worked out afresh (a refused
        // poke, e.g. a stale print, does not stop the round). On a pull market with a price service, a fresh
        // price goes on chain in the same transaction, before anything is liquidated.
        let (poked, price_post) = self.refresh_with_price(chain).await;
        let market = chain.market(self.market).await?;
        let price = chain.oracle_price(&market).await?;
        let now = chain.now().await?;
        let accounts = chain.margin_accounts(self.market).await?;
        let risk = self.risk(chain, &market, now).await;
        if let Some(risk) = &risk {
            tracing::info!(
                latent = risk.latent_deficit,
                stressed = risk.stressed_deficit,
                shock_bps = risk.target_shock_bps,
                adequacy_bps = risk.adequacy_bps,
                "crash risk"
            );
        }
        let mut report = RoundReport { scanned: accounts.len(), poked, risk, price_post, ..Default::default() };
        let keeper_account = pda::margin_account(&self.market, &keeper);
        // Each account once, never the keeper's own; largest shortfall first (`round_plan`).
        let mut seen: HashSet<Pubkey> = HashSet::new();
        let scanned: Vec<&(Pubkey, MarginAccount)> = accounts
            .iter()
            .filter(|(address, account)| *address != keeper_account && account.owner != keeper && seen.insert(*address))
            .collect();
        // The same plan `round_plan` makes, computing health only where the screen cannot vouch for it.
        let keyed: Vec<(Pubkey, &MarginAccount)> =
            scanned.iter().map(|(address, account)| (*address, account)).collect();
        let screened = self.screen.plan(&keyed, &market.books, &market.params, &price, now);
        report.assessed = screened.assessed;
        let plan = screened.plan;
        self.act(chain, &plan, &scanned, keeper_account, &mut report).await;
        // Liquidations and covers move the book and draw the fund: the fund's share that trades read is worked out
        // again at once, not a round later, when the fund is most needed.
        if !report.liquidated.is_empty() || !report.covered.is_empty() {
            if let Err(error) = self.send(chain, "refresh_market", self.accounts.refresh_market()).await {
                tracing::warn!(%error, "the refresh after the round's liquidations and covers failed");
            }
        }
        self.close_posted(chain).await;
        if self.touch_above.is_some() {
            let planned: HashSet<usize> = plan.iter().map(|(index, _)| *index).collect();
            for (_, (address, account)) in scanned.iter().enumerate().filter(|(i, _)| !planned.contains(i)) {
                self.touch_if_owing(chain, *address, account, &market.books, &mut report).await;
            }
        }
        if self.sweep_every > 0 && self.rounds.is_multiple_of(self.sweep_every) {
            let books = chain.market(self.market).await?.books;
            if books.fund_fee_accrued + books.fund_penalty_accrued > 0 {
                report.swept =
                    self.send(chain, "settle_fund_revenue", self.accounts.settle_fund_revenue()).await.is_ok();
            }
        }
        Ok(report)
    }

    /// The market's crash risk now, or `None` (logged) when its book or fund cannot be read: the round goes on.
    async fn risk<C: Chain>(&self, chain: &mut C, market: &backstop::state::Market, now: i64) -> Option<Risk> {
        let read = async {
            let fund = chain.fund(market.insurance_fund).await?;
            let book = chain.market_book(self.market).await?;
            backstop::instructions::market_draw(&self.market, market, &book, fund.book.balance, now)
                .map_err(|e| crate::error::Error::Account(e.to_string()))
        };
        match read.await {
            Ok(draw) => Some(Risk {
                latent_deficit: draw.latent_deficit,
                target_shock_bps: draw.target_shock_bps,
                stressed_deficit: draw.stressed_deficit,
                adequacy_bps: draw.adequacy_bps,
            }),
            Err(error) => {
                tracing::warn!(kind = error.kind(), %error, "crash risk unreadable");
                None
            }
        }
    }

    /// With `touch_above` set, touches a healthy account whose socialized loss not yet applied reaches it.
    async fn touch_if_owing<C: Chain>(
        &self,
        chain: &mut C,
        address: Pubkey,
        account: &MarginAccount,
        books: &backstop_math::ledger::MarketLedger,
        report: &mut RoundReport,
    ) {
        let Some(threshold) = self.touch_above else { return };
        let owed = backstop_math::ledger::pending_social_loss(&account.balances, books).unwrap_or(0);
        if owed == 0 || owed < threshold {
            return;
        }
        match self.send(chain, "touch_account", self.accounts.touch_account(address)).await {
            Ok(()) => {
                tracing::info!(account = %address, owed, "touched");
                report.touched.push(address);
            }
            // Another keeper (or the owner) applied it first: nothing is lost.
            Err(crate::error::Error::Program { name, .. }) if name == "NoChange" => {
                tracing::debug!(account = %address, "already touched");
            }
            Err(e) => {
                tracing::warn!(account = %address, kind = e.kind(), error = %e, "touch failed");
                report.failed.push(Failure::new("touch", address, &e));
            }
        }
    }

    /// The unit price this round bids: fixed, or the chosen percentile of the fees recently paid to write the
    /// market and its book (what every liquidation writes), capped. Unreadable fees bid the cap: in a congested
    /// crash a liquidation that does not land costs the fund more than the fee.
    async fn round_price<C: Chain>(&self, chain: &mut C) -> u64 {
        match self.unit_price {
            None => 0,
            Some(UnitPrice::Fixed(price)) => price,
            Some(recent @ UnitPrice::Recent { .. }) => {
                recent_bid(recent, chain.recent_prioritization_fees(&[self.market, self.accounts.book]).await)
            }
        }
    }

    /// Sends `instruction` (a Backstop `kind`) behind the round's compute budget, with retries.
    async fn send<C: Chain>(&self, chain: &mut C, kind: &'static str, instruction: Instruction) -> Result<()> {
        self.send_with_retries(chain, &self.budgeted(kind, instruction)).await
    }

    /// The unit price each action on `accounts` bids: with a recent-fees bid, the percentile of the fees paid to
    /// write the market, its book *and that account* (an owner who keeps his own account write-locked with
    /// high-fee transactions raises the bid for his own liquidation, up to the cap; unreadable fees bid the cap);
    /// otherwise the round's price.
    pub(super) async fn action_prices<C: Chain>(&self, chain: &mut C, accounts: &[Pubkey]) -> Vec<u64> {
        let Some(recent @ UnitPrice::Recent { .. }) = self.unit_price else {
            return vec![self.price; accounts.len()];
        };
        let sets: Vec<Vec<Pubkey>> =
            accounts.iter().map(|account| vec![self.market, self.accounts.book, *account]).collect();
        let fees = chain.recent_prioritization_fees_each(&sets).await;
        fees.into_iter().map(|fees| recent_bid(recent, fees)).collect()
    }

    /// `instruction` (a Backstop `kind`) behind the round's compute-budget instructions, when it bids.
    fn budgeted(&self, kind: &'static str, instruction: Instruction) -> Vec<Instruction> {
        self.budgeted_at(kind, instruction, self.price)
    }

    /// As [`Keeper::budgeted`], bidding `price` micro-lamports per unit.
    fn budgeted_at(&self, kind: &'static str, instruction: Instruction, price: u64) -> Vec<Instruction> {
        let limit = self.unit_price.and_then(|_| compute::unit_limit(&[kind]));
        let mut instructions = limit.map(|limit| compute::budget(limit, price)).unwrap_or_default();
        instructions.push(instruction);
        instructions
    }

    /// Sends, and sends again with exponential backoff while the failure is transient (a dropped connection, an
    /// expired blockhash); a refusal by the program is final.
    async fn send_with_retries<C: Chain>(
        &self,
        chain: &mut C,
        instructions: &[anchor_lang::solana_program::instruction::Instruction],
    ) -> Result<()> {
        let mut wait = self.backoff;
        let mut attempt = 0;
        loop {
            match chain.send(instructions).await {
                Ok(()) => return Ok(()),
                Err(error) if error.is_transient() && attempt < self.retries => {
                    attempt += 1;
                    tracing::debug!(attempt, kind = error.kind(), %error, "transient failure, retrying");
                    tokio::time::sleep(wait).await;
                    wait = wait.saturating_mul(2);
                }
                Err(error) => return Err(error),
            }
        }
    }
}

/// A recent-fees bid given the fees the cluster reported; unreadable fees bid the cap (in a crash, a liquidation
/// that does not land costs the fund more than the fee).
fn recent_bid(recent: UnitPrice, fees: Result<Vec<u64>>) -> u64 {
    match (fees, recent) {
        (Ok(fees), _) => recent.price(&fees),
        (Err(error), UnitPrice::Recent { max, .. }) => {
            tracing::warn!(kind = error.kind(), %error, max, "recent fees unreadable: bidding the cap");
            max
        }
        (Err(_), UnitPrice::Fixed(price)) => price,
    }
}

mod actions;
mod posting;
pub use posting::PricePosting;
#[cfg(test)]
mod posting_tests;
#[cfg(test)]
mod tests;
