use crate::error::{BackstopError, OrReject};
use crate::events::{CollateralDirection, EventHeader, LpRecord};
use crate::oracle;
use crate::state::{LpPosition, Market};
use crate::vault::{self, TokenAccountView};
use anchor_lang::prelude::*;
use anchor_spl::token::Token;
use backstop_math::ledger;

#[event_cpi]
#[derive(Accounts)]
pub struct LpWithdraw<'info> {
    /// The market whose LP pool pays out (PDA `[MARKET, market_id u16 LE]`); it signs the transfer out of its vault.
    #[account(
        mut,
        has_one = vault @ BackstopError::VaultMismatch,
        has_one = collateral_mint @ BackstopError::MintMismatch
    )]
    pub market: AccountLoader<'info, Market>,
    /// The owner's LP position in `market` (PDA `[LP_POSITION, market, owner]`): `shares` of its matured exit request
    /// are burned.
    #[account(
        mut,
        has_one = owner @ BackstopError::AccountOwnerMismatch,
        has_one = market @ BackstopError::MarketMismatch
    )]
    pub lp_position: AccountLoader<'info, LpPosition>,
    /// Signer: the LP position's owner.
    pub owner: Signer<'info>,
    /// Receives the payout: any token account of the collateral mint (the LP chooses), not the vault.
    /// CHECK: an SPL token account of the collateral mint, anyone's (`TokenAccountView`).
    #[account(
        mut,
        constraint = destination.key() != vault.key() @ BackstopError::DestinationIsVault,
        constraint = TokenAccountView::read(&destination)?.mint == collateral_mint.key() @ BackstopError::MintMismatch
    )]
    pub destination: UncheckedAccount<'info>,
    /// The market's token vault (PDA `[MARKET_VAULT, market]`): pays the exit.
    /// CHECK: the market's vault (`has_one` above), a token account the program created: read as bytes.
    #[account(mut)]
    pub vault: UncheckedAccount<'info>,
    /// The market's collateral mint.
    /// CHECK: the market's collateral mint (`has_one` above); a transfer needs only its address.
    pub collateral_mint: UncheckedAccount<'info>,
    /// The market's configured oracle account (its `oracle`); read to value the shares now (the payout is the lesser of
    /// this and their value at request).
    /// CHECK: must be the market's oracle. checked at #oracle
    pub oracle: UncheckedAccount<'info>,
    pub token_program: Program<'info, Token>,
}

/// Serves `shares` of the LP's matured exit request (`request_lp_withdraw`) at the lesser of their value then and
/// now.
pub fn handle_lp_withdraw(ctx: Context<LpWithdraw>, shares: u64) -> Result<()> {
    let clock = Clock::get()?;
    let now = clock.unix_timestamp;
    let mut market = ctx.accounts.market.load_mut()?;
    let view = oracle::read_market_oracle(&ctx.accounts.oracle, &market, now)?;
    market.absorb_oracle(&view, now)?;
    // The pool is valued for an exit only at a print the EMA agrees with: an exit can wait.
    // The pool is priced for LPs entering or leaving: not at a print one of them chose from the last minute.
    view.require_fresh(now, market.fill_rules().max_age_secs).or_reject()?;
    let price = view.agreed().or_reject()?;
    let mut position = ctx.accounts.lp_position.load_mut()?;
    let pool_before = market.books.pool_balance;
    let margin = market.params.initial_margin_bps;
    let (outcome, left) =
        ledger::lp_withdraw(&market.books, shares, position.shares, &position.exit, &price, now, margin).or_reject()?;
    position.exit = left;
    market.books = outcome.market;
    position.shares = position.shares.checked_sub(shares).ok_or(BackstopError::InsufficientShares)?;
    position.withdrawn = position.withdrawn.saturating_add(outcome.amount);
    let owed = market.books.vault_liability().or_reject()?;
    let signer = market.signer();
    drop((market, position));

    let accounts = &ctx.accounts;
    vault::push(
        &accounts.token_program,
        &accounts.vault,
        &accounts.destination,
        accounts.market.to_account_info(),
        &signer.seeds(),
        outcome.amount,
    )?;
    vault::require_covers(&ctx.accounts.vault, owed)?;

    crate::events::emit(
        &ctx.accounts.event_authority,
        &LpRecord {
            header: EventHeader::now(&clock),
            market: ctx.accounts.market.key(),
            owner: ctx.accounts.owner.key(),
            direction: CollateralDirection::Withdraw,
            amount: outcome.amount,
            shares,
            pool_balance_before: pool_before,
            pool_balance_after: outcome.market.pool_balance,
            lp_shares_after: outcome.market.lp_shares,
        },
    )?;
    Ok(())
}
