//! The laboratory's [`Engine`] over JSON-RPC: the real binary (`target/deploy/backstop.so`) on a local node, the
//! real keeper on the app's [`RpcChain`], every trader's order a signed transaction sent over HTTP.
//!
//! It starts where the bank engine starts: the run's bank is built (markets, fund, pools, the keeper's account) and
//! every account of that state is written onto the node as it stands, with the Clock at the bank's time; from there
//! each step's prints, trades and keeper rounds go over RPC. Sent with the bank engine's own instructions (the
//! harness's builders), so the two runs can be compared to the atom.

use super::chain::WatchedChain;
use anchor_lang::prelude::Pubkey;
use backstop::state::{InsuranceFund, MarginAccount, Market, MarketBook, StakePosition};
use backstop_app::chain::Chain;
use backstop_app::keeper::Keeper;
use backstop_app::rpc::RpcChain;
use backstop_app::RoundReport;
use backstop_client::accounts::MarketAccounts;
use backstop_client::compute::UnitPrice;
use backstop_client::read::read;
use backstop_math::margin::TraderBalances;
use backstop_sim::simulation::bank_engine::BankEngine;
use backstop_sim::simulation::engine::Engine;
use backstop_sim::simulation::reconcile::CoverObservation;
use backstop_tests::builders::pda;
use backstop_tests::pyth::OracleFeed;
use backstop_tests::surfnet::{self, Surfnet};
use backstop_tests::Actor;
use solana_keypair::Keypair;
use solana_signer::Signer;
use std::sync::{Arc, Mutex, MutexGuard};

/// The node, whoever else holds it (a poisoned lock still holds a usable node).
pub fn lock(node: &Mutex<Surfnet>) -> MutexGuard<'_, Surfnet> {
    node.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// What the node's fee payer starts with (it pays every trader's transaction, as the bank's payer does).
const PAYER_LAMPORTS: u64 = 1_000_000 * 1_000_000_000;

struct RpcMarket {
    accounts: MarketAccounts,
    keeper: Keeper,
    feed: OracleFeed,
}

struct RpcTrader {
    market: usize,
    actor: Actor,
    margin: Pubkey,
}

pub struct RpcEngine {
    /// Shared with whatever restarts it mid-run (the fault suite's proxy).
    pub node: Arc<Mutex<Surfnet>>,
    /// The run's bank: its keys, mint authority and instruction builders. Nothing is sent to it once copied.
    bank: BankEngine,
    /// Sends the traders' and the staker's transactions, paid by the bank's payer, straight to the node.
    pub payer: RpcChain,
    /// The keeper's chain: its own key pays and signs.
    pub keeper: WatchedChain,
    markets: Vec<RpcMarket>,
    traders: Vec<RpcTrader>,
    now: i64,
}

impl RpcEngine {
    /// Deploys the binary on `node` and copies `bank`'s state onto it; the keeper reaches the node at
    /// `keeper_url` (the node's own, or a proxy's in front of it).
    pub async fn from_bank(bank: BankEngine, node: Arc<Mutex<Surfnet>>, keeper_url: &str) -> Result<Self, String> {
        let (client, node_url) = {
            let node = lock(&node);
            (node.client(), node.url.clone())
        };
        let payer = bank.chain.env.ctx.payer.insecure_clone();
        surfnet::deploy(&client, backstop::ID, &surfnet::program_binary()?, payer.pubkey()).await?;
        let mut markets = Vec::with_capacity(bank.markets());
        for index in 0..bank.markets() {
            let accounts = *bank.accounts(index)?;
            let mut keeper = Keeper::new(accounts.keeper());
            // The replay sweeps itself (as on the bank); each transaction bids for compute as a production keeper's.
            keeper.sweep_every = 0;
            keeper.unit_price = Some(UnitPrice::Fixed(1));
            markets.push(RpcMarket { accounts, keeper, feed: bank.oracle_feed(index)? });
        }
        let mut keeper_chain = RpcChain::new(keeper_url, bank.chain.keeper.keypair.insecure_clone());
        // As `backstop keeper` sets it: a request that fails in transport is made again.
        keeper_chain.retries = 3;
        let mut engine = Self {
            payer: RpcChain::new(&node_url, payer),
            keeper: WatchedChain { rpc: keeper_chain, order: Vec::new(), covers: Vec::new() },
            now: bank.chain.env.now,
            node,
            bank,
            markets,
            traders: Vec::new(),
        };
        engine.copy_state().await?;
        let now = engine.now;
        lock(&engine.node).set_clock(now)?;
        Ok(engine)
    }

