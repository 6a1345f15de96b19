//! The ground-truth engine: the real program on the in-process bank, the real keeper sending transactions.

use super::engine::Engine;
use super::prices::PricePoint;
use super::reconcile::CoverObservation;
use super::{conf_of, SimConfig};
use crate::bank::InProcessChain;
use anchor_lang::prelude::Pubkey;
use backstop::state::{InsuranceFund, Market, MarketBook, StakePosition};
use backstop_app::chain::Chain;
use backstop_app::keeper::Keeper;
use backstop_app::RoundReport;
use backstop_client::accounts::MarketAccounts;
use backstop_math::margin::TraderBalances;
use backstop_math::params::MarketParams;
use backstop_tests::builders::{self, pda};
use backstop_tests::pyth::{LaggingEma, LegacyPrice, OracleFeed, LEGACY_SOL_USD};
use backstop_tests::{Actor, Env};

/// One market of the bank engine: its accounts, its keeper, and (beyond market 0, whose oracle the `Env`
/// publishes) its own oracle feed.
struct BankMarket {
    accounts: MarketAccounts,
    keeper: Keeper,
    feed: Option<OracleFeed>,
}

struct BankTrader {
    market: usize,
    actor: Actor,
    margin: Pubkey,
}

pub struct BankEngine {
    pub chain: InProcessChain,
    markets: Vec<BankMarket>,
    /// Each trader's market, wallet and margin account (derived once: a PDA costs tens of microseconds, and the
    /// audit reads 10,000 accounts a step).
    traders: Vec<BankTrader>,
    /// Who seeded the fund.
    pub staker: Actor,
}

impl BankEngine {
    /// One market per first price in `firsts` (market 0 on `params` and the run's oracle format, any others on a
    /// legacy account of their own, listed behind the same timelock), all backed by one fund seeded with
    /// `config.fund_capital`; in each market two LPs sharing `config.lp_capital` and a keeper account. No traders.
    pub async fn start(config: &SimConfig, params: MarketParams, firsts: &[PricePoint]) -> Result<Self, String> {
        let first = *firsts.first().ok_or("a run needs at least one market")?;
        let mut env = if config.pull_oracle {
            let receiver = backstop::oracle::PYTH_RECEIVER_PROGRAM_ID;
            Env::pull_with_params(backstop_tests::pyth::PULL_SOL_USD, receiver, 0, params).await
        } else {
            Env::with_params(params).await
        };
        let mut markets =
            vec![BankMarket { accounts: env.accounts(), keeper: Keeper::new(env.keeper_accounts()), feed: None }];
        for (id, point) in firsts.iter().enumerate().skip(1) {
            markets.push(list_market(&mut env, id, params, *point, config.conf_bps).await?);
        }
        if markets.len() > 1 {
            open_listed_markets(&mut env, &mut markets, firsts, config.conf_bps).await?;
        }
        env.set_price(first.price_e8, conf_of(first.price_e8, config.conf_bps)).await;
        // Each oracle's EMA lags its series as Pyth's does, so a fast crash meets the EMA guard as it would live.
        env.lag_ema();
        let now = env.now;
        for (market, point) in markets.iter_mut().zip(firsts).skip(1) {
            if let Some(feed) = market.feed.as_mut() {
                feed.lagging_ema = Some(LaggingEma::new(point.price_e8, now));
            }
        }
        let staker = env.seed_fund(config.fund_capital * backstop_tests::USDC).await;
        for market in &markets {
            for _ in 0..2 {
                lp_in(&mut env, &market.accounts, config.lp_capital * backstop_tests::USDC / 2).await?;
            }
        }
        let keeper_actor = env.actor(0).await;
        for market in &mut markets {
            let create = builders::create_margin_account(market.accounts.market, keeper_actor.pubkey());
            env.act(&keeper_actor, create).await.map_err(|e| format!("the keeper's margin account: {e}"))?;
            // The replay sweeps fund revenue itself, after it has measured the step: a drawdown is seen before the
            // sweep refills the fund.
            market.keeper.sweep_every = 0;
        }
        let mut chain = InProcessChain::new(env, keeper_actor, Vec::new());
        // Every transaction from here on goes through the chain, and every oracle write forgets the oracle.
        chain.cache_reads();
        Ok(Self { chain, markets, traders: Vec::new(), staker })
    }

    /// `market`'s address.
    pub fn market_address(&self, market: usize) -> Result<Pubkey, String> {
        Ok(self.accounts(market)?.market)
    }

