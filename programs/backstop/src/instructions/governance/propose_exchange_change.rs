use crate::error::{BackstopError, OrReject};
use crate::events::{EventHeader, GovernanceAction, GovernanceRecord};
use crate::state::{Exchange, MAX_TIMELOCK_DELAY_SECS, MIN_TIMELOCK_DELAY_SECS};
use anchor_lang::prelude::*;

/// A change of the exchange proposed by `propose_exchange_change`: each field replaces the exchange's own
/// when it applies.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExchangeChange {
    /// Next guardian.
    pub guardian: Pubkey,
    /// Next owner of the treasury's fee share.
    pub treasury: Pubkey,
    /// Next timelock delay, in seconds: 1 hour ..= 30 days.
    pub timelock_delay_secs: i64,
    /// A receiver program allowed besides Pyth's for pull-oracle markets (default: none).
    pub oracle_receiver: Pubkey,
}

#[event_cpi]
#[derive(Accounts)]
pub struct ProposeExchangeChange<'info> {
    /// The exchange (PDA `[EXCHANGE]`): the change is queued on it, due after its timelock delay.
    #[account(mut, has_one = authority @ BackstopError::Unauthorized)]
    pub exchange: AccountLoader<'info, Exchange>,
    /// Signer: the exchange's governance authority.
    pub authority: Signer<'info>,
}

/// Queues a new guardian, treasury and timelock delay. Always timelocked: replacing the guardian removes a
/// safety, redirecting the treasury moves revenue, and shortening the delay loosens every later change.
pub fn handle_propose_exchange_change(ctx: Context<ProposeExchangeChange>, change: ExchangeChange) -> Result<()> {
    require!(
        (MIN_TIMELOCK_DELAY_SECS..=MAX_TIMELOCK_DELAY_SECS).contains(&change.timelock_delay_secs),
        BackstopError::InvalidTimelockDelay
    );
    let clock = Clock::get()?;
    let now = clock.unix_timestamp;
    let mut exchange = ctx.accounts.exchange.load_mut()?;
    let delay = exchange.timelock_delay_secs;
    let when = exchange.pending_change.queue(now, delay).or_reject()?;
    exchange.pending_guardian = change.guardian;
    exchange.pending_treasury = change.treasury;
    exchange.pending_timelock_delay_secs = change.timelock_delay_secs;
    exchange.pending_oracle_receiver = change.oracle_receiver;
    drop(exchange);
    crate::events::emit(
        &ctx.accounts.event_authority,
        &GovernanceRecord {
            header: EventHeader::now(&clock),
            target: ctx.accounts.exchange.key(),
            action: GovernanceAction::ExchangeChangeQueued,
            signer: ctx.accounts.authority.key(),
            eta: when,
        },
    )?;
    Ok(())
}
