//! Backstop: leveraged perpetual futures whose bankruptcies are absorbed by an on-chain insurance fund.
//!
//! This file only dispatches; each instruction lives in its own file under `instructions/`, and every number the
//! program decides on is computed by the `backstop-math` crate.

// Provides memcpy/memset and 128-bit arithmetic helpers when built for SBF with upstream rustc (no-op natively).
use solana_compiler_builtins as _;

use anchor_lang::prelude::*;

pub mod admission;
pub mod entrypoint;
pub mod error;
pub mod events;
pub mod fund_markets;
pub mod instructions;
pub mod oracle;
pub mod pda;
pub mod seeds;
pub mod state;
pub mod units;
pub mod vault;

use backstop_math::params::MarketParams;
use backstop_math::staking::FundParams;
use instructions::*;
use state::OracleConfig;

declare_id!("Cwuhm5HMVGqHjGQqY6sAyBR8ndYwr54iyDRyYjzC7n2T");

// Where a researcher reports a flaw, readable from the deployed binary (explorers show it). The `.invalid`
// addresses are placeholders the deployer replaces (migrations/README.md); the policy is SECURITY.md.
#[cfg(any(not(feature = "no-entrypoint"), feature = "lean-entrypoint"))]
solana_security_txt::security_txt! {
    name: "Backstop",
    project_url: "https://backstop.invalid",
    contacts: "email:security@backstop.invalid",
    policy: "SECURITY.md at the root of the source repository",
    preferred_languages: "en",
    source_code: "https://backstop.invalid/source",
    auditors: "None yet; the attack suite is tests/cases/attacks"
}

#[program]
pub mod backstop {
    use super::*;

    /// Creates the exchange singleton: governance authority, guardian, treasury and timelock delay.
    pub fn initialize_exchange(ctx: Context<InitializeExchange>, args: InitializeExchangeArgs) -> Result<()> {
        instructions::initialize_exchange::handle_initialize_exchange(ctx, args)
    }

    /// Creates insurance fund `fund_id` (the next free id) with its token vault and staking rules. Governance only.
    pub fn initialize_insurance_fund(
        ctx: Context<InitializeInsuranceFund>,
        fund_id: u16,
        params: FundParams,
    ) -> Result<()> {
        instructions::initialize_insurance_fund::handle_initialize_insurance_fund(ctx, fund_id, params)
    }

    /// Opens the caller's stake position in an insurance fund.
    pub fn create_stake_position(ctx: Context<CreateStakePosition>) -> Result<()> {
        instructions::staking::create_stake_position::handle_create_stake_position(ctx)
    }

    /// Stakes tokens into the fund for shares at its vested value.
    /// `amount`: tokens to stake, in the fund mint's atoms (QUOTE_PRECISION).
    pub fn stake(ctx: Context<Stake>, amount: u64) -> Result<()> {
        instructions::staking::stake::handle_stake(ctx, amount)
    }

    /// Locks shares for withdrawal after the fund's cooldown, recording their value now.
    /// `shares`: how many of the position's stake shares to lock (one request at a time).
    pub fn request_unstake(ctx: Context<RequestUnstake>, shares: u64) -> Result<()> {
        instructions::staking::request_unstake::handle_request_unstake(ctx, shares)
    }

    /// Unlocks the pending request.
    pub fn cancel_unstake(ctx: Context<CancelUnstake>) -> Result<()> {
        instructions::staking::cancel_unstake::handle_cancel_unstake(ctx)
    }

