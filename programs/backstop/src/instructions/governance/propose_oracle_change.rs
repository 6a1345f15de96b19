use crate::error::{BackstopError, OrReject};
use crate::events::{EventHeader, GovernanceAction, GovernanceRecord};
use crate::oracle;
use crate::state::{Exchange, Market, OracleConfig};
use anchor_lang::prelude::*;

#[event_cpi]
#[derive(Accounts)]
pub struct ProposeOracleChange<'info> {
    /// The exchange (PDA `[EXCHANGE]`): names the governance authority; read for the timelock delay and the allowed
    /// oracle receiver.
    #[account(has_one = authority @ BackstopError::Unauthorized)]
    pub exchange: AccountLoader<'info, Exchange>,
    /// Signer: the exchange's governance authority.
    pub authority: Signer<'info>,
    /// The market whose oracle changes (PDA `[MARKET, market_id u16 LE]`): the new oracle and its config are queued on
    /// it.
    #[account(mut)]
    pub market: AccountLoader<'info, Market>,
    /// The proposed oracle account (Pyth legacy price account or pull `PriceUpdateV2`); must decode as `config`.
    /// CHECK: decoded as `config` at #1
    pub new_oracle: UncheckedAccount<'info>,
}

/// Queues a new oracle (account, kind, receiver, feed id). Always timelocked: whoever picks the price picks
/// every account's health.
pub fn handle_propose_oracle_change(ctx: Context<ProposeOracleChange>, config: OracleConfig) -> Result<()> {
    // #1 It must decode as configured now; freshness is judged at each use.
    oracle::validate_config(&config, &*ctx.accounts.exchange.load()?)?;
    oracle::decode(&ctx.accounts.new_oracle.to_account_info(), &config)?;
    let clock = Clock::get()?;
    let now = clock.unix_timestamp;
    let delay = ctx.accounts.exchange.load()?.timelock_delay_secs;
    let mut market = ctx.accounts.market.load_mut()?;
    let when = market.oracle_change.queue(now, delay).or_reject()?;
    market.pending_oracle = ctx.accounts.new_oracle.key();
    market.pending_oracle_kind = config.kind;
    market.pending_oracle_receiver = config.receiver;
    market.pending_oracle_feed_id = config.feed_id;
    market.pending_oracle_min_signatures = config.min_signatures;
    drop(market);
    crate::events::emit(
        &ctx.accounts.event_authority,
        &GovernanceRecord {
            header: EventHeader::now(&clock),
            target: ctx.accounts.market.key(),
            action: GovernanceAction::OracleChangeQueued,
            signer: ctx.accounts.authority.key(),
            eta: when,
        },
    )?;
    Ok(())
}
