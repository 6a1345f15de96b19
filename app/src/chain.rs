//! One small trait over "a Solana cluster running Backstop", so the keeper runs the same code against an RPC node
//! and (in `backstop-sim`, the simulator and the tests) against the in-process bank.

use crate::error::Error;
use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use backstop::state::{Exchange, InsuranceFund, MarginAccount, Market, MarketBook};
use backstop_client::oracle::price_from_account;
use backstop_client::read::read;
use backstop_client::MarketAccounts;
use backstop_math::oracle::OraclePrice;

pub type ChainResult<T> = crate::error::Result<T>;

#[allow(async_fn_in_trait)]
pub trait Chain {
    /// The cluster's clock.
    async fn now(&mut self) -> ChainResult<i64>;
    /// The raw data and owner of an account.
    async fn account(&mut self, address: Pubkey) -> ChainResult<Option<(Vec<u8>, Pubkey)>>;
    /// Every margin account of `market` (address and state).
    async fn margin_accounts(&mut self, market: Pubkey) -> ChainResult<Vec<(Pubkey, MarginAccount)>>;
    /// Sends `instructions` in one transaction signed by the keeper, and returns once it is confirmed. A transient
    /// error ([`Error::is_transient`]) must mean the transaction cannot land (nothing was sent, or its blockhash
    /// expired with it unlanded), so that the caller may sign the instructions again; a transaction whose fate is
    /// unknown is [`Error::Unconfirmed`].
    async fn send(&mut self, instructions: &[Instruction]) -> ChainResult<()>;
    /// Sends each of `batch` as its own transaction, as [`Chain::send`] does, and returns each one's result in
    /// order. A chain that can have several in flight at once (an RPC node) sends them together; by default they
    /// go one after another.
    async fn send_batch(&mut self, batch: &[Vec<Instruction>]) -> Vec<ChainResult<()>> {
        let mut results = Vec::with_capacity(batch.len());
        for instructions in batch {
            results.push(self.send(instructions).await);
        }
        results
    }
    /// Sends each of `batch` as its own transaction, at most `width` in flight at once and the next started as soon
    /// as any one settles, so a transaction that does not land holds up only its own slot of the window; each
    /// one's result in order. By default, [`Chain::send_batch`] over chunks of `width`.
    async fn send_window(&mut self, batch: &[Vec<Instruction>], width: usize) -> Vec<ChainResult<()>> {
        let mut results = Vec::with_capacity(batch.len());
        for chunk in batch.chunks(width.max(1)) {
            results.extend(self.send_batch(chunk).await);
        }
        results
    }
    /// The key that signs and collects rewards.
    fn keeper(&self) -> Pubkey;

    /// Recent prioritization fees (micro-lamports per unit) paid by transactions writing `accounts`, one per recent
    /// slot (`getRecentPrioritizationFees`); none where the chain has no fee market.
    async fn recent_prioritization_fees(&mut self, _accounts: &[Pubkey]) -> ChainResult<Vec<u64>> {
        Ok(Vec::new())
    }

    /// [`Chain::recent_prioritization_fees`] for each of `sets` (a chain that can ask several at once does).
    async fn recent_prioritization_fees_each(&mut self, sets: &[Vec<Pubkey>]) -> Vec<ChainResult<Vec<u64>>> {
        let mut fees = Vec::with_capacity(sets.len());
        for accounts in sets {
            fees.push(self.recent_prioritization_fees(accounts).await);
        }
        fees
    }

    async fn market(&mut self, market: Pubkey) -> ChainResult<Market> {
        let (data, owner) = self.account(market).await?.ok_or_else(|| missing("market", market))?;
        read(&data, &owner).map_err(|e| Error::Account(format!("market {market}: {e}")))
    }

    async fn fund(&mut self, fund: Pubkey) -> ChainResult<InsuranceFund> {
        let (data, owner) = self.account(fund).await?.ok_or_else(|| missing("fund", fund))?;
        read(&data, &owner).map_err(|e| Error::Account(format!("fund {fund}: {e}")))
    }

    async fn exchange(&mut self) -> ChainResult<Exchange> {
        let address = backstop_client::pda::exchange();
        let (data, owner) = self.account(address).await?.ok_or_else(|| missing("exchange", address))?;
        read(&data, &owner).map_err(|e| Error::Account(format!("exchange {address}: {e}")))
    }

    /// Every market `fund` backs (the exchange's markets are dense ids): what an unstake must name.
    async fn fund_markets(&mut self, fund: Pubkey) -> ChainResult<Vec<Pubkey>> {
        let exchange = self.exchange().await?;
        let mut markets = Vec::new();
        for id in 0..exchange.market_count {
            let market = backstop_client::pda::market(id);
            if self.market(market).await?.insurance_fund == fund {
                markets.push(market);
            }
        }
        Ok(markets)
    }

    /// The accounts of `market` and its insurance fund, from which every flow's accounts follow.
    async fn market_accounts(&mut self, market: Pubkey) -> ChainResult<MarketAccounts> {
        let state = self.market(market).await?;
        let fund = self.fund(state.insurance_fund).await?;
        Ok(MarketAccounts {
            market,
            vault: state.vault,
            book: backstop_client::pda::market_book(&market),
            mint: state.collateral_mint,
            oracle: state.oracle,
            fund: state.insurance_fund,
            fund_vault: fund.vault,
        })
    }

    /// The bankruptcy book of `market`.
    /// (Boxed: 34 KiB, which would otherwise sit in every future that holds it.)
    async fn market_book(&mut self, market: Pubkey) -> ChainResult<Box<MarketBook>> {
        let address = backstop_client::pda::market_book(&market);
        let (data, owner) = self.account(address).await?.ok_or_else(|| missing("market book", address))?;
        let book =
            read::<MarketBook>(&data, &owner).map_err(|e| Error::Account(format!("market book {address}: {e}")))?;
        Ok(Box::new(book))
    }

    /// The market's oracle price, decoded and validated as the program would now.
    async fn oracle_price(&mut self, market: &Market) -> ChainResult<OraclePrice> {
        let now = self.now().await?;
        let (data, owner) = self.account(market.oracle).await?.ok_or_else(|| missing("oracle", market.oracle))?;
        price_from_account(&data, &owner, market, now).map_err(Error::from)
    }
}

fn missing(what: &str, address: Pubkey) -> Error {
    Error::Account(format!("{what} {address}: no such account"))
}
