use crate::error::BackstopError;
use crate::events::{EventHeader, StatusChanged};
use crate::state::{Exchange, Market, MarketStatus};
use anchor_lang::prelude::*;

#[event_cpi]
#[derive(Accounts)]
pub struct SetMarketStatus<'info> {
    /// The exchange (PDA `[EXCHANGE]`): read for its governance authority and guardian.
    pub exchange: AccountLoader<'info, Exchange>,
    /// The guardian or governance.
    // checked at #1
    pub signer: Signer<'info>,
    /// The market whose status changes (PDA `[MARKET, market_id u16 LE]`).
    #[account(mut)]
    pub market: AccountLoader<'info, Market>,
}

/// How restricted a status is: the guardian may only move up this scale.
fn strictness(status: MarketStatus) -> u8 {
    match status {
        MarketStatus::Active => 0,
        MarketStatus::ReduceOnly => 1,
        MarketStatus::Listing | MarketStatus::Paused => 2,
    }
}

/// Guardian or governance: reduce-only or pause at once. Only governance makes a market less restricted, and only
/// a market that has been activated: a listing paused before activation is vetoed (list it again, behind a new
/// timelock).
pub fn handle_set_market_status(ctx: Context<SetMarketStatus>, status: u8) -> Result<()> {
    let new = match status {
        0 => MarketStatus::Active,
        1 => MarketStatus::ReduceOnly,
        2 => MarketStatus::Paused,
        _ => return err!(BackstopError::InvalidStatusTransition),
    };
    let exchange = ctx.accounts.exchange.load()?;
    let signer = ctx.accounts.signer.key();
    let is_governance = signer == exchange.authority;
    // #1
    require!(is_governance || signer == exchange.guardian, BackstopError::NotGuardian);
    drop(exchange);
    let mut market = ctx.accounts.market.load_mut()?;
    let old = market.status();
    require!(old != new, BackstopError::NoChange);
    if strictness(new) < strictness(old) || (old == MarketStatus::Listing && new != MarketStatus::Paused) {
        require!(is_governance, BackstopError::GuardianCannotLoosen);
        // Only a market that once went live through `activate_market` can be made less restricted: a listing
        // paused before activation is vetoed.
        require!(market.activated_at != 0, BackstopError::InvalidStatusTransition);
    }
    market.status = new as u8;
    drop(market);
    crate::events::emit(
        &ctx.accounts.event_authority,
        &StatusChanged {
            header: EventHeader::now(&Clock::get()?),
            market: ctx.accounts.market.key(),
            old_status: old as u8,
            new_status: new as u8,
            signer,
        },
    )?;
    Ok(())
}
