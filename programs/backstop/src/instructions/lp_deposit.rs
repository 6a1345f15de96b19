use crate::error::{BackstopError, OrReject};
use crate::events::{CollateralDirection, EventHeader, LpRecord};
use crate::oracle;
use crate::state::{LpPosition, Market, MarketStatus};
use crate::vault::{self, TokenAccountView};
use anchor_lang::prelude::*;
use anchor_spl::token::Token;
use backstop_math::ledger;

#[event_cpi]
#[derive(Accounts)]
pub struct LpDeposit<'info> {
    /// The market whose LP pool is deposited into (PDA `[MARKET, market_id u16 LE]`); must be live and not paused.
    #[account(
        mut,
        has_one = vault @ BackstopError::VaultMismatch,
        has_one = collateral_mint @ BackstopError::MintMismatch
    )]
    pub market: AccountLoader<'info, Market>,
    /// The owner's LP position in `market` (PDA `[LP_POSITION, market, owner]`): credited with the new shares.
    #[account(
        mut,
        has_one = owner @ BackstopError::AccountOwnerMismatch,
        has_one = market @ BackstopError::MarketMismatch
    )]
    pub lp_position: AccountLoader<'info, LpPosition>,
    /// Signer: the LP position's owner, authority of `owner_token`.
    pub owner: Signer<'info>,
    #[account(
        mut,
        constraint = TokenAccountView::read(&owner_token)?.mint == collateral_mint.key() @ BackstopError::MintMismatch,
        constraint = TokenAccountView::read(&owner_token)?.owner == owner.key() @ BackstopError::TokenOwnerMismatch
    )]
    /// The owner's token account of the collateral mint; `amount` moves from it into the market vault.
    /// CHECK: an SPL token account of the collateral mint owned by `owner` (`TokenAccountView` above).
    pub owner_token: UncheckedAccount<'info>,
    /// The market's token vault (PDA `[MARKET_VAULT, market]`): receives the deposit.
    /// CHECK: the market's vault (`has_one` above), a token account the program created: read as bytes.
    #[account(mut)]
    pub vault: UncheckedAccount<'info>,
    /// The market's collateral mint.
    /// CHECK: the market's collateral mint (`has_one` above); a transfer needs only its address.
    pub collateral_mint: UncheckedAccount<'info>,
    /// The market's configured oracle account (its `oracle`); read to price the pool for the new shares.
    /// CHECK: must be the market's oracle. checked at #oracle
    pub oracle: UncheckedAccount<'info>,
    pub token_program: Program<'info, Token>,
}

pub fn handle_lp_deposit(ctx: Context<LpDeposit>, amount: u64) -> Result<()> {
    let clock = Clock::get()?;
    let mut market = ctx.accounts.market.load_mut()?;
    require!(market.is_live(), BackstopError::MarketNotLive);
    require!(market.status() != MarketStatus::Paused, BackstopError::MarketPaused);
    let view = oracle::read_market_oracle(&ctx.accounts.oracle, &market, clock.unix_timestamp)?;
    market.absorb_oracle(&view, clock.unix_timestamp)?;
    // The pool is priced for LPs entering or leaving: not at a print one of them chose from the last minute.
    view.require_fresh(clock.unix_timestamp, market.fill_rules().max_age_secs).or_reject()?;
    let price = view.agreed().or_reject()?;
    let pool_before = market.books.pool_balance;
    let outcome = ledger::lp_deposit(&market.books, amount, &price).or_reject()?;
    market.books = outcome.market;
    let owed = market.books.vault_liability().or_reject()?;
    drop(market);

    let mut position = ctx.accounts.lp_position.load_mut()?;
    position.shares = position.shares.checked_add(outcome.shares).ok_or(BackstopError::Overflow)?;
    position.deposited = position.deposited.saturating_add(amount);
    drop(position);

    let accounts = &ctx.accounts;
    vault::pull(&accounts.token_program, &accounts.owner_token, &accounts.vault, &accounts.owner, amount)?;
    vault::require_covers(&ctx.accounts.vault, owed)?;

    crate::events::emit(
        &ctx.accounts.event_authority,
        &LpRecord {
            header: EventHeader::now(&clock),
            market: ctx.accounts.market.key(),
            owner: ctx.accounts.owner.key(),
            direction: CollateralDirection::Deposit,
            amount,
            shares: outcome.shares,
            pool_balance_before: pool_before,
            pool_balance_after: outcome.market.pool_balance,
            lp_shares_after: outcome.market.lp_shares,
        },
    )?;
    Ok(())
}
