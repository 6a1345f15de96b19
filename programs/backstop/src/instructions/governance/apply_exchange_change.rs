use crate::error::OrReject;
use crate::events::{EventHeader, ExchangeChanged, GovernanceAction, GovernanceRecord};
use crate::state::Exchange;
use anchor_lang::prelude::*;

#[event_cpi]
#[derive(Accounts)]
pub struct ApplyExchangeChange<'info> {
    /// The exchange (PDA `[EXCHANGE]`): its queued guardian, treasury, timelock delay and oracle receiver take effect.
    #[account(mut)]
    pub exchange: AccountLoader<'info, Exchange>,
    /// Anyone: the change was public for the whole delay.
    pub caller: Signer<'info>,
}

pub fn handle_apply_exchange_change(ctx: Context<ApplyExchangeChange>) -> Result<()> {
    let clock = Clock::get()?;
    let now = clock.unix_timestamp;
    let mut exchange = ctx.accounts.exchange.load_mut()?;
    exchange.pending_change.take_due(now).or_reject()?;
    let record = ExchangeChanged {
        header: EventHeader::now(&clock),
        old_guardian: exchange.guardian,
        new_guardian: exchange.pending_guardian,
        old_treasury: exchange.treasury,
        new_treasury: exchange.pending_treasury,
        old_timelock_delay_secs: exchange.timelock_delay_secs,
        new_timelock_delay_secs: exchange.pending_timelock_delay_secs,
        old_oracle_receiver: exchange.oracle_receiver,
        new_oracle_receiver: exchange.pending_oracle_receiver,
    };
    exchange.guardian = exchange.pending_guardian;
    exchange.treasury = exchange.pending_treasury;
    exchange.timelock_delay_secs = exchange.pending_timelock_delay_secs;
    exchange.oracle_receiver = exchange.pending_oracle_receiver;
    exchange.clear_pending_change();
    drop(exchange);
    crate::events::emit(
        &ctx.accounts.event_authority,
        &GovernanceRecord {
            header: EventHeader::now(&clock),
            target: ctx.accounts.exchange.key(),
            action: GovernanceAction::ExchangeChangeApplied,
            signer: ctx.accounts.caller.key(),
            eta: 0,
        },
    )?;
    crate::events::emit(&ctx.accounts.event_authority, &record)?;
    Ok(())
}
