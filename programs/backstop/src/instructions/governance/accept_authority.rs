use crate::error::BackstopError;
use crate::events::{EventHeader, GovernanceAction, GovernanceRecord};
use crate::state::Exchange;
use anchor_lang::prelude::*;

#[event_cpi]
#[derive(Accounts)]
pub struct AcceptAuthority<'info> {
    /// The exchange (PDA `[EXCHANGE]`): its pending authority becomes its authority.
    #[account(
        mut,
        constraint = exchange.load()?.pending_authority == new_authority.key() @ BackstopError::NotPendingAuthority
    )]
    pub exchange: AccountLoader<'info, Exchange>,
    /// Signer: the authority named by `propose_authority` (the exchange's `pending_authority`), taking over.
    pub new_authority: Signer<'info>,
}

/// Step two of two: the proposed authority takes over, proving it can sign.
pub fn handle_accept_authority(ctx: Context<AcceptAuthority>) -> Result<()> {
    let mut exchange = ctx.accounts.exchange.load_mut()?;
    exchange.authority = exchange.pending_authority;
    exchange.pending_authority = Pubkey::default();
    drop(exchange);
    crate::events::emit(
        &ctx.accounts.event_authority,
        &GovernanceRecord {
            header: EventHeader::now(&Clock::get()?),
            target: ctx.accounts.new_authority.key(),
            action: GovernanceAction::AuthorityAccepted,
            signer: ctx.accounts.new_authority.key(),
            eta: 0,
        },
    )?;
    Ok(())
}
