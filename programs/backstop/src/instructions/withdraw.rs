use crate::error::{BackstopError, OrReject};
use crate::events::{CollateralDirection, CollateralRecord, EventHeader};
use crate::oracle;
use crate::state::{InsuranceFund, MarginAccount, Market, MarketBook};
use crate::vault::{self, TokenAccountView};
use anchor_lang::prelude::*;
use anchor_spl::token::Token;
use backstop_math::ledger;

#[event_cpi]
#[derive(Accounts)]
pub struct Withdraw<'info> {
    /// The margin account's market (PDA `[MARKET, market_id u16 LE]`); it signs the transfer out of its vault.
    #[account(
        mut,
        has_one = vault @ BackstopError::VaultMismatch,
        has_one = collateral_mint @ BackstopError::MintMismatch,
        has_one = insurance_fund @ BackstopError::FundMismatch
    )]
    pub market: AccountLoader<'info, Market>,
    /// The owner's margin account in `market` (PDA `[MARGIN_ACCOUNT, market, owner]`): debited `amount`; its initial
    /// margin must hold afterwards.
    #[account(
        mut,
        has_one = owner @ BackstopError::AccountOwnerMismatch,
        has_one = market @ BackstopError::MarketMismatch
    )]
    pub margin_account: AccountLoader<'info, MarginAccount>,
    /// The market's bankruptcy book: the account's term moves, and a withdrawal beside a position is admitted by
    /// it as a risk-adding trade is.
    // checked at #book (`MarketBook::load_for`)
    #[account(mut)]
    pub market_book: AccountLoader<'info, MarketBook>,
    /// Read for its balance: part of what a crash deficit can be absorbed by.
    pub insurance_fund: AccountLoader<'info, InsuranceFund>,
    /// Signer: the margin account's owner.
    pub owner: Signer<'info>,
    /// Any token account of the collateral mint: the owner chooses where their money goes.
    /// CHECK: an SPL token account of the collateral mint, anyone's (`TokenAccountView`).
    #[account(
        mut,
        constraint = destination.key() != vault.key() @ BackstopError::DestinationIsVault,
        constraint = TokenAccountView::read(&destination)?.mint == collateral_mint.key() @ BackstopError::MintMismatch
    )]
    pub destination: UncheckedAccount<'info>,
    /// The market's token vault (PDA `[MARKET_VAULT, market]`): pays the withdrawal.
    /// CHECK: the market's vault (`has_one` above), a token account the program created: read as bytes.
    #[account(mut)]
    pub vault: UncheckedAccount<'info>,
    /// The market's collateral mint.
    /// CHECK: the market's collateral mint (`has_one` above); a transfer needs only its address.
    pub collateral_mint: UncheckedAccount<'info>,
    /// The market's configured oracle account (its `oracle`); read to value the account, unless it is flat and the
    /// market calm (no bankruptcy awaiting cover, last print within its EMA band).
    /// CHECK: must be the market's oracle; read only with a position open or a bankruptcy pending. checked at #oracle
    pub oracle: UncheckedAccount<'info>,
    pub token_program: Program<'info, Token>,
}

pub fn handle_withdraw(ctx: Context<Withdraw>, amount: u64) -> Result<()> {
    let clock = Clock::get()?;
    let mut market = ctx.accounts.market.load_mut()?;
    let mut account = ctx.accounts.margin_account.load_mut()?;
    let before = account.balances;
    // A flat account owes nothing to margin, so it can leave even when the oracle is down, unless a deficit
    // awaits cover (`ledger::require_no_unassessed_loss` then prices the pool) or the last print lay beyond the
    // EMA band (liquidations then ran at the band's edge, and losses beyond it may be unrecognised yet).
    let calm = market.books.bankrupt_deficit == 0 && market.last_read_diverged == 0;
    let price = if before.position.is_flat() && calm {
        let last_price = market.last_oracle_price;
        market.accrue_funding(clock.unix_timestamp, last_price)?;
        None
    } else {
        let view = oracle::read_market_oracle(&ctx.accounts.oracle, &market, clock.unix_timestamp)?;
        market.absorb_oracle(&view, clock.unix_timestamp)?;
        // Value leaves against this price: only one the EMA agrees with (the Mango shape is cashing a pump).
        Some(view.agreed().or_reject()?)
    };
    let books = ledger::withdraw(&before, &market.books, amount, price.as_ref(), &market.params).or_reject()?;
    // #book the market's own book.
    let mut book = MarketBook::load_for(&ctx.accounts.market_book, &ctx.accounts.market.key())?;
    let ledger_before = market.books;
    account.balances = books.trader;
    market.books = books.market;
    let moved = book.upkeep(&mut account.book_term, &before, &books.trader, &ledger_before)?;
    // Collateral out from beside a position raises its crash deficit as adding risk does (the review's M1: a
    // position opened well collateralised, then stripped of its collateral, passed no admission).
    if let Some(price) = price.as_ref() {
        let fund_balance = ctx.accounts.insurance_fund.load()?.book.balance;
        crate::admission::admit(&market, &book, &moved, fund_balance, price, clock.unix_timestamp)?;
    }
    let owed = market.books.vault_liability().or_reject()?;
    let signer = market.signer();
    drop((market, account, book));

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
        &CollateralRecord {
            header: EventHeader::now(&clock),
            market: ctx.accounts.market.key(),
            owner: ctx.accounts.owner.key(),
            direction: CollateralDirection::Withdraw,
            amount,
            collateral_before: before.collateral,
            collateral_after: books.trader.collateral,
        },
    )?;
    Ok(())
}
