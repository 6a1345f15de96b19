use crate::error::{BackstopError, OrReject};
use crate::events::{CollateralDirection, CollateralRecord, EventHeader};
use crate::state::{MarginAccount, Market, MarketBook};
use crate::vault::{self, TokenAccountView};
use anchor_lang::prelude::*;
use anchor_spl::token::Token;
use backstop_math::ledger::{self, Books};

#[event_cpi]
#[derive(Accounts)]
pub struct Deposit<'info> {
    /// The margin account's market (PDA `[MARKET, market_id u16 LE]`); must be live. Funding accrues and its collateral
    /// total grows.
    #[account(
        mut,
        has_one = vault @ BackstopError::VaultMismatch,
        has_one = collateral_mint @ BackstopError::MintMismatch
    )]
    pub market: AccountLoader<'info, Market>,
    /// The owner's margin account in `market` (PDA `[MARGIN_ACCOUNT, market, owner]`): credited with `amount`.
    #[account(
        mut,
        has_one = owner @ BackstopError::AccountOwnerMismatch,
        has_one = market @ BackstopError::MarketMismatch
    )]
    pub margin_account: AccountLoader<'info, MarginAccount>,
    /// The market's bankruptcy book: the account's term moves.
    // checked at #book (`MarketBook::load_for`)
    #[account(mut)]
    pub market_book: AccountLoader<'info, MarketBook>,
    /// Signer: the margin account's owner, authority of `owner_token`.
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
    pub token_program: Program<'info, Token>,
}

pub fn handle_deposit(ctx: Context<Deposit>, amount: u64) -> Result<()> {
    let mut market = ctx.accounts.market.load_mut()?;
    let clock = Clock::get()?;
    let mut account = ctx.accounts.margin_account.load_mut()?;
    // Before the book is read: a listing's book may still be growing (`apply_deposit` checks again for its other
    // callers).
    require!(market.is_live(), BackstopError::MarketNotLive);
    // #book the market's own book.
    let mut book = MarketBook::load_for(&ctx.accounts.market_book, &ctx.accounts.market.key())?;
    let before = account.balances;
    let books = apply_deposit(&mut market, &mut account, &mut book, amount, clock.unix_timestamp)?;
    let owed = market.books.vault_liability().or_reject()?;
    drop((market, account, book));

    let accounts = &ctx.accounts;
    vault::pull(&accounts.token_program, &accounts.owner_token, &accounts.vault, &accounts.owner, amount)?;
    vault::require_covers(&ctx.accounts.vault, owed)?;

    crate::events::emit(
        &ctx.accounts.event_authority,
        &CollateralRecord {
            header: EventHeader::now(&clock),
            market: ctx.accounts.market.key(),
            owner: ctx.accounts.owner.key(),
            direction: CollateralDirection::Deposit,
            amount,
            collateral_before: before.collateral,
            collateral_after: books.trader.collateral,
        },
    )?;
    Ok(())
}

/// Everything a deposit decides and stores, on the loaded accounts (the handler then pulls the tokens). The crash
/// laboratory's core engine runs this same function in memory.
pub fn apply_deposit(
    market: &mut Market,
    account: &mut MarginAccount,
    book: &mut MarketBook,
    amount: u64,
    now: i64,
) -> Result<Books> {
    require!(market.is_live(), BackstopError::MarketNotLive);
    let last_price = market.last_oracle_price;
    market.accrue_funding(now, last_price)?;
    let ledger_before = market.books;
    let books = ledger::deposit(&account.balances, &market.books, amount).or_reject()?;
    let before = account.balances;
    book.upkeep(&mut account.book_term, &before, &books.trader, &ledger_before)?;
    account.balances = books.trader;
    market.books = books.market;
    Ok(books)
}
