//! Bankruptcy cover: the waterfall plan applied to the books, and the fund revenue sweep.

use super::{Books, MarketLedger};
use crate::error::{MathError, MathResult};
use crate::margin::TraderBalances;
use crate::oracle::OraclePrice;
use crate::safe_math::{sub_u64, to_i64};
use crate::waterfall::{plan, WaterfallInputs, WaterfallPlan};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CoverOutcome {
    pub books: Books,
    pub deficit: u64,
    pub plan: WaterfallPlan,
}

/// Covers a bankrupt account's deficit: the fund's share arrives as tokens (the caller transfers exactly
/// `plan.fund` into the market vault), the pool writes off the rest of the credit it took for the loss, and what
/// the pool cannot bear is socialized. The account ends at zero, usable again.
pub fn cover_bankruptcy(
    trader: &TraderBalances,
    market: &MarketLedger,
    price: &OraclePrice,
    fund_available: u64,
) -> MathResult<CoverOutcome> {
    // Netting first (defence in depth): a claim the account still holds on the pool pays its own deficit before
    // the waterfall is asked for anything.
    let Books { mut trader, mut market } = super::touch(trader, market)?;
    if !trader.is_bankrupt() {
        return Err(MathError::NotBankrupt);
    }
    let deficit = trader.collateral.unsigned_abs();
    let plan = plan(&WaterfallInputs {
        deficit,
        fund_available,
        pool_equity: market.pool_value_for_withdrawal(price)?,
        positive_balances: market.total_positive_collateral,
    });
    // a. The fund's tokens pay part of the debt.
    market.move_collateral(&mut trader, to_i64(i128::from(plan.fund))?)?;
    // b + c + d. The pool writes off the credit it took for the rest; the socialized part comes back into it
    // from every positive balance.
    let written_off = deficit - plan.fund;
    market.pool_balance = sub_u64(market.pool_balance, written_off)?;
    market.move_collateral(&mut trader, to_i64(i128::from(written_off))?)?;
    let socialized = market.socialize(plan.socialized)?;
    if socialized != plan.socialized {
        return Err(MathError::Overflow);
    }
    Ok(CoverOutcome { books: Books { trader, market }, deficit, plan })
}

/// The fund's accrued fee and penalty shares, moved out of the market's books for the sweep to the fund vault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sweep {
    pub market: MarketLedger,
    pub fees: u64,
    pub penalties: u64,
}

/// The treasury's accrued fee share, moved out of the market's books to be paid to the treasury. Nothing accrued
/// is refused by name, so a sweep never emits an empty payment.
pub fn sweep_treasury_fees(market: &MarketLedger) -> MathResult<(MarketLedger, u64)> {
    let amount = market.treasury_fee_accrued;
    if amount == 0 {
        return Err(MathError::InvalidAmount);
    }
    let mut after = *market;
    after.treasury_fee_accrued = 0;
    Ok((after, amount))
}

pub fn sweep_fund_revenue(market: &MarketLedger) -> Sweep {
    let fees = market.fund_fee_accrued;
    let penalties = market.fund_penalty_accrued;
    let mut after = *market;
    after.fund_fee_accrued = 0;
    after.fund_penalty_accrued = 0;
    Sweep { market: after, fees, penalties }
}
