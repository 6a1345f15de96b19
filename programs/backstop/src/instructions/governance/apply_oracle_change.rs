use crate::error::{BackstopError, OrReject};
use crate::events::{EventHeader, GovernanceAction, GovernanceRecord, OracleChanged};
use crate::oracle;
use crate::state::{Exchange, Market, OracleConfig};
use anchor_lang::prelude::*;
use backstop_math::breaker::Breaker;

#[event_cpi]
#[derive(Accounts)]
pub struct ApplyOracleChange<'info> {
    /// Read for the receiver allow-list, which may have changed while the oracle change was queued.
    pub exchange: AccountLoader<'info, Exchange>,
    /// The market (PDA `[MARKET, market_id u16 LE]`): its queued oracle (account and config) replaces the current one.
    #[account(mut)]
    pub market: AccountLoader<'info, Market>,
    /// The oracle account queued by `propose_oracle_change` (the market's `pending_oracle`); decoded again to check it
    /// is still a valid oracle of the queued config.
    /// CHECK: must be the queued oracle, decoded again at #1
    pub new_oracle: UncheckedAccount<'info>,
    /// Anyone: the change was public for the whole delay.
    pub caller: Signer<'info>,
}

pub fn handle_apply_oracle_change(ctx: Context<ApplyOracleChange>) -> Result<()> {
    let clock = Clock::get()?;
    let now = clock.unix_timestamp;
    let mut market = ctx.accounts.market.load_mut()?;
    market.oracle_change.take_due(now).or_reject()?;
    require_keys_eq!(ctx.accounts.new_oracle.key(), market.pending_oracle, BackstopError::OracleMismatch);
    let config = OracleConfig {
        kind: market.pending_oracle_kind,
        receiver: market.pending_oracle_receiver,
        feed_id: market.pending_oracle_feed_id,
        min_signatures: market.pending_oracle_min_signatures,
    };
    // #1 Still a valid oracle of that kind, on a receiver still allowed.
    oracle::validate_config(&config, &*ctx.accounts.exchange.load()?)?;
    oracle::decode(&ctx.accounts.new_oracle.to_account_info(), &config)?;
    let record = OracleChanged {
        header: EventHeader::now(&clock),
        market: ctx.accounts.market.key(),
        old_oracle: market.oracle,
        new_oracle: market.pending_oracle,
        old_config: market.oracle_config(),
        new_config: config,
    };
    market.oracle = market.pending_oracle;
    market.oracle_kind = config.kind;
    market.oracle_receiver = config.receiver;
    market.oracle_feed_id = config.feed_id;
    market.oracle_min_signatures = config.min_signatures;
    market.clear_pending_oracle();
    // The breaker measures moves afresh from the new feed's first price, and the variance estimate takes its
    // next return from it; a tripped breaker stays tripped (anyone can apply once due: applying must not clear
    // it). Ordering does not restart: publish times are wall-clock seconds on every feed, and resetting them let
    // a print older than the last one used be posted right after the change (the security review).
    market.breaker = Breaker {
        tripped: market.breaker.tripped,
        last_trigger_time: market.breaker.last_trigger_time,
        ..Breaker::default()
    };
    market.variance.anchor_time = 0;
    drop(market);
    crate::events::emit(
        &ctx.accounts.event_authority,
        &GovernanceRecord {
            header: EventHeader::now(&clock),
            target: ctx.accounts.market.key(),
            action: GovernanceAction::OracleChangeApplied,
            signer: ctx.accounts.caller.key(),
            eta: 0,
        },
    )?;
    crate::events::emit(&ctx.accounts.event_authority, &record)?;
    Ok(())
}
