//! The market's books and every flow that moves value inside one market vault: deposits, withdrawals, trades and
//! LP flows. Each flow is a pure function from (trader, market) to their new state, so the program, the keeper
//! and the property tests run exactly the same decision.
//!
//! Conservation: the market vault must hold at least [`MarketLedger::vault_liability`], which counts every
//! trader's collateral (negative for a deficit awaiting cover), the LP pool and the accrued fees. Flows inside the
//! market only move value between these terms; only deposits and withdrawals change their sum, by the amount
//! transferred.

use crate::error::{MathError, MathResult};
use crate::fees::{split_fee, taker_fee, FeeSplit};
use crate::lp::{amount_for_shares, shares_for_deposit};
use crate::margin::{margin_requirement, TraderBalances};
use crate::oracle::OraclePrice;
use crate::params::MarketParams;
use crate::position::value_floor;
use crate::safe_math::{add_i64, add_u64, sub_u64, to_i64, to_u64};

/// The market-wide totals the math needs. precision of every amount: QUOTE_PRECISION; of open interest:
/// BASE_PRECISION.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct MarketLedger {
    pub open_interest_long: u64,
    pub open_interest_short: u64,
    /// Σ traders' entry notional (signed): with the net size it gives traders' aggregate unrealized PnL.
    pub net_entry_notional: i64,
    /// Σ traders' collateral, signed.
    pub total_collateral: i64,
    /// Σ of negative collateral balances: losses the pool was credited but no trader has paid yet.
    pub pending_deficit: u64,
    /// Σ traders' realized profit the pool still owes.
    pub total_unsettled_pnl: u64,
    /// LP pool cash, including `pending_deficit` (credited, not yet received).
    pub pool_balance: u64,
    pub lp_shares: u64,
    /// Insurance fund's fee share, held in the market vault until swept.
    pub fund_fee_accrued: u64,
    /// Treasury's fee share, held in the market vault.
    pub treasury_fee_accrued: u64,
}

/// A trader and their market after a flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Books {
    pub trader: TraderBalances,
    pub market: MarketLedger,
}

/// What a trade did, for the books and for its event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TradeOutcome {
    pub books: Books,
    /// precision: PRICE_PRECISION.
    pub fill_price: i64,
    /// precision: QUOTE_PRECISION.
    pub fill_notional: u64,
    pub realized_pnl: i64,
    /// Fee due at the market's rate.
    pub fee_due: u64,
    /// Fee actually charged (a reduction is never refused, so an account without the cash pays what it has).
    pub fee: FeeSplit,
    pub increased_risk: bool,
}

/// LP flow result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LpOutcome {
    pub market: MarketLedger,
    pub shares: u64,
    pub amount: u64,
}

impl MarketLedger {
    /// Traders' net size (the pool holds the opposite). precision: BASE_PRECISION.
    pub fn net_base(&self) -> MathResult<i64> {
        let long = i64::try_from(self.open_interest_long).map_err(|_| MathError::Overflow)?;
        let short = i64::try_from(self.open_interest_short).map_err(|_| MathError::Overflow)?;
        long.checked_sub(short).ok_or(MathError::Overflow)
    }

    /// Pool value at `price`: cash, less what it owes traders (unsettled profit and their unrealized PnL),
    /// less the pending deficit unless `count_pending` (a receivable the waterfall may or may not pay).
    fn pool_value_at(&self, price: i64, count_pending: bool) -> MathResult<i128> {
        let traders_pnl = value_floor(self.net_base()?, price)?
            .checked_sub(i128::from(self.net_entry_notional))
            .ok_or(MathError::Overflow)?;
        let pending = if count_pending {
            0
        } else {
            i128::from(self.pending_deficit)
        };
        i128::from(self.pool_balance)
            .checked_sub(i128::from(self.total_unsettled_pnl))
            .and_then(|v| v.checked_sub(traders_pnl))
            .and_then(|v| v.checked_sub(pending))
            .ok_or(MathError::Overflow)
    }

    /// Pool value a deposit is priced at: the high side of the band, so the depositor never buys cheap.
    pub fn pool_value_for_deposit(&self, price: &OraclePrice) -> MathResult<i128> {
        Ok(self
            .pool_value_at(price.low()?, true)?
            .max(self.pool_value_at(price.high()?, true)?))
    }

