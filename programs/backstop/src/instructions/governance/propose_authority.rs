use crate::error::BackstopError;
use crate::events::{EventHeader, GovernanceAction, GovernanceRecord};
use crate::state::Exchange;
use anchor_lang::prelude::*;

#[event_cpi]
#[derive(Accounts)]
pub struct ProposeAuthority<'info> {
    /// The exchange (PDA `[EXCHANGE]`): records `new_authority` as its `pending_authority`.
    #[account(mut, has_one = authority @ BackstopError::Unauthorized)]
    pub exchange: AccountLoader<'info, Exchange>,
    /// Signer: the exchange's current governance authority.
    pub authority: Signer<'info>,
}

/// Step one of two: names the next authority, which must accept with its own signature.
pub fn handle_propose_authority(ctx: Context<ProposeAuthority>, new_authority: Pubkey) -> Result<()> {
    ctx.accounts.exchange.load_mut()?.pending_authority = new_authority;
    crate::events::emit(
        &ctx.accounts.event_authority,
        &GovernanceRecord {
            header: EventHeader::now(&Clock::get()?),
            target: new_authority,
            action: GovernanceAction::AuthorityProposed,
            signer: ctx.accounts.authority.key(),
            eta: 0,
        },
    )?;
    Ok(())
}
