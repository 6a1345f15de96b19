use crate::error::{BackstopError, OrReject};
use crate::events::{EventHeader, GovernanceAction, GovernanceRecord, ParamsChanged};
use crate::state::{Exchange, Market};
use anchor_lang::prelude::*;
use backstop_math::governance::{applies_at_once, rebase_queued, step_ready, takes_a_step};
use backstop_math::params::MarketParams;

#[event_cpi]
#[derive(Accounts)]
pub struct UpdateMarketParams<'info> {
    /// The exchange (PDA `[EXCHANGE]`): names the governance authority; read for the timelock delay.
    #[account(has_one = authority @ BackstopError::Unauthorized)]
    pub exchange: AccountLoader<'info, Exchange>,
    /// Signer: the exchange's governance authority.
    pub authority: Signer<'info>,
    /// The market (PDA `[MARKET, market_id u16 LE]`): the new parameters apply to it at once or are queued on it.
    #[account(mut)]
    pub market: AccountLoader<'info, Market>,
}

/// Proposes a market's whole parameter set. Every bound is checked. When every changed field moves in its safe
/// direction within its limit (`backstop_math::governance::RULES`: value transfers and margins never, the minimum
/// order, the LP exit delay and the oracle bounds one step a day, the oracle bounds not below a floor) it applies
/// at once; otherwise it is queued for the timelock.
pub fn handle_update_market_params(ctx: Context<UpdateMarketParams>, params: MarketParams) -> Result<()> {
    params.validate().or_reject()?;
    let clock = Clock::get()?;
    let now = clock.unix_timestamp;
    let delay = ctx.accounts.exchange.load()?.timelock_delay_secs;
    let mut market = ctx.accounts.market.load_mut()?;
    let old = market.params;
    require!(old != params, BackstopError::NoChange);
    let header = EventHeader::now(&clock);
    let mut dropped_queue = false;
    if applies_at_once(&old, &params, step_ready(market.last_step_at, now)) {
        if takes_a_step(&old, &params) {
            market.last_step_at = now;
        }
        // Funding up to now accrues under the parameters that were in force (else a raised rate would reach back
        // over every idle hour since the last touch).
        let last_price = market.last_oracle_price;
        market.accrue_funding(now, last_price)?;
        market.set_params(params);
        if market.params_change.is_queued() {
            // A queued set keeps what this change did (it would otherwise undo it when applied). If the merge
            // breaks a cross-field bound it could never apply: it is dropped (`ParamsCancelled`), never the
            // emergency change.
            let rebased = rebase_queued(&old, &params, &market.pending_params);
            if rebased.validate().is_ok() {
                market.pending_params = rebased;
            } else {
                market.pending_params = MarketParams::default();
                market.params_change.cancel().or_reject()?;
                dropped_queue = true;
            }
        }
        drop(market);
        crate::events::emit(
            &ctx.accounts.event_authority,
            &ParamsChanged { header, market: ctx.accounts.market.key(), old, new: params },
        )?;
        if dropped_queue {
            crate::events::emit(
                &ctx.accounts.event_authority,
                &GovernanceRecord {
                    header,
                    target: ctx.accounts.market.key(),
                    action: GovernanceAction::ParamsCancelled,
                    signer: ctx.accounts.authority.key(),
                    eta: 0,
                },
            )?;
        }
    } else {
        let when = market.params_change.queue(now, delay).or_reject()?;
        market.pending_params = params;
        drop(market);
        crate::events::emit(
            &ctx.accounts.event_authority,
            &GovernanceRecord {
                header,
                target: ctx.accounts.market.key(),
                action: GovernanceAction::ParamsQueued,
                signer: ctx.accounts.authority.key(),
                eta: when,
            },
        )?;
    }
    Ok(())
}
