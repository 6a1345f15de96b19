use crate::error::BackstopError;
use crate::seeds;
use crate::state::{Market, MarketBook};
use anchor_lang::prelude::*;
use anchor_lang::system_program::{transfer, Transfer};

#[derive(Accounts)]
pub struct ExtendMarketBook<'info> {
    /// The market whose bankruptcy book grows (PDA `[MARKET, market_id u16 LE]`).
    pub market: AccountLoader<'info, Market>,
    /// The market's bankruptcy book, PDA `[MARKET_BOOK, market]`: grown by up to 10 KiB, its rent topped up by `payer`.
    /// CHECK: the market's book PDA (seeds), created by `initialize_market`; owner checked at #1
    #[account(mut, seeds = [seeds::MARKET_BOOK, market.key().as_ref()], bump)]
    pub market_book: UncheckedAccount<'info>,
    /// Pays the rent of the added bytes. Anyone: growing a book only costs its payer.
    #[account(mut)]
    pub payer: Signer<'info>,
    pub system_program: Program<'info, System>,
}

/// Grows a market's book by up to 10 KiB (what one instruction may add to an account) toward its full size,
/// topping its rent up from the payer. The listing transaction sends it until the book is whole
/// (`backstop_client::ListMarket::instructions`); `activate_market` refuses before.
pub fn handle_extend_market_book(ctx: Context<ExtendMarketBook>) -> Result<()> {
    let book = ctx.accounts.market_book.to_account_info();
    // #1 Only a book `initialize_market` created: ours, with its header.
    require_keys_eq!(*book.owner, crate::ID, BackstopError::MarketBookIncomplete);
    let len = book.data_len();
    require!(len < MarketBook::SPACE, BackstopError::MarketBookComplete);
    let new_len = len.saturating_add(MarketBook::CREATED_SPACE).min(MarketBook::SPACE);
    let top_up = Rent::get()?.minimum_balance(new_len).saturating_sub(book.lamports());
    if top_up > 0 {
        let accounts = Transfer { from: ctx.accounts.payer.to_account_info(), to: book.clone() };
        transfer(CpiContext::new(ctx.accounts.system_program.key(), accounts), top_up)?;
    }
    book.resize(new_len)?;
    Ok(())
}
