use crate::error::{BackstopError, OrReject};
use crate::events::{EventHeader, LpExitRequested};
use crate::oracle;
use crate::state::{LpPosition, Market};
use anchor_lang::prelude::*;
use backstop_math::ledger;

#[event_cpi]
#[derive(Accounts)]
pub struct RequestLpWithdraw<'info> {
    /// The position's market (PDA `[MARKET, market_id u16 LE]`): absorbs the oracle print (funding, variance, circuit
    /// breaker).
    #[account(mut)]
    pub market: AccountLoader<'info, Market>,
    /// The owner's LP position in `market` (PDA `[LP_POSITION, market, owner]`): records the exit request, replacing a
    /// pending one.
    #[account(
        mut,
        has_one = owner @ BackstopError::AccountOwnerMismatch,
        has_one = market @ BackstopError::MarketMismatch
    )]
    pub lp_position: AccountLoader<'info, LpPosition>,
    /// Signer: the LP position's owner.
    pub owner: Signer<'info>,
    /// The market's configured oracle account (its `oracle`); read to value the shares at request.
    /// CHECK: must be the market's oracle. checked at #oracle
    pub oracle: UncheckedAccount<'info>,
}

/// Records an exit of `shares` at their value now; `lp_withdraw` serves it after the market's exit delay, paying
/// the lesser of this value and the value then. A new request replaces a pending one.
pub fn handle_request_lp_withdraw(ctx: Context<RequestLpWithdraw>, shares: u64) -> Result<()> {
    let clock = Clock::get()?;
    let now = clock.unix_timestamp;
    let mut market = ctx.accounts.market.load_mut()?;
    let view = oracle::read_market_oracle(&ctx.accounts.oracle, &market, now)?;
    market.absorb_oracle(&view, now)?;
    // The pool is priced for LPs entering or leaving: not at a print one of them chose from the last minute.
    view.require_fresh(now, market.fill_rules().max_age_secs).or_reject()?;
    let price = view.agreed().or_reject()?;
    let mut position = ctx.accounts.lp_position.load_mut()?;
    let delay = market.params.lp_exit_delay_secs;
    let request =
        ledger::request_lp_withdraw(&market.books, shares, position.shares, &price, now, delay).or_reject()?;
    position.exit = request;
    drop((market, position));
    crate::events::emit(
        &ctx.accounts.event_authority,
        &LpExitRequested {
            header: EventHeader::now(&clock),
            market: ctx.accounts.market.key(),
            owner: ctx.accounts.owner.key(),
            shares: request.shares,
            value_at_request: request.value,
            unlocks_at: request.unlocks_at,
        },
    )?;
    Ok(())
}
