//! Backstop: leveraged perpetual futures whose bankruptcies are absorbed by an on-chain insurance fund.
//!
//! This file only dispatches; each instruction lives in its own file under `instructions/`, and every number the
//! program decides on is computed by the `backstop-math` crate.

use anchor_lang::prelude::*;

pub mod error;
pub mod events;
pub mod instructions;
pub mod oracle;
pub mod seeds;
pub mod state;
pub mod vault;

use instructions::*;

declare_id!("Cwuhm5HMVGqHjGQqY6sAyBR8ndYwr54iyDRyYjzC7n2T");

#[program]
pub mod backstop {
    use super::*;

    /// Creates the exchange singleton: governance authority, guardian, treasury and timelock delay.
    pub fn initialize_exchange(ctx: Context<InitializeExchange>, args: InitializeExchangeArgs) -> Result<()> {
        instructions::initialize_exchange::handle_initialize_exchange(ctx, args)
    }

    /// Creates insurance fund `fund_id` (the next free id) with its token vault. Governance only.
    pub fn initialize_insurance_fund(ctx: Context<InitializeInsuranceFund>, fund_id: u16) -> Result<()> {
        instructions::initialize_insurance_fund::handle_initialize_insurance_fund(ctx, fund_id)
    }

    /// Lists perp market `market_id` (the next free id): collateral mint and vault, oracle, risk parameters and
    /// the insurance fund that backs it. Governance only.
    pub fn initialize_market(ctx: Context<InitializeMarket>, args: InitializeMarketArgs) -> Result<()> {
        instructions::initialize_market::handle_initialize_market(ctx, args)
    }

    /// Opens the caller's isolated-margin account in a market.
    pub fn create_margin_account(ctx: Context<CreateMarginAccount>) -> Result<()> {
        instructions::create_margin_account::handle_create_margin_account(ctx)
    }

    /// Opens the caller's LP position in a market's pool.
    pub fn create_lp_position(ctx: Context<CreateLpPosition>) -> Result<()> {
        instructions::create_lp_position::handle_create_lp_position(ctx)
    }

    /// Moves collateral from the owner's token account into their margin account.
    pub fn deposit(ctx: Context<Deposit>, amount: u64) -> Result<()> {
        instructions::deposit::handle_deposit(ctx, amount)
    }

    /// Moves collateral out of a margin account; initial margin must hold afterwards. Profit is withdrawable
    /// only once realized and settled against the pool.
    pub fn withdraw(ctx: Context<Withdraw>, amount: u64) -> Result<()> {
        instructions::withdraw::handle_withdraw(ctx, amount)
    }

    /// Deposits into the market's LP pool for shares priced at pool value (including traders' unrealized PnL).
    pub fn lp_deposit(ctx: Context<LpDeposit>, amount: u64) -> Result<()> {
        instructions::lp_deposit::handle_lp_deposit(ctx, amount)
    }

    /// Burns LP shares for their value; the pool must keep its free cash and its margin.
    pub fn lp_withdraw(ctx: Context<LpWithdraw>, shares: u64) -> Result<()> {
        instructions::lp_withdraw::handle_lp_withdraw(ctx, shares)
    }

    /// Trades `base_delta` (signed: > 0 buys) against the LP pool at the oracle price moved against the taker.
    pub fn trade(ctx: Context<Trade>, base_delta: i64) -> Result<()> {
        instructions::trade::handle_trade(ctx, base_delta)
    }

    /// Keeper: closes an account below maintenance margin against the pool at the conservative price, partially
    /// when that restores a buffer, and pays the keeper's margin account its share of the penalty.
    pub fn liquidate(ctx: Context<Liquidate>) -> Result<()> {
        instructions::liquidate::handle_liquidate(ctx)
    }

    /// Keeper: pays a bankrupt account's deficit through the waterfall (fund, LP clawback, socialized loss).
    pub fn cover_bankruptcy(ctx: Context<CoverBankruptcy>) -> Result<()> {
        instructions::cover_bankruptcy::handle_cover_bankruptcy(ctx)
    }

    /// Keeper: sweeps the fund's accrued fee and penalty shares from a market vault into the fund vault.
    pub fn settle_fund_revenue(ctx: Context<SettleFundRevenue>) -> Result<()> {
        instructions::settle_fund_revenue::handle_settle_fund_revenue(ctx)
    }

    /// Read-only: a fund's balance, coverage ratio, inflows, deficits covered and draw remaining per market
    /// (pass the markets it backs as remaining accounts), as return data.
    pub fn fund_health<'info>(ctx: Context<'info, FundHealthView<'info>>) -> Result<FundHealth> {
        instructions::fund_health::handle_fund_health(ctx)
    }
}