    /// Pool value a withdrawal is priced at: the low side of the band, pending deficit excluded.
    pub fn pool_value_for_withdrawal(&self, price: &OraclePrice) -> MathResult<i128> {
        Ok(self
            .pool_value_at(price.low()?, false)?
            .min(self.pool_value_at(price.high()?, false)?))
    }

    /// Pool cash that neither backs a pending deficit nor is owed to traders as unsettled profit.
    pub fn pool_free_cash(&self) -> u64 {
        self.pool_balance
            .saturating_sub(self.pending_deficit)
            .saturating_sub(self.total_unsettled_pnl)
    }

    /// Whether the pool's conservative value covers initial margin on its net position.
    pub fn pool_meets_initial(
        &self,
        price: &OraclePrice,
        initial_margin_bps: u32,
    ) -> MathResult<bool> {
        let requirement = margin_requirement(self.net_base()?, price.price, initial_margin_bps)?;
        Ok(self.pool_value_for_withdrawal(price)? >= i128::from(requirement))
    }

    /// What the market vault owes out, which it must hold at least.
    pub fn vault_liability(&self) -> MathResult<u64> {
        let total = i128::from(self.total_collateral)
            .checked_add(i128::from(self.pool_balance))
            .and_then(|v| v.checked_add(i128::from(self.fund_fee_accrued)))
            .and_then(|v| v.checked_add(i128::from(self.treasury_fee_accrued)))
            .ok_or(MathError::Overflow)?;
        to_u64(total)
    }

    /// Moves a trader's collateral by `delta`, keeping the market's totals in step.
    fn move_collateral(&mut self, trader: &mut TraderBalances, delta: i64) -> MathResult<()> {
        let before = deficit_of(trader.collateral);
        trader.collateral = add_i64(trader.collateral, delta)?;
        self.total_collateral = add_i64(self.total_collateral, delta)?;
        self.pending_deficit = add_u64(
            sub_u64(self.pending_deficit, before)?,
            deficit_of(trader.collateral),
        )?;
        Ok(())
    }

    /// Realizes `pnl` against the pool: losses credit the pool at once; profit (and earlier unsettled profit) is
    /// paid from the pool's free cash, the rest stays owed as unsettled.
    fn settle_pnl(&mut self, trader: &mut TraderBalances, pnl: i64) -> MathResult<()> {
        if pnl < 0 {
            self.move_collateral(trader, pnl)?;
            self.pool_balance = add_u64(self.pool_balance, pnl.unsigned_abs())?;
        }
        let profit = u64::try_from(pnl.max(0)).map_err(|_| MathError::Overflow)?;
        let owed = add_u64(trader.unsettled_pnl, profit)?;
        // Cash this trader may draw: the pool less what backs pending deficits and less other traders' claims.
        let others_claims = sub_u64(self.total_unsettled_pnl, trader.unsettled_pnl)?;
        let available = self
            .pool_balance
            .saturating_sub(self.pending_deficit)
            .saturating_sub(others_claims);
        let paid = owed.min(available);
        self.total_unsettled_pnl = add_u64(
            sub_u64(self.total_unsettled_pnl, trader.unsettled_pnl)?,
            owed - paid,
        )?;
        trader.unsettled_pnl = owed - paid;
        self.pool_balance = sub_u64(self.pool_balance, paid)?;
        self.move_collateral(
            trader,
            i64::try_from(paid).map_err(|_| MathError::Overflow)?,
        )
    }

    fn record_position_change(
        &mut self,
        before: &TraderBalances,
        after: &TraderBalances,
    ) -> MathResult<()> {
        let (old, new) = (before.position, after.position);
        let long = |b: i64| u64::try_from(b.max(0)).unwrap_or(0);
        let short = |b: i64| b.min(0).unsigned_abs();
        self.open_interest_long = add_u64(
            sub_u64(self.open_interest_long, long(old.base))?,
            long(new.base),
        )?;
        self.open_interest_short = add_u64(
            sub_u64(self.open_interest_short, short(old.base))?,
            short(new.base),
        )?;
        self.net_entry_notional = add_i64(
            self.net_entry_notional
                .checked_sub(old.entry_notional)
                .ok_or(MathError::Overflow)?,
            new.entry_notional,
        )?;
        Ok(())
    }
}

fn deficit_of(collateral: i64) -> u64 {
    if collateral < 0 {
        collateral.unsigned_abs()
    } else {
        0
    }
}

fn amount_as_i64(amount: u64) -> MathResult<i64> {
    if amount == 0 {
        return Err(MathError::InvalidAmount);
    }
    i64::try_from(amount).map_err(|_| MathError::InvalidAmount)
}

