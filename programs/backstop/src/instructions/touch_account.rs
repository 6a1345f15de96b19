use crate::error::{BackstopError, OrReject};
use crate::events::{AccountTouched, EventHeader};
use crate::state::{MarginAccount, Market, MarketBook};
use anchor_lang::prelude::*;
use backstop_math::ledger;

#[event_cpi]
#[derive(Accounts)]
pub struct TouchAccount<'info> {
    /// The margin account's market (PDA `[MARKET, market_id u16 LE]`); must be live. Its socialized-loss index sets the
    /// loss applied (its totals already count it).
    #[account(mut)]
    pub market: AccountLoader<'info, Market>,
    /// Anyone's: the touch only applies the socialized loss the account already owes.
    #[account(mut, has_one = market @ BackstopError::MarketMismatch)]
    pub margin_account: AccountLoader<'info, MarginAccount>,
    /// The market's bankruptcy book: the account's term moves, and what it applied leaves the book's bound.
    // checked at #book (`MarketBook::load_for`)
    #[account(mut)]
    pub market_book: AccountLoader<'info, MarketBook>,
}

/// Permissionless: applies a dormant account's share of the losses socialized since its last touch
/// (`ledger::touch_dormant`). Until then the bankruptcy book counts every socialized loss not yet applied in full
/// against the market (it cannot tell whose it is), so a keeper touching accounts after a socialized loss gives
/// capacity and adequacy back. Only the loss: funding and claims settle in the owner's own instructions (paid by
/// someone else's touch, they could move loss between accounts before a cover). No price is read, the market's
/// totals already count the loss, and nothing leaves the vault. Refused when there is nothing to apply
/// (`NoChange`) and for an account awaiting its bankruptcy cover (`AccountBankrupt`).
pub fn handle_touch_account(ctx: Context<TouchAccount>) -> Result<()> {
    let clock = Clock::get()?;
    let mut market = ctx.accounts.market.load_mut()?;
    require!(market.is_live(), BackstopError::MarketNotLive);
    let mut account = ctx.accounts.margin_account.load_mut()?;
    // #book the market's own book.
    let mut book = MarketBook::load_for(&ctx.accounts.market_book, &ctx.accounts.market.key())?;
    let before = account.balances;
    let ledger_before = market.books;
    let books = ledger::touch_dormant(&before, &ledger_before).or_reject()?.ok_or(BackstopError::NoChange)?;
    // Only the loss moved: what the collateral fell by (read off, not worked out a second time).
    let social_loss_applied = before
        .collateral
        .checked_sub(books.trader.collateral)
        .and_then(|fell| u64::try_from(fell).ok())
        .ok_or(BackstopError::Overflow)?;
    // The market's totals already count the loss: the vault owes what it did.
    require_eq!(
        ledger_before.vault_liability().or_reject()?,
        books.market.vault_liability().or_reject()?,
        BackstopError::ConservationViolated
    );
    market.books = books.market;
    account.balances = books.trader;
    book.upkeep(&mut account.book_term, &before, &books.trader, &ledger_before)?;
    let owner = account.owner;
    drop((market, account, book));

    crate::events::emit(
        &ctx.accounts.event_authority,
        &AccountTouched {
            header: EventHeader::now(&clock),
            market: ctx.accounts.market.key(),
            owner,
            social_loss_applied,
            collateral_before: before.collateral,
            collateral_after: books.trader.collateral,
        },
    )?;
    Ok(())
}
