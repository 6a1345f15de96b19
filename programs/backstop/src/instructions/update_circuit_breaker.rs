use crate::events::{BreakerTransition, EventHeader};
use crate::oracle;
use crate::state::Market;
use anchor_lang::prelude::*;

#[event_cpi]
#[derive(Accounts)]
pub struct UpdateCircuitBreaker<'info> {
    #[account(mut)]
    pub market: AccountLoader<'info, Market>,
    /// CHECK: must be the market's oracle. checked at #oracle
    pub oracle: UncheckedAccount<'info>,
}

/// Keeper: shows the market its oracle, so the circuit breaker trips (or clears) even when no trade comes by. A
/// trade that observes a tripping price is itself refused if it adds risk, which would roll its observation
/// back; this instruction always persists it.
pub fn handle_update_circuit_breaker(ctx: Context<UpdateCircuitBreaker>) -> Result<()> {
    let clock = Clock::get()?;
    let mut market = ctx.accounts.market.load_mut()?;
    let view = oracle::read_market_oracle(&ctx.accounts.oracle, &market, clock.unix_timestamp)?;
    let observation = market.absorb_oracle(&view, clock.unix_timestamp)?.breaker;
    drop(market);
    if observation.tripped_now || observation.cleared_now {
        crate::events::emit(
            &ctx.accounts.event_authority,
            &BreakerTransition::new(EventHeader::now(&clock), ctx.accounts.market.key(), &observation),
        )?;
    }
    Ok(())
}