    /// `market`'s oracle as this bank publishes it, detached from the bank.
    pub fn oracle_feed(&self, market: usize) -> Result<OracleFeed, String> {
        match &self.markets.get(market).ok_or_else(|| format!("no market {market}"))?.feed {
            Some(feed) => Ok(feed.clone()),
            None => Ok(self.chain.env.oracle_feed()),
        }
    }

    /// `market`'s accounts.
    pub fn accounts(&self, market: usize) -> Result<&MarketAccounts, String> {
        self.markets.get(market).map(|m| &m.accounts).ok_or_else(|| format!("no market {market}"))
    }

    fn trader(&self, trader: usize) -> Result<&BankTrader, String> {
        self.traders.get(trader).ok_or_else(|| format!("no trader {trader}"))
    }
}

/// Lists market `id` on a legacy price account of its own, priced at `first`, backed by the env's fund.
async fn list_market(
    env: &mut Env,
    id: usize,
    params: MarketParams,
    first: PricePoint,
    conf_bps: u64,
) -> Result<BankMarket, String> {
    let market_id = u16::try_from(id).map_err(|_| "too many markets".to_string())?;
    let oracle = Pubkey::new_unique();
    let mut feed = OracleFeed { legacy: LegacyPrice::from_fixture(LEGACY_SOL_USD), pull: None, lagging_ema: None };
    feed.publish(first.price_e8, conf_of(first.price_e8, conf_bps), env.now);
    env.write_feed(&oracle, &feed);
    let listing = builders::ListMarket { market_id, oracle, ..env.list_market(params) };
    let governance = env.governance.insecure_clone();
    env.send(&listing.instructions(), &[&governance]).await.map_err(|e| format!("listing market {id}: {e}"))?;
    let accounts = MarketAccounts::new(pda::market(market_id), env.fund, env.mint, oracle);
    Ok(BankMarket { keeper: Keeper::new(accounts.keeper()), accounts, feed: Some(feed) })
}

/// Waits out the listing timelock and opens the markets listed after market 0, each on a fresh print.
async fn open_listed_markets(
    env: &mut Env,
    markets: &mut [BankMarket],
    firsts: &[PricePoint],
    conf_bps: u64,
) -> Result<(), String> {
    env.advance(backstop_tests::TIMELOCK).await;
    for (market, point) in markets.iter_mut().zip(firsts).skip(1) {
        let Some(feed) = market.feed.as_mut() else { continue };
        feed.publish(point.price_e8, conf_of(point.price_e8, conf_bps), env.now);
        env.write_feed(&market.accounts.oracle, feed);
        let activate = builders::activate_market(market.accounts.market, env.payer());
        env.send(&[activate], &[]).await.map_err(|e| format!("opening {}: {e}", market.accounts.market))?;
    }
    Ok(())
}

/// An LP holding `amount` atoms of `market`'s pool.
async fn lp_in(env: &mut Env, market: &MarketAccounts, amount: u64) -> Result<(), String> {
    let actor = env.actor(amount).await;
    let create = builders::create_lp_position(market.market, actor.pubkey());
    env.act(&actor, create).await.map_err(|e| format!("an LP position: {e}"))?;
    if amount > 0 {
        let deposit = market.lp_flow(actor.pubkey(), actor.token).lp_deposit(amount);
        env.act(&actor, deposit).await.map_err(|e| format!("an LP deposit: {e}"))?;
    }
    Ok(())
}

impl Engine for BankEngine {
    fn now(&self) -> i64 {
        self.chain.env.now
    }

    async fn set_clock(&mut self, unix_ts: i64) {
        self.chain.env.set_clock(unix_ts).await;
    }

    fn markets(&self) -> usize {
        self.markets.len()
    }

    async fn set_price(&mut self, market: usize, price_e8: i64, conf: u64) {
        let now = self.chain.env.now;
        match self.markets.get_mut(market).map(|m| (m.accounts.oracle, m.feed.as_mut())) {
            Some((oracle, Some(feed))) => {
                feed.publish(price_e8, conf, now);
                self.chain.env.write_feed(&oracle, feed);
                self.chain.forget(&oracle);
            }
            Some((oracle, None)) => {
                self.chain.env.set_price(price_e8, conf).await;
                self.chain.forget(&oracle);
            }
            None => {}
        }
    }

    fn ema_e8(&self, market: usize) -> Option<i64> {
        match self.markets.get(market)?.feed.as_ref() {
            Some(feed) => feed.ema(),
            None => self.chain.env.lagging_ema.map(|ema| ema.last()),
        }
    }

