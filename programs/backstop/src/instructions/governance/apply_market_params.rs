use crate::error::OrReject;
use crate::events::{EventHeader, ParamsChanged};
use crate::state::Market;
use anchor_lang::prelude::*;
use backstop_math::params::MarketParams;

#[event_cpi]
#[derive(Accounts)]
pub struct ApplyMarketParams<'info> {
    /// The market (PDA `[MARKET, market_id u16 LE]`): funding accrues to now under the old parameters, then its queued
    /// parameters take effect.
    #[account(mut)]
    pub market: AccountLoader<'info, Market>,
    /// Anyone: the change was public for the whole delay.
    pub caller: Signer<'info>,
}

pub fn handle_apply_market_params(ctx: Context<ApplyMarketParams>) -> Result<()> {
    let clock = Clock::get()?;
    let now = clock.unix_timestamp;
    let mut market = ctx.accounts.market.load_mut()?;
    market.params_change.take_due(now).or_reject()?;
    let new = market.pending_params;
    new.validate().or_reject()?;
    let old = market.params;
    // Funding up to now accrues under the parameters that were in force.
    let last_price = market.last_oracle_price;
    market.accrue_funding(now, last_price)?;
    market.set_params(new);
    market.pending_params = MarketParams::default();
    drop(market);
    crate::events::emit(
        &ctx.accounts.event_authority,
        &ParamsChanged { header: EventHeader::now(&clock), market: ctx.accounts.market.key(), old, new },
    )?;
    Ok(())
}
