use crate::error::{BackstopError, OrReject};
use crate::events::{EventHeader, TreasuryFeesSwept};
use crate::state::{Exchange, Market};
use crate::vault::{self, TokenAccountView};
use anchor_lang::prelude::*;
use anchor_spl::token::Token;
use backstop_math::ledger;

#[event_cpi]
#[derive(Accounts)]
pub struct SweepTreasuryFees<'info> {
    /// The exchange (PDA `[EXCHANGE]`): read for its treasury, which must own `destination`.
    pub exchange: AccountLoader<'info, Exchange>,
    /// The market whose accrued treasury fees are paid out (PDA `[MARKET, market_id u16 LE]`); it signs the transfer
    /// out of its vault.
    #[account(
        mut,
        has_one = vault @ BackstopError::VaultMismatch,
        has_one = collateral_mint @ BackstopError::MintMismatch
    )]
    pub market: AccountLoader<'info, Market>,
    /// The treasury's token account: owned by the exchange's recorded treasury, of the market's mint. Nothing
    /// else can receive the treasury's fees, whoever calls.
    /// CHECK: an SPL token account (`TokenAccountView`), its owner and mint checked here.
    #[account(
        mut,
        constraint = TokenAccountView::read(&destination)?.owner == exchange.load()?.treasury
            @ BackstopError::NotTreasuryAccount,
        constraint = TokenAccountView::read(&destination)?.mint == collateral_mint.key() @ BackstopError::MintMismatch
    )]
    pub destination: UncheckedAccount<'info>,
    /// The market's token vault (PDA `[MARKET_VAULT, market]`): pays the treasury's fees.
    /// CHECK: the market's vault (`has_one` above), a token account the program created: read as bytes.
    #[account(mut)]
    pub vault: UncheckedAccount<'info>,
    /// The market's collateral mint.
    /// CHECK: the market's collateral mint (`has_one` above); a transfer needs only its address.
    pub collateral_mint: UncheckedAccount<'info>,
    pub token_program: Program<'info, Token>,
}

/// Pays the treasury's accrued fee share out of the market vault to the treasury. Permissionless: the amount is
/// the program's own accounting and the destination is fixed by the exchange, so a caller only chooses when.
pub fn handle_sweep_treasury_fees(ctx: Context<SweepTreasuryFees>) -> Result<()> {
    let mut market = ctx.accounts.market.load_mut()?;
    let (books, amount) = ledger::sweep_treasury_fees(&market.books).or_reject()?;
    market.books = books;
    let owed = market.books.vault_liability().or_reject()?;
    let signer = market.signer();
    drop(market);

    let accounts = &ctx.accounts;
    vault::push(
        &accounts.token_program,
        &accounts.vault,
        &accounts.destination,
        accounts.market.to_account_info(),
        &signer.seeds(),
        amount,
    )?;
    vault::require_covers(&ctx.accounts.vault, owed)?;
    crate::events::emit(
        &ctx.accounts.event_authority,
        &TreasuryFeesSwept {
            header: EventHeader::now(&Clock::get()?),
            market: ctx.accounts.market.key(),
            destination: ctx.accounts.destination.key(),
            amount,
        },
    )?;
    Ok(())
}
