use crate::error::{BackstopError, OrReject};
use crate::events::{EventHeader, FundingAccrued, TradeRecord};
use crate::oracle;
use crate::state::{MarginAccount, Market, MarketStatus};
use anchor_lang::prelude::*;
use backstop_math::ledger;

#[event_cpi]
#[derive(Accounts)]
pub struct Trade<'info> {
    #[account(mut)]
    pub market: AccountLoader<'info, Market>,
    #[account(
        mut,
        has_one = owner @ BackstopError::AccountOwnerMismatch,
        has_one = market @ BackstopError::MarketMismatch
    )]
    pub margin_account: AccountLoader<'info, MarginAccount>,
    pub owner: Signer<'info>,
    /// CHECK: must be the market's oracle. checked at #oracle
    pub oracle: UncheckedAccount<'info>,
}

pub fn handle_trade(ctx: Context<Trade>, base_delta: i64) -> Result<()> {
    let clock = Clock::get()?;
    let mut market = ctx.accounts.market.load_mut()?;
    let status = market.status();
    require!(status != MarketStatus::Paused, BackstopError::MarketPaused);
    let price = oracle::read_market_oracle(&ctx.accounts.oracle, &market, clock.unix_timestamp)?;
    let accrual = market.accrue_funding(clock.unix_timestamp, price.price)?;

    let mut account = ctx.accounts.margin_account.load_mut()?;
    let before = account.balances;
    let funding_settled = ledger::pending_funding(&before, &market.books).or_reject()?;
    let liability_before = market.books.vault_liability().or_reject()?;
    let reduce_only = status == MarketStatus::ReduceOnly;
    let outcome = ledger::trade(&before, &market.books, base_delta, &price, &market.params, reduce_only).or_reject()?;
    let fee_paid = outcome.fee.total().or_reject()?;

    // A trade moves value between the trader, the pool and the fee accruals, never into or out of the vault.
    let liability_after = outcome.books.market.vault_liability().or_reject()?;
    require_eq!(liability_before, liability_after, BackstopError::ConservationViolated);

    market.books = outcome.books.market;
    market.record_oracle(&price);
    market.cumulative_volume = market.cumulative_volume.saturating_add(outcome.fill_notional);
    market.cumulative_fees = market.cumulative_fees.saturating_add(fee_paid);
    account.balances = outcome.books.trader;
    account.realized_pnl = account.realized_pnl.checked_add(outcome.realized_pnl).ok_or(BackstopError::Overflow)?;
    account.fees_paid = account.fees_paid.saturating_add(fee_paid);
    drop((market, account));

    if accrual.elapsed > 0 {
        emit_cpi!(FundingAccrued {
            header: EventHeader::now(&clock),
            market: ctx.accounts.market.key(),
            rate_ppb: accrual.rate_ppb,
            skew: accrual.skew,
            elapsed: accrual.elapsed,
            index_after: accrual.index_after,
        });
    }
    emit_cpi!(TradeRecord {
        header: EventHeader::now(&clock),
        market: ctx.accounts.market.key(),
        owner: ctx.accounts.owner.key(),
        base_delta,
        oracle_price: price.price,
        oracle_conf: price.conf,
        fill_price: outcome.fill_price,
        fill_notional: outcome.fill_notional,
        realized_pnl: outcome.realized_pnl,
        fee_due: outcome.fee_due,
        fee_to_fund: outcome.fee.fund,
        fee_to_lp: outcome.fee.lp,
        fee_to_treasury: outcome.fee.treasury,
        base_before: before.position.base,
        base_after: outcome.books.trader.position.base,
        collateral_before: before.collateral,
        collateral_after: outcome.books.trader.collateral,
        unsettled_pnl_after: outcome.books.trader.unsettled_pnl,
        funding_settled,
    });
    Ok(())
}