    /// After the cooldown and as far as the redemption gate allows: pays min(value at request, value now).
    /// Pass every market the fund backs as remaining accounts (read-only): their pending deficits are netted.
    pub fn unstake<'info>(ctx: Context<'info, Unstake<'info>>) -> Result<()> {
        instructions::staking::unstake::handle_unstake(ctx)
    }

    /// Governance: queues new staking rules for a fund (always timelocked: they decide who leaves first).
    pub fn update_fund_params(ctx: Context<UpdateFundParams>, params: FundParams) -> Result<()> {
        instructions::governance::update_fund_params::handle_update_fund_params(ctx, params)
    }

    /// Anyone, after the delay: applies the fund's queued staking rules.
    pub fn apply_fund_params(ctx: Context<ApplyFundParams>) -> Result<()> {
        instructions::governance::update_fund_params::handle_apply_fund_params(ctx)
    }

    /// Governance: drops the fund's queued staking-rule change.
    pub fn cancel_fund_change(ctx: Context<CancelFundChange>) -> Result<()> {
        instructions::governance::cancel_fund_change::handle_cancel_fund_change(ctx)
    }

    /// Lists perp market `market_id` (the next free id): collateral mint and vault, oracle, risk parameters and
    /// the insurance fund that backs it. Governance only.
    pub fn initialize_market(ctx: Context<InitializeMarket>, args: InitializeMarketArgs) -> Result<()> {
        instructions::initialize_market::handle_initialize_market(ctx, args)
    }

    /// Grows a market's bankruptcy book by up to 10 KiB toward its full size (permissionless; the payer pays the
    /// rent). Sent after `initialize_market` in the listing's transaction until the book is whole.
    pub fn extend_market_book(ctx: Context<ExtendMarketBook>) -> Result<()> {
        instructions::extend_market_book::handle_extend_market_book(ctx)
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
    /// `amount`: collateral to deposit, in the mint's atoms (QUOTE_PRECISION).
    pub fn deposit(ctx: Context<Deposit>, amount: u64) -> Result<()> {
        instructions::deposit::handle_deposit(ctx, amount)
    }

    /// Moves collateral out of a margin account; initial margin must hold afterwards. Profit is withdrawable
    /// only once realized and settled against the pool.
    /// `amount`: collateral to withdraw, in the mint's atoms (QUOTE_PRECISION).
    pub fn withdraw(ctx: Context<Withdraw>, amount: u64) -> Result<()> {
        instructions::withdraw::handle_withdraw(ctx, amount)
    }

    /// Deposits into the market's LP pool for shares priced at pool value (including traders' unrealized PnL).
    /// `amount`: collateral to deposit, in the mint's atoms (QUOTE_PRECISION).
    pub fn lp_deposit(ctx: Context<LpDeposit>, amount: u64) -> Result<()> {
        instructions::lp_deposit::handle_lp_deposit(ctx, amount)
    }

    /// Asks to burn `shares` after the market's LP exit delay, recording their value now.
    pub fn request_lp_withdraw(ctx: Context<RequestLpWithdraw>, shares: u64) -> Result<()> {
        instructions::request_lp_withdraw::handle_request_lp_withdraw(ctx, shares)
    }

    /// Serves `shares` of a matured exit request at the lesser of their value at request and now.
    pub fn lp_withdraw(ctx: Context<LpWithdraw>, shares: u64) -> Result<()> {
        instructions::lp_withdraw::handle_lp_withdraw(ctx, shares)
    }

    /// Trades `base_delta` (signed: > 0 buys) against the LP pool at the oracle price moved against the taker.
    /// `base_delta` is in BASE_PRECISION (10⁹ per base unit); < 0 sells.
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

    /// Permissionless: pays the treasury's accrued fee share to a token account of the exchange's treasury.
    pub fn sweep_treasury_fees(ctx: Context<SweepTreasuryFees>) -> Result<()> {
        instructions::sweep_treasury_fees::handle_sweep_treasury_fees(ctx)
    }

    /// Anyone (the keeper every round): shows the market its oracle so funding accrues, the variance estimate
    /// moves and the circuit breaker trips or clears even without trades, and stores the fund's share of fees that
    /// trades read for the next 60 s.
    pub fn refresh_market(ctx: Context<RefreshMarket>) -> Result<()> {
        instructions::refresh_market::handle_refresh_market(ctx)
    }

    /// Permissionless: applies a dormant account's share of socialized losses, so the bankruptcy book stops counting
    /// that loss against the market.
    pub fn touch_account(ctx: Context<TouchAccount>) -> Result<()> {
        instructions::touch_account::handle_touch_account(ctx)
    }

    /// Governance: proposes the next authority (step one of two).
    pub fn propose_authority(ctx: Context<ProposeAuthority>, new_authority: Pubkey) -> Result<()> {
        instructions::governance::propose_authority::handle_propose_authority(ctx, new_authority)
    }

    /// The proposed authority accepts (step two of two).
    pub fn accept_authority(ctx: Context<AcceptAuthority>) -> Result<()> {
        instructions::governance::accept_authority::handle_accept_authority(ctx)
    }

    /// Governance: queues a new guardian, treasury, timelock delay and allowed pull receiver (always timelocked).
    pub fn propose_exchange_change(ctx: Context<ProposeExchangeChange>, change: ExchangeChange) -> Result<()> {
        instructions::governance::propose_exchange_change::handle_propose_exchange_change(ctx, change)
    }

    /// Anyone, after the delay: applies the queued exchange change.
    pub fn apply_exchange_change(ctx: Context<ApplyExchangeChange>) -> Result<()> {
        instructions::governance::apply_exchange_change::handle_apply_exchange_change(ctx)
    }

    /// Governance: drops the queued exchange change.
    pub fn cancel_exchange_change(ctx: Context<CancelExchangeChange>) -> Result<()> {
        instructions::governance::cancel_exchange_change::handle_cancel_exchange_change(ctx)
    }

    /// Governance: new market parameters, within bounds; a safety tightening within its step applies at once,
    /// anything else (margins and every value transfer included) is queued behind the timelock.
    pub fn update_market_params(ctx: Context<UpdateMarketParams>, params: MarketParams) -> Result<()> {
        instructions::governance::update_market_params::handle_update_market_params(ctx, params)
    }

    /// Anyone, after the delay: applies the queued parameter change.
    pub fn apply_market_params(ctx: Context<ApplyMarketParams>) -> Result<()> {
        instructions::governance::apply_market_params::handle_apply_market_params(ctx)
    }

    /// Governance: drops the market's queued parameter and oracle changes.
    pub fn cancel_market_change(ctx: Context<CancelMarketChange>) -> Result<()> {
        instructions::governance::cancel_market_change::handle_cancel_market_change(ctx)
    }

    /// Governance: queues a new oracle for a market (always timelocked).
    /// `config`: the kind, receiver, feed id and signature minimum of the new oracle account, passed as `new_oracle`.
    pub fn propose_oracle_change(ctx: Context<ProposeOracleChange>, config: OracleConfig) -> Result<()> {
        instructions::governance::propose_oracle_change::handle_propose_oracle_change(ctx, config)
    }

    /// Anyone, after the delay: applies the queued oracle change.
    pub fn apply_oracle_change(ctx: Context<ApplyOracleChange>) -> Result<()> {
        instructions::governance::apply_oracle_change::handle_apply_oracle_change(ctx)
    }

    /// Anyone, after the listing delay: opens a listed market.
    pub fn activate_market(ctx: Context<ActivateMarket>) -> Result<()> {
        instructions::governance::activate_market::handle_activate_market(ctx)
    }

    /// Guardian or governance: reduce-only or pause at once; only governance re-activates.
    /// `status`: 0 Active, 1 ReduceOnly, 2 Paused (3 Listing cannot be set).
    pub fn set_market_status(ctx: Context<SetMarketStatus>, status: u8) -> Result<()> {
        instructions::governance::set_market_status::handle_set_market_status(ctx, status)
    }

    /// Read-only: a fund's balance, coverage ratio, inflows, deficits covered and draw remaining per market
    /// (pass the markets it backs as remaining accounts), as return data.
    pub fn fund_health<'info>(ctx: Context<'info, FundHealthView<'info>>) -> Result<FundHealth> {
        instructions::fund_health::handle_fund_health(ctx)
    }
}