    async fn add_trader(&mut self, market: usize, collateral: u64) -> Result<usize, String> {
        let accounts = *self.accounts(market)?;
        let (actor, instructions, signers) = self.chain.env.new_trader_transaction(&accounts, collateral).await;
        let signers: Vec<&solana_keypair::Keypair> = signers.iter().collect();
        self.chain.send_signed(&instructions, &signers).await.map_err(|e| format!("a new trader: {e}"))?;
        let margin = pda::margin_account(&accounts.market, &actor.pubkey());
        self.chain.accounts.push(margin);
        self.traders.push(BankTrader { market, actor, margin });
        Ok(self.traders.len() - 1)
    }

    async fn trade(&mut self, trader: usize, base_delta: i64) -> bool {
        let Ok(trader) = self.trader(trader) else { return false };
        let Ok(accounts) = self.accounts(trader.market) else { return false };
        let order = accounts.flow(trader.actor.pubkey(), trader.actor.token).trade(base_delta);
        let keypair = trader.actor.keypair.insecure_clone();
        self.chain.send_signed(&[order], &[&keypair]).await.is_ok()
    }

    async fn balances(&mut self, trader: usize) -> Result<TraderBalances, String> {
        let address = self.trader(trader)?.margin;
        let account: backstop::state::MarginAccount = self.chain.env.load(address).await;
        Ok(account.balances)
    }

    async fn keeper_round(&mut self, first: usize) -> Result<Vec<RoundReport>, String> {
        let count = self.markets.len();
        let mut rounds = vec![RoundReport::default(); count];
        for m in (0..count).map(|k| (first + k) % count) {
            rounds[m] = self.markets[m].keeper.round(&mut self.chain).await?;
        }
        Ok(rounds)
    }

    async fn settle_fund_revenue(&mut self, market: usize) -> Result<(), String> {
        let sweep = self.accounts(market)?.keeper().settle_fund_revenue();
        self.chain.send(&[sweep]).await.map_err(|error| error.to_string())
    }

    async fn market(&mut self, market: usize) -> Result<Market, String> {
        let address = self.accounts(market)?.market;
        Ok(self.chain.market(address).await?)
    }

    async fn fund(&mut self) -> Result<InsuranceFund, String> {
        Ok(self.chain.fund(self.chain.env.fund).await?)
    }

    async fn margin_accounts(&mut self, market: usize) -> Result<Vec<TraderBalances>, String> {
        // The traders' accounts as the keeper's scan reads them, and the keeper's own.
        let address = self.accounts(market)?.market;
        let traders = self.chain.margin_accounts(address).await?;
        let keeper = pda::margin_account(&address, &self.chain.keeper());
        let keeper = self.chain.account(keeper).await?.map(|(data, owner)| backstop_client::read::read(&data, &owner));
        let keeper: Option<backstop::state::MarginAccount> = keeper.transpose().map_err(|e| format!("keeper: {e}"))?;
        Ok(traders.into_iter().map(|(_, account)| account).chain(keeper).map(|account| account.balances).collect())
    }

    async fn vault_balances(&mut self, market: usize) -> Result<(u64, u64), String> {
        let vault = self.accounts(market)?.vault;
        let fund = self.fund().await?;
        Ok((self.chain.env.token_balance(vault).await, self.chain.env.token_balance(fund.vault).await))
    }

    fn take_covers(&mut self) -> Vec<(usize, CoverObservation)> {
        let covers = std::mem::take(&mut self.chain.covers);
        // A cover in a market this engine does not hold keeps an index past the last market (the audit says so).
        let index = |market: &Pubkey| self.markets.iter().position(|m| m.accounts.market == *market);
        covers.into_iter().map(|(market, cover)| (index(&market).unwrap_or(usize::MAX), cover)).collect()
    }

    async fn market_book(&mut self, market: usize) -> Result<Box<MarketBook>, String> {
        let address = self.accounts(market)?.market;
        Ok(self.chain.market_book(address).await?)
    }

    async fn stake_position(&mut self) -> Result<StakePosition, String> {
        Ok(self.chain.env.stake_position(&self.staker).await)
    }

    async fn request_exit(&mut self) -> Result<bool, String> {
        let shares = super::stress::unlocked_shares(&self.stake_position().await?, &self.fund().await?);
        let request = self.chain.env.staking(&self.staker).request_unstake(shares);
        let staker = self.staker.keypair.insecure_clone();
        Ok(self.chain.send_signed(&[request], &[&staker]).await.is_ok())
    }

    async fn complete_exit(&mut self) -> Result<bool, String> {
        let markets: Vec<Pubkey> = self.markets.iter().map(|m| m.accounts.market).collect();
        let unstake = self.chain.env.staking(&self.staker).unstake(&markets);
        let staker = self.staker.keypair.insecure_clone();
        Ok(self.chain.send_signed(&[unstake], &[&staker]).await.is_ok())
    }
}
