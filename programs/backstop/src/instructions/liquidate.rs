use crate::error::{BackstopError, OrReject};
use crate::events::{EventHeader, LiquidationRecord};
use crate::oracle;
use crate::state::{MarginAccount, Market, MarketBook};
use anchor_lang::prelude::*;
use backstop_math::ledger::{self, FundingAccrual, LiquidationOutcome};
use backstop_math::oracle::OracleView;

#[event_cpi]
#[derive(Accounts)]
pub struct Liquidate<'info> {
    /// The market of both accounts (PDA `[MARKET, market_id u16 LE]`): funding accrues and the closed position passes
    /// to the LP pool.
    #[account(mut)]
    pub market: AccountLoader<'info, Market>,
    /// The unhealthy account. Owner must differ from the liquidator's.
    // checked at #1
    #[account(mut, has_one = market @ BackstopError::MarketMismatch)]
    pub liquidatee: AccountLoader<'info, MarginAccount>,
    /// The keeper's own margin account in this market, which receives the reward.
    #[account(
        mut,
        has_one = market @ BackstopError::MarketMismatch,
        constraint = liquidator.load()?.owner == keeper.key() @ BackstopError::AccountOwnerMismatch
    )]
    pub liquidator: AccountLoader<'info, MarginAccount>,
    /// The market's bankruptcy book: both accounts' terms move.
    // checked at #book (`MarketBook::load_for`)
    #[account(mut)]
    pub market_book: AccountLoader<'info, MarketBook>,
    /// Signer: the liquidator, owner of `liquidator` (which receives the reward); must not own `liquidatee`.
    pub keeper: Signer<'info>,
    /// The market's configured oracle account (its `oracle`); read for the liquidation price (fresh within the market's
    /// liquidation age).
    /// CHECK: must be the market's oracle. checked at #oracle
    pub oracle: UncheckedAccount<'info>,
}

impl Liquidate<'_> {
    pub fn validate(&self) -> Result<()> {
        // #1 The same account twice would alias one balance; the same owner would pay themself the reward.
        require_keys_neq!(self.liquidatee.key(), self.liquidator.key(), BackstopError::SelfLiquidation);
        require_keys_neq!(self.liquidatee.load()?.owner, self.keeper.key(), BackstopError::SelfLiquidation);
        Ok(())
    }
}

#[access_control(ctx.accounts.validate())]
pub fn handle_liquidate(ctx: Context<Liquidate>) -> Result<()> {
    let clock = Clock::get()?;
    let mut market = ctx.accounts.market.load_mut()?;
    let view = oracle::read_market_oracle(&ctx.accounts.oracle, &market, clock.unix_timestamp)?;
    let mut liquidatee = ctx.accounts.liquidatee.load_mut()?;
    let mut liquidator = ctx.accounts.liquidator.load_mut()?;
    // #book the market's own book.
    let mut book = MarketBook::load_for(&ctx.accounts.market_book, &ctx.accounts.market.key())?;
    let (outcome, accrual) =
        apply_liquidation(&mut market, &mut liquidatee, &mut liquidator, &mut book, &view, clock.unix_timestamp)?;
    let liquidatee_owner = liquidatee.owner;
    drop((market, liquidatee, liquidator, book));

    crate::events::emit(
        &ctx.accounts.event_authority,
        &LiquidationRecord {
            header: EventHeader::now(&clock),
            market: ctx.accounts.market.key(),
            liquidatee: liquidatee_owner,
            liquidator: ctx.accounts.keeper.key(),
            maintenance_equity_before: outcome.health_before.maintenance_equity,
            maintenance_requirement_before: outcome.health_before.maintenance_requirement,
            base_closed: outcome.base_closed,
            base_after: outcome.liquidatee.position.base,
            fill_price: outcome.fill_price,
            realized_pnl: outcome.realized_pnl,
            penalty_due: outcome.penalty_due,
            penalty_charged: outcome.penalty_charged,
            liquidator_reward: outcome.liquidator_reward,
            fund_penalty: outcome.fund_penalty,
            collateral_after: outcome.liquidatee.collateral,
            full: outcome.full,
            bankrupt: outcome.bankrupt,
            funding: (&accrual).into(),
        },
    )?;
    Ok(())
}

/// Everything a liquidation decides and stores, on the loaded accounts (no token moves: the penalty and reward
/// stay in the market's books). The crash laboratory's core engine runs this same function in memory.
pub fn apply_liquidation(
    market: &mut Market,
    liquidatee: &mut MarginAccount,
    liquidator: &mut MarginAccount,
    book: &mut MarketBook,
    view: &OracleView,
    now: i64,
) -> Result<(LiquidationOutcome, FundingAccrual)> {
    // Not on a print the keeper chose from the last minute (a wick since gone).
    view.require_fresh(now, market.liquidation_max_age()).or_reject()?;
    // Liquidations run in a crash: at a print far from its EMA, at the band's edge; never blocked by the breaker.
    let absorbed = market.absorb_oracle(view, now)?;
    let (price, accrual) = (absorbed.price, absorbed.funding);

    let liability_before = market.books.vault_liability().or_reject()?;
    let outcome = ledger::liquidate(&liquidatee.balances, &liquidator.balances, &market.books, &price, &market.params)
        .or_reject()?;
    let liability_after = outcome.market.vault_liability().or_reject()?;
    require_eq!(liability_before, liability_after, BackstopError::ConservationViolated);

    let ledger_before = market.books;
    market.books = outcome.market;
    let (liquidatee_before, liquidator_before) = (liquidatee.balances, liquidator.balances);
    book.upkeep(&mut liquidatee.book_term, &liquidatee_before, &outcome.liquidatee, &ledger_before)?;
    book.upkeep(&mut liquidator.book_term, &liquidator_before, &outcome.liquidator, &ledger_before)?;
    market.cumulative_penalties = market.cumulative_penalties.saturating_add(outcome.penalty_charged);
    liquidatee.balances = outcome.liquidatee;
    liquidatee.realized_pnl =
        liquidatee.realized_pnl.checked_add(outcome.realized_pnl).ok_or(BackstopError::Overflow)?;
    liquidator.balances = outcome.liquidator;
    Ok((outcome, accrual))
}
