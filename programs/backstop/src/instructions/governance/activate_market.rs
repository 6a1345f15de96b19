use crate::error::BackstopError;
use crate::events::{EventHeader, GovernanceAction, GovernanceRecord};
use crate::oracle;
use crate::state::{Exchange, Market, MarketBook, MarketStatus};
use anchor_lang::prelude::*;

#[event_cpi]
#[derive(Accounts)]
pub struct ActivateMarket<'info> {
    /// Read for the receiver allow-list, which may have changed during the listing's delay.
    pub exchange: AccountLoader<'info, Exchange>,
    /// The listed market to open (PDA `[MARKET, market_id u16 LE]`): goes from Listing to Active once its `listing_eta`
    /// has passed.
    #[account(mut)]
    pub market: AccountLoader<'info, Market>,
    /// The market's bankruptcy book, PDA `[MARKET_BOOK, market]`; must be full size (`extend_market_book`).
    /// CHECK: the market's book PDA (seeds): it must be whole (`extend_market_book`) before anything trades.
    #[account(seeds = [crate::seeds::MARKET_BOOK, market.key().as_ref()], bump)]
    pub market_book: UncheckedAccount<'info>,
    /// Anyone: the listing was public for the whole delay.
    pub caller: Signer<'info>,
}

/// Opens a listed market once its timelock has elapsed (unless the guardian paused it meanwhile).
pub fn handle_activate_market(ctx: Context<ActivateMarket>) -> Result<()> {
    let clock = Clock::get()?;
    let now = clock.unix_timestamp;
    let mut market = ctx.accounts.market.load_mut()?;
    require!(market.status() == MarketStatus::Listing, BackstopError::InvalidStatusTransition);
    require!(now >= market.listing_eta, BackstopError::TimelockNotElapsed);
    let book = &ctx.accounts.market_book;
    require!(*book.owner == crate::ID && book.data_len() == MarketBook::SPACE, BackstopError::MarketBookIncomplete);
    oracle::validate_config(&market.oracle_config(), &*ctx.accounts.exchange.load()?)?;
    market.status = MarketStatus::Active as u8;
    market.activated_at = now;
    drop(market);
    crate::events::emit(
        &ctx.accounts.event_authority,
        &GovernanceRecord {
            header: EventHeader::now(&clock),
            target: ctx.accounts.market.key(),
            action: GovernanceAction::MarketActivated,
            signer: ctx.accounts.caller.key(),
            eta: 0,
        },
    )?;
    Ok(())
}