    /// Every account the run's instructions read or write, as the bank holds it, written onto the node.
    async fn copy_state(&mut self) -> Result<(), String> {
        let env = &mut self.bank.chain.env;
        let keeper = &self.bank.chain.keeper;
        let staker = &self.bank.staker;
        let mut addresses =
            vec![pda::exchange(), env.mint, keeper.pubkey(), keeper.token, staker.pubkey(), staker.token];
        for market in &self.markets {
            let a = market.accounts;
            addresses.extend([a.market, a.vault, a.book, a.oracle, a.fund, a.fund_vault]);
            addresses.push(pda::margin_account(&a.market, &keeper.pubkey()));
            addresses.push(pda::stake_position(&a.fund, &staker.pubkey()));
        }
        addresses.sort();
        addresses.dedup();
        let client = lock(&self.node).client();
        for address in addresses {
            let Some(account) = env.account(address).await else { continue };
            surfnet::set_account(&client, address, &account).await?;
        }
        surfnet::set_wallet(&client, self.payer.payer.pubkey(), PAYER_LAMPORTS).await
    }

    /// `market`'s accounts.
    pub fn accounts(&self, market: usize) -> Result<MarketAccounts, String> {
        self.markets.get(market).map(|m| m.accounts).ok_or_else(|| format!("no market {market}"))
    }

    fn trader(&self, trader: usize) -> Result<&RpcTrader, String> {
        self.traders.get(trader).ok_or_else(|| format!("no trader {trader}"))
    }

    async fn token_balance(&mut self, token: Pubkey) -> Result<u64, String> {
        let (data, _) = self.keeper.account(token).await?.ok_or_else(|| format!("no token account {token}"))?;
        let amount = data.get(64..72).ok_or_else(|| format!("{token} is not a token account"))?;
        Ok(u64::from_le_bytes(amount.try_into().map_err(|_| "token amount")?))
    }
}

impl Engine for RpcEngine {
    fn now(&self) -> i64 {
        self.now
    }

    async fn set_clock(&mut self, unix_ts: i64) {
        // A clock that cannot be set leaves the run at the wrong time: the comparison will say where.
        if let Err(error) = lock(&self.node).set_clock(unix_ts) {
            eprintln!("the node's clock: {error}");
        }
        self.now = unix_ts;
    }

    fn markets(&self) -> usize {
        self.markets.len()
    }

    async fn set_price(&mut self, market: usize, price_e8: i64, conf: u64) {
        let now = self.now;
        let Some(lane) = self.markets.get_mut(market) else { return };
        lane.feed.publish(price_e8, conf, now);
        let (oracle, account) = (lane.accounts.oracle, lane.feed.account());
        let client = lock(&self.node).client();
        if let Err(error) = surfnet::set_account(&client, oracle, &account).await {
            eprintln!("publishing on {oracle}: {error}");
        }
    }

    fn ema_e8(&self, market: usize) -> Option<i64> {
        self.markets.get(market)?.feed.ema()
    }

    async fn add_trader(&mut self, market: usize, collateral: u64) -> Result<usize, String> {
        let accounts = self.accounts(market)?;
        let (actor, instructions, signers) = self.bank.chain.env.new_trader_transaction(&accounts, collateral).await;
        let signers: Vec<&Keypair> = signers.iter().collect();
        self.payer.send_cosigned(&instructions, &signers).await.map_err(|e| format!("a new trader: {e}"))?;
        let margin = pda::margin_account(&accounts.market, &actor.pubkey());
        self.keeper.order.push(margin);
        self.traders.push(RpcTrader { market, actor, margin });
        Ok(self.traders.len() - 1)
    }

    async fn trade(&mut self, trader: usize, base_delta: i64) -> bool {
        let Ok(trader) = self.trader(trader) else { return false };
        let Ok(accounts) = self.accounts(trader.market) else { return false };
        let order = accounts.flow(trader.actor.pubkey(), trader.actor.token).trade(base_delta);
        self.payer.send_cosigned(&[order], &[&trader.actor.keypair]).await.is_ok()
    }