/// Settles whatever unsettled profit the pool can now pay. Run on every touch of an account.
pub fn settle_owed_profit(trader: &TraderBalances, market: &MarketLedger) -> MathResult<Books> {
    let (mut trader, mut market) = (*trader, *market);
    market.settle_pnl(&mut trader, 0)?;
    Ok(Books { trader, market })
}

/// Adds deposited collateral.
pub fn deposit(trader: &TraderBalances, market: &MarketLedger, amount: u64) -> MathResult<Books> {
    let delta = amount_as_i64(amount)?;
    if trader.is_bankrupt() {
        return Err(MathError::AccountBankrupt);
    }
    let (mut trader, mut market) = (*trader, *market);
    market.move_collateral(&mut trader, delta)?;
    market.vault_liability()?;
    Ok(Books { trader, market })
}

/// Withdraws cash. With a position open, `price` is required and initial margin must hold afterwards.
pub fn withdraw(
    trader: &TraderBalances,
    market: &MarketLedger,
    amount: u64,
    price: Option<&OraclePrice>,
    params: &MarketParams,
) -> MathResult<Books> {
    let delta = amount_as_i64(amount)?;
    if trader.is_bankrupt() {
        return Err(MathError::AccountBankrupt);
    }
    let Books {
        mut trader,
        mut market,
    } = settle_owed_profit(trader, market)?;
    if delta > trader.collateral {
        return Err(MathError::InsufficientCollateral);
    }
    market.move_collateral(&mut trader, delta.checked_neg().ok_or(MathError::Overflow)?)?;
    if !trader.position.is_flat() {
        let price = price.ok_or(MathError::InitialMarginBreached)?;
        if !trader.health(price, params)?.meets_initial() {
            return Err(MathError::InitialMarginBreached);
        }
    }
    Ok(Books { trader, market })
}

/// Fills `delta` base against the pool at the oracle price moved against the taker, charges the taker fee, and
/// enforces the risk checks: minimum size, reduce-only, open-interest caps and initial margin (risk-increasing
/// trades only: reducing is always allowed, SPEC §5), and the pool's own initial margin when its net position
/// grows.
pub fn trade(
    trader: &TraderBalances,
    market: &MarketLedger,
    delta: i64,
    price: &OraclePrice,
    params: &MarketParams,
    reduce_only: bool,
) -> MathResult<TradeOutcome> {
    if delta == 0 {
        return Err(MathError::InvalidAmount);
    }
    if trader.is_bankrupt() {
        return Err(MathError::AccountBankrupt);
    }
    let closes_outright = delta.checked_add(trader.position.base) == Some(0);
    if delta.unsigned_abs() < params.min_order_size && !closes_outright {
        return Err(MathError::OrderTooSmall);
    }
    let increased_risk = trader.position.fill_increases_risk(delta);
    if increased_risk && reduce_only {
        return Err(MathError::MarketReduceOnly);
    }

    let market_before = market;
    let Books {
        mut trader,
        mut market,
    } = settle_owed_profit(trader, market)?;
    let before = trader;
    let fill_price = price.execution_price(delta > 0, params.exec_conf_scale_bps)?;
    let fill = trader.position.apply_fill(delta, fill_price)?;
    trader.position = fill.position;
    market.record_position_change(&before, &trader)?;
    market.settle_pnl(&mut trader, fill.realized_pnl)?;

    let fee_due = taker_fee(fill.fill_notional, params.taker_fee_bps)?;
    let payable = u64::try_from(trader.collateral.max(0)).map_err(|_| MathError::Overflow)?;
    let fee = split_fee(
        fee_due.min(payable),
        params.fee_fund_share_bps,
        params.fee_treasury_share_bps,
    )?;
    market.move_collateral(
        &mut trader,
        to_i64(
            i128::from(fee.total()?)
                .checked_neg()
                .ok_or(MathError::Overflow)?,
        )?,
    )?;
    market.pool_balance = add_u64(market.pool_balance, fee.lp)?;
    market.fund_fee_accrued = add_u64(market.fund_fee_accrued, fee.fund)?;
    market.treasury_fee_accrued = add_u64(market.treasury_fee_accrued, fee.treasury)?;

    if increased_risk {
        check_risk_limits(market_before, &market, &trader, price, params)?;
    }
    Ok(TradeOutcome {
        books: Books { trader, market },
        fill_price,
        fill_notional: fill.fill_notional,
        realized_pnl: fill.realized_pnl,
        fee_due,
        fee,
        increased_risk,
    })
}

