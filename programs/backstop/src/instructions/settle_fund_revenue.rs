use crate::error::{BackstopError, OrReject};
use crate::events::{EventHeader, FundRevenueSwept};
use crate::state::{InsuranceFund, Market};
use crate::vault;
use anchor_lang::prelude::*;
use anchor_spl::token::Token;
use backstop_math::ledger::{self, Sweep};

#[event_cpi]
#[derive(Accounts)]
pub struct SettleFundRevenue<'info> {
    /// The market whose accrued fund revenue is swept (PDA `[MARKET, market_id u16 LE]`); it signs the transfer out of
    /// its vault.
    #[account(
        mut,
        has_one = vault @ BackstopError::VaultMismatch,
        has_one = collateral_mint @ BackstopError::MintMismatch,
        has_one = insurance_fund @ BackstopError::FundMismatch
    )]
    pub market: AccountLoader<'info, Market>,
    /// The insurance fund backing `market` (the market's `insurance_fund`; PDA `[INSURANCE_FUND, fund_id u16 LE]`):
    /// takes the revenue, vesting over its vesting period.
    #[account(mut, constraint = insurance_fund.load()?.vault == fund_vault.key() @ BackstopError::VaultMismatch)]
    pub insurance_fund: AccountLoader<'info, InsuranceFund>,
    /// The fund's token vault (PDA `[FUND_VAULT, fund]`): receives the revenue.
    /// CHECK: the fund's vault (constraint above), a token account the program created: read as bytes.
    #[account(mut)]
    pub fund_vault: UncheckedAccount<'info>,
    /// The market's token vault (PDA `[MARKET_VAULT, market]`): pays the fund's accrued fees and penalties.
    /// CHECK: the market's vault (`has_one` above), a token account the program created: read as bytes.
    #[account(mut)]
    pub vault: UncheckedAccount<'info>,
    /// The market's collateral mint.
    /// CHECK: the market's collateral mint (`has_one` above); a transfer needs only its address.
    pub collateral_mint: UncheckedAccount<'info>,
    pub token_program: Program<'info, Token>,
}

/// Moves the fund's accrued fee and penalty shares from the market vault into the fund vault. Permissionless:
/// the amounts are the program's own accounting, so the caller can only choose when.
pub fn handle_settle_fund_revenue(ctx: Context<SettleFundRevenue>) -> Result<()> {
    let mut market = ctx.accounts.market.load_mut()?;
    let mut fund = ctx.accounts.insurance_fund.load_mut()?;
    let clock = Clock::get()?;
    let fund_balance_before = fund.book.balance;
    let sweep = apply_fund_revenue_sweep(&mut market, &mut fund, clock.unix_timestamp)?;
    let total = sweep.fees.checked_add(sweep.penalties).ok_or(BackstopError::Overflow)?;
    let now = clock.unix_timestamp;
    let unvested_after = fund.book.unvested(now).or_reject()?;
    let vesting_end = fund.book.vesting_end;
    let owed = market.books.vault_liability().or_reject()?;
    let fund_owed = fund.book.balance;
    let signer = market.signer();
    drop((market, fund));

    if total > 0 {
        let accounts = &ctx.accounts;
        vault::push(
            &accounts.token_program,
            &accounts.vault,
            &accounts.fund_vault,
            accounts.market.to_account_info(),
            &signer.seeds(),
            total,
        )?;
    }
    vault::require_covers(&ctx.accounts.vault, owed)?;
    vault::require_covers(&ctx.accounts.fund_vault, fund_owed)?;

    crate::events::emit(
        &ctx.accounts.event_authority,
        &FundRevenueSwept {
            header: EventHeader::now(&clock),
            market: ctx.accounts.market.key(),
            fund: ctx.accounts.insurance_fund.key(),
            fees: sweep.fees,
            penalties: sweep.penalties,
            fund_balance_before,
            fund_balance_after: fund_owed,
            unvested_after,
            vesting_end,
        },
    )?;
    Ok(())
}

/// Everything a sweep decides and stores, on the loaded accounts: the market's books give up the fund's accrued
/// shares and the fund's book takes them as revenue vesting over its period; the handler moves the tokens. The
/// crash laboratory's core engine runs this same function in memory.
pub fn apply_fund_revenue_sweep(market: &mut Market, fund: &mut InsuranceFund, now: i64) -> Result<Sweep> {
    let sweep = ledger::sweep_fund_revenue(&market.books);
    let total = sweep.fees.checked_add(sweep.penalties).ok_or(BackstopError::Overflow)?;
    market.books = sweep.market;
    // Revenue vests into share value over the fund's vesting period: staking just before a sweep captures
    // only the time-weighted part.
    let vesting = fund.params.vesting_period_secs;
    fund.book.add_revenue(total, now, vesting).or_reject()?;
    fund.inflow_fees = fund.inflow_fees.saturating_add(sweep.fees);
    fund.inflow_penalties = fund.inflow_penalties.saturating_add(sweep.penalties);
    Ok(sweep)
}
