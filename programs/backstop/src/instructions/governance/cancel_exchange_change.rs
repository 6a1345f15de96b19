use crate::error::{BackstopError, OrReject};
use crate::events::{EventHeader, GovernanceAction, GovernanceRecord};
use crate::state::Exchange;
use anchor_lang::prelude::*;

#[event_cpi]
#[derive(Accounts)]
pub struct CancelExchangeChange<'info> {
    /// The exchange (PDA `[EXCHANGE]`): its queued change is dropped.
    #[account(mut, has_one = authority @ BackstopError::Unauthorized)]
    pub exchange: AccountLoader<'info, Exchange>,
    /// Signer: the exchange's governance authority.
    pub authority: Signer<'info>,
}

pub fn handle_cancel_exchange_change(ctx: Context<CancelExchangeChange>) -> Result<()> {
    let mut exchange = ctx.accounts.exchange.load_mut()?;
    exchange.pending_change.cancel().or_reject()?;
    exchange.clear_pending_change();
    drop(exchange);
    crate::events::emit(
        &ctx.accounts.event_authority,
        &GovernanceRecord {
            header: EventHeader::now(&Clock::get()?),
            target: ctx.accounts.exchange.key(),
            action: GovernanceAction::ExchangeChangeCancelled,
            signer: ctx.accounts.authority.key(),
            eta: 0,
        },
    )?;
    Ok(())
}
