//! The ground-truth engine: the real program on the in-process bank, the real keeper sending transactions.

use super::engine::Engine;
use super::prices::PricePoint;
use super::reconcile::CoverObservation;
use super::{conf_of, SimConfig};
use crate::bank::InProcessChain;
use backstop::state::{InsuranceFund, Market, StakePosition};
use backstop_app::chain::Chain;
use backstop_app::keeper::Keeper;
use backstop_app::RoundReport;
use backstop_math::margin::TraderBalances;
use backstop_math::params::MarketParams;
use backstop_tests::builders::pda;
use backstop_tests::{Actor, Env};

pub struct BankEngine {
    pub chain: InProcessChain,
    keeper: Keeper,
    traders: Vec<Actor>,
    /// Who seeded the fund.
    pub staker: Actor,
}

impl BankEngine {
    /// A market on `params` priced at `first`, its fund seeded with `config.fund_capital`, two LPs sharing
    /// `config.lp_capital`, and a keeper; no traders yet.
    pub async fn start(config: &SimConfig, params: MarketParams, first: PricePoint) -> Result<Self, String> {
        let mut env = if config.pull_oracle {
            let receiver = backstop::oracle::PYTH_RECEIVER_PROGRAM_ID;
            Env::pull_with_params(backstop_tests::pyth::PULL_SOL_USD, receiver, 0, params).await
        } else {
            Env::with_params(params).await
        };
        env.set_price(first.price_e8, conf_of(first.price_e8, config.conf_bps)).await;
        // The oracle's EMA lags the series as Pyth's does, so a fast crash meets the EMA guard as it would live.
        env.lag_ema();
        let staker = env.seed_fund(config.fund_capital * backstop_tests::USDC).await;
        for _ in 0..2 {
            env.lp(config.lp_capital * backstop_tests::USDC / 2).await;
        }
        let keeper_actor = env.trader(0).await;
        let chain = InProcessChain::new(env, keeper_actor, Vec::new());
        let mut keeper = Keeper::new(chain.env.keeper_accounts());
        // The replay sweeps fund revenue itself, after it has measured the step: a drawdown is seen before the
        // sweep refills the fund.
        keeper.sweep_every = 0;
        Ok(Self { chain, keeper, traders: Vec::new(), staker })
    }
}

impl Engine for BankEngine {
    fn now(&self) -> i64 {
        self.chain.env.now
    }

    async fn set_clock(&mut self, unix_ts: i64) {
        self.chain.env.set_clock(unix_ts).await;
    }

    async fn set_price(&mut self, price_e8: i64, conf: u64) {
        self.chain.env.set_price(price_e8, conf).await;
    }

    fn ema_e8(&self) -> Option<i64> {
        self.chain.env.lagging_ema.map(|ema| ema.last())
    }

    async fn add_trader(&mut self, collateral: u64) -> Result<usize, String> {
        let actor = self.chain.env.trader(collateral).await;
        self.chain.accounts.push(pda::margin_account(&self.chain.env.market, &actor.pubkey()));
        self.traders.push(actor);
        Ok(self.traders.len() - 1)
    }

    async fn trade(&mut self, trader: usize, base_delta: i64) -> bool {
        let Some(actor) = self.traders.get(trader) else { return false };
        let order = self.chain.env.flow(actor).trade(base_delta);
        self.chain.env.act(actor, order).await.is_ok()
    }

    async fn balances(&mut self, trader: usize) -> Result<TraderBalances, String> {
        let actor = self.traders.get(trader).ok_or_else(|| format!("no trader {trader}"))?;
        Ok(self.chain.env.margin(actor).await.balances)
    }

    async fn keeper_round(&mut self) -> Result<RoundReport, String> {
        Ok(self.keeper.round(&mut self.chain).await?)
    }

    async fn settle_fund_revenue(&mut self) -> Result<(), String> {
        let sweep = self.chain.env.keeper_accounts().settle_fund_revenue();
        self.chain.send(&[sweep]).await.map_err(|error| error.to_string())
    }

    async fn market(&mut self) -> Result<Market, String> {
        Ok(self.chain.market(self.chain.env.market).await?)
    }

    async fn fund(&mut self) -> Result<InsuranceFund, String> {
        Ok(self.chain.fund(self.chain.env.fund).await?)
    }

    async fn margin_accounts(&mut self) -> Result<Vec<TraderBalances>, String> {
        let market = self.chain.env.market;
        let mut addresses = self.chain.accounts.clone();
        addresses.push(pda::margin_account(&market, &self.chain.keeper()));
        let mut balances = Vec::with_capacity(addresses.len());
        for address in addresses {
            if let Some((data, owner)) = self.chain.account(address).await? {
                let account: backstop::state::MarginAccount =
                    backstop_client::read::read(&data, &owner).map_err(|e| format!("{address}: {e}"))?;
                balances.push(account.balances);
            }
        }
        Ok(balances)
    }

    async fn vault_balances(&mut self) -> Result<(u64, u64), String> {
        let market = self.market().await?;
        let fund = self.fund().await?;
        Ok((self.chain.env.token_balance(market.vault).await, self.chain.env.token_balance(fund.vault).await))
    }

    fn take_covers(&mut self) -> Vec<CoverObservation> {
        std::mem::take(&mut self.chain.covers)
    }

    async fn stake_position(&mut self) -> Result<StakePosition, String> {
        Ok(self.chain.env.stake_position(&self.staker).await)
    }

    async fn request_exit(&mut self) -> Result<bool, String> {
        let position = self.stake_position().await?;
        let fund = self.fund().await?;
        // The shares as the fund counts them now (a fund drained to nothing voids them: a new epoch).
        let book = position.book.in_epoch_of(&fund.book);
        let shares = book.shares.saturating_sub(book.locked_shares);
        let request = self.chain.env.staking(&self.staker).request_unstake(shares);
        Ok(self.chain.env.act(&self.staker, request).await.is_ok())
    }

    async fn complete_exit(&mut self) -> Result<bool, String> {
        let unstake = self.chain.env.staking(&self.staker).unstake(&[self.chain.env.market]);
        Ok(self.chain.env.act(&self.staker, unstake).await.is_ok())
    }
}
