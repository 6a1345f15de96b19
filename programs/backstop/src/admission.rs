//! Risk-based admission, shared by the two instructions that can raise an account's crash deficit: a trade that
//! adds risk, and a withdrawal from an account with a position open.

use crate::error::{BackstopError, OrReject};
use crate::state::{Market, MarketBook};
use anchor_lang::prelude::*;
use backstop_math::book::{self, Moved};
use backstop_math::oracle::OraclePrice;

/// Refuses (`StressedDeficitBeyondCapacity`) when the account's own crash deficit rose (`moved`, the account's
/// term before and after) and the market's stressed deficit at its target shock now exceeds what can absorb it:
/// the fund up to the market's draw cap left, less the bankruptcies already awaiting cover (they draw on it first),
/// and the LP pool's conservative equity less what underwater positions owe it and cannot pay (its value counts
/// their losses as gains).
pub fn admit(
    market: &Market,
    book: &MarketBook,
    moved: &Moved,
    fund_balance: u64,
    price: &OraclePrice,
    now: i64,
) -> Result<()> {
    let (last_price, index) = (market.last_oracle_price, market.books.cumulative_funding_index);
    // Unable to owe at the largest shock the market can set, the account raises nothing at the one it sets now,
    // which need not be worked out (the usual case: a well-collateralised position).
    if !moved.may_owe_after(last_price, index, market.params.stress_shock_cap_bps).or_reject()? {
        return Ok(());
    }
    let shock_bps = book::target_shock_bps(&market.params, market.variance.rate).or_reject()?;
    if !moved.raised_stress(last_price, index, shock_bps).or_reject()? {
        return Ok(());
    }
    let stressed_after = book.stressed_deficit(market, shock_bps)?;
    let (cap, window) = (market.params.fund_draw_cap, market.params.fund_draw_window_secs);
    let (draw_remaining, awaiting) = (market.fund_draw.remaining(now, cap, window), market.books.bankrupt_deficit);
    // The pool's part of what can absorb the deficit is never negative: what the fund alone absorbs is admitted
    // without valuing the pool.
    if stressed_after <= book::absorbable(fund_balance, draw_remaining, awaiting, 0, 0) {
        return Ok(());
    }
    let pool_equity = market.books.pool_value_for_withdrawal(price).or_reject()?;
    // What underwater positions owe at the last price is at most twice the stressed deficit (each side owes no
    // less at its shocked price than at the last), so a market with three times the stressed deficit to hand
    // admits without reading it.
    let generous = book::absorbable(fund_balance, draw_remaining, awaiting, pool_equity, 0);
    if stressed_after.saturating_mul(3) <= generous {
        return Ok(());
    }
    let absorbable = book::absorbable(fund_balance, draw_remaining, awaiting, pool_equity, book.underwater(market));
    require!(book::admits(true, true, stressed_after, absorbable), BackstopError::StressedDeficitBeyondCapacity);
    Ok(())
}