/// Limits on a risk-increasing trade, checked on the books after it.
fn check_risk_limits(
    before: &MarketLedger,
    after: &MarketLedger,
    trader: &TraderBalances,
    price: &OraclePrice,
    params: &MarketParams,
) -> MathResult<()> {
    let long_grew = after.open_interest_long > before.open_interest_long;
    let short_grew = after.open_interest_short > before.open_interest_short;
    if (long_grew && after.open_interest_long > params.max_open_interest)
        || (short_grew && after.open_interest_short > params.max_open_interest)
    {
        return Err(MathError::OpenInterestCapExceeded);
    }
    if !trader.health(price, params)?.meets_initial() {
        return Err(MathError::InitialMarginBreached);
    }
    let pool_grew = after.net_base()?.unsigned_abs() > before.net_base()?.unsigned_abs();
    if pool_grew && !after.pool_meets_initial(price, params.initial_margin_bps)? {
        return Err(MathError::PoolMarginBreached);
    }
    Ok(())
}

/// Mints LP shares for `amount` at the pool's deposit value.
pub fn lp_deposit(
    market: &MarketLedger,
    amount: u64,
    price: &OraclePrice,
) -> MathResult<LpOutcome> {
    amount_as_i64(amount)?;
    let shares = shares_for_deposit(
        amount,
        market.pool_value_for_deposit(price)?,
        market.lp_shares,
    )?;
    if shares == 0 {
        return Err(MathError::InvalidAmount);
    }
    let mut after = *market;
    after.pool_balance = add_u64(after.pool_balance, amount)?;
    after.lp_shares = add_u64(after.lp_shares, shares)?;
    after.vault_liability()?;
    Ok(LpOutcome {
        market: after,
        shares,
        amount,
    })
}

/// Burns `shares` for their value at the pool's withdrawal value; the pool must keep its free cash non-negative
/// and its initial margin on its net position.
pub fn lp_withdraw(
    market: &MarketLedger,
    shares: u64,
    held: u64,
    price: &OraclePrice,
    initial_margin_bps: u32,
) -> MathResult<LpOutcome> {
    if shares == 0 {
        return Err(MathError::InvalidAmount);
    }
    if shares > held {
        return Err(MathError::InsufficientShares);
    }
    let amount = amount_for_shares(
        shares,
        market.pool_value_for_withdrawal(price)?,
        market.lp_shares,
    )?;
    if amount > market.pool_free_cash() {
        return Err(MathError::InsufficientPoolLiquidity);
    }
    let mut after = *market;
    after.pool_balance = sub_u64(after.pool_balance, amount)?;
    after.lp_shares = sub_u64(after.lp_shares, shares)?;
    if after.net_base()? != 0 && !after.pool_meets_initial(price, initial_margin_bps)? {
        return Err(MathError::PoolMarginBreached);
    }
    Ok(LpOutcome {
        market: after,
        shares,
        amount,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unsettled_claim_is_never_paid_from_cash_that_backs_a_pending_deficit() {
        // Found by the conservation property test: the pool holds 100, of which 80 is a credited loss nobody paid.
        let market = MarketLedger {
            pool_balance: 100,
            pending_deficit: 80,
            total_unsettled_pnl: 50,
            total_collateral: -80,
            ..Default::default()
        };
        let claimant = TraderBalances {
            unsettled_pnl: 50,
            ..Default::default()
        };
        let books = settle_owed_profit(&claimant, &market).unwrap();
        assert_eq!(books.trader.collateral, 20);
        assert_eq!(books.trader.unsettled_pnl, 30);
        assert_eq!(books.market.pool_balance, 80);
        assert_eq!(books.market.total_unsettled_pnl, 30);
    }

    #[test]
    fn claims_of_others_are_not_leapfrogged_beyond_the_free_cash() {
        let market = MarketLedger {
            pool_balance: 100,
            total_unsettled_pnl: 90,
            ..Default::default()
        };
        let claimant = TraderBalances {
            unsettled_pnl: 30,
            ..Default::default()
        };
        // 60 of the claims are someone else's: 40 is free for this claimant, who is owed 30.
        let books = settle_owed_profit(&claimant, &market).unwrap();
        assert_eq!(
            (books.trader.collateral, books.trader.unsettled_pnl),
            (30, 0)
        );
        assert_eq!(books.market.total_unsettled_pnl, 60);
    }
}
