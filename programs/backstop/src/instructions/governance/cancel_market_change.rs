use crate::error::BackstopError;
use crate::events::{EventHeader, GovernanceAction, GovernanceRecord};
use crate::state::{Exchange, Market};
use anchor_lang::prelude::*;
use backstop_math::params::MarketParams;

#[event_cpi]
#[derive(Accounts)]
pub struct CancelMarketChange<'info> {
    /// The exchange (PDA `[EXCHANGE]`): names the governance authority.
    #[account(has_one = authority @ BackstopError::Unauthorized)]
    pub exchange: AccountLoader<'info, Exchange>,
    /// Signer: the exchange's governance authority.
    pub authority: Signer<'info>,
    /// The market (PDA `[MARKET, market_id u16 LE]`): its queued parameter and oracle changes are dropped.
    #[account(mut)]
    pub market: AccountLoader<'info, Market>,
}

/// Drops whatever parameter or oracle change is queued on the market.
pub fn handle_cancel_market_change(ctx: Context<CancelMarketChange>) -> Result<()> {
    let mut market = ctx.accounts.market.load_mut()?;
    // Either kind or both: cancelling the one that is queued is enough.
    let params_queued = market.params_change.cancel().is_ok();
    let oracle_queued = market.oracle_change.cancel().is_ok();
    require!(params_queued || oracle_queued, BackstopError::NoQueuedChange);
    market.pending_params = MarketParams::default();
    if oracle_queued {
        market.clear_pending_oracle();
    }
    drop(market);
    let header = EventHeader::now(&Clock::get()?);
    for (queued, action) in
        [(params_queued, GovernanceAction::ParamsCancelled), (oracle_queued, GovernanceAction::OracleChangeCancelled)]
    {
        if queued {
            crate::events::emit(
                &ctx.accounts.event_authority,
                &GovernanceRecord {
                    header,
                    target: ctx.accounts.market.key(),
                    action,
                    signer: ctx.accounts.authority.key(),
                    eta: 0,
                },
            )?;
        }
    }
    Ok(())
}