    async fn balances(&mut self, trader: usize) -> Result<TraderBalances, String> {
        let address = self.trader(trader)?.margin;
        let (data, owner) =
            self.keeper.account(address).await?.ok_or_else(|| format!("no margin account {address}"))?;
        Ok(read::<MarginAccount>(&data, &owner).map_err(|e| e.to_string())?.balances)
    }

    async fn keeper_round(&mut self, first: usize) -> Result<Vec<RoundReport>, String> {
        let count = self.markets.len();
        let mut rounds = vec![RoundReport::default(); count];
        for m in (0..count).map(|k| (first + k) % count) {
            rounds[m] = self.markets[m].keeper.round(&mut self.keeper).await?;
        }
        Ok(rounds)
    }

    async fn settle_fund_revenue(&mut self, market: usize) -> Result<(), String> {
        let sweep = self.accounts(market)?.keeper().settle_fund_revenue();
        self.keeper.send(&[sweep]).await.map_err(|error| error.to_string())
    }

    async fn market(&mut self, market: usize) -> Result<Market, String> {
        let address = self.accounts(market)?.market;
        Ok(self.keeper.market(address).await?)
    }

    async fn fund(&mut self) -> Result<InsuranceFund, String> {
        let address = self.accounts(0)?.fund;
        Ok(self.keeper.fund(address).await?)
    }

    async fn margin_accounts(&mut self, market: usize) -> Result<Vec<TraderBalances>, String> {
        // As the keeper's scan reads them (over getProgramAccounts, in the bank's order), and the keeper's own.
        let address = self.accounts(market)?.market;
        let traders = self.keeper.margin_accounts(address).await?;
        let keeper_margin = pda::margin_account(&address, &self.keeper.keeper());
        let traders = traders.into_iter().filter(|(found, _)| *found != keeper_margin);
        let keeper = self.keeper.account(keeper_margin).await?.map(|(data, owner)| read(&data, &owner));
        let keeper: Option<MarginAccount> = keeper.transpose().map_err(|e| format!("keeper: {e}"))?;
        Ok(traders.map(|(_, account)| account).chain(keeper).map(|account| account.balances).collect())
    }

    async fn vault_balances(&mut self, market: usize) -> Result<(u64, u64), String> {
        let accounts = self.accounts(market)?;
        Ok((self.token_balance(accounts.vault).await?, self.token_balance(accounts.fund_vault).await?))
    }

    fn take_covers(&mut self) -> Vec<(usize, CoverObservation)> {
        let covers = std::mem::take(&mut self.keeper.covers);
        let index = |market: &Pubkey| self.markets.iter().position(|m| m.accounts.market == *market);
        covers.into_iter().map(|(market, cover)| (index(&market).unwrap_or(usize::MAX), cover)).collect()
    }

    async fn market_book(&mut self, market: usize) -> Result<Box<MarketBook>, String> {
        let address = self.accounts(market)?.market;
        Ok(self.keeper.market_book(address).await?)
    }

    async fn stake_position(&mut self) -> Result<StakePosition, String> {
        let fund = self.accounts(0)?.fund;
        let address = pda::stake_position(&fund, &self.bank.staker.pubkey());
        let (data, owner) = self.keeper.account(address).await?.ok_or("no stake position")?;
        read(&data, &owner).map_err(|e| e.to_string())
    }

    async fn request_exit(&mut self) -> Result<bool, String> {
        let shares =
            backstop_sim::simulation::stress::unlocked_shares(&self.stake_position().await?, &self.fund().await?);
        let request = self.bank.chain.env.staking(&self.bank.staker).request_unstake(shares);
        Ok(self.payer.send_cosigned(&[request], &[&self.bank.staker.keypair]).await.is_ok())
    }

    async fn complete_exit(&mut self) -> Result<bool, String> {
        let markets: Vec<Pubkey> = self.markets.iter().map(|m| m.accounts.market).collect();
        let unstake = self.bank.chain.env.staking(&self.bank.staker).unstake(&markets);
        Ok(self.payer.send_cosigned(&[unstake], &[&self.bank.staker.keypair]).await.is_ok())
    }
}
