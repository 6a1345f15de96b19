//! Liquidation: an account below maintenance margin is closed against the pool at the conservative
//! oracle price, partially when that restores a buffer above maintenance, fully otherwise, and pays a penalty on
//! the closed notional, split between the liquidator and the insurance fund.

use super::{touch, Books, MarketLedger};
use crate::constants::BPS_DENOMINATOR;
use crate::error::{MathError, MathResult};
use crate::margin::{Health, TraderBalances};
use crate::oracle::OraclePrice;
use crate::params::MarketParams;
use crate::position::notional;
use crate::safe_math::{add_u64, div_ceil, mul_div_ceil, mul_div_floor, to_i64, to_u64};

/// What a liquidation did, for the books and for its event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LiquidationOutcome {
    pub liquidatee: TraderBalances,
    pub liquidator: TraderBalances,
    pub market: MarketLedger,
    pub health_before: Health,
    /// Signed base the liquidatee's position moved by (opposite to the position). precision: BASE_PRECISION.
    pub base_closed: i64,
    /// The conservative oracle price the position was closed at. precision: PRICE_PRECISION.
    pub fill_price: i64,
    pub realized_pnl: i64,
    /// Penalty at the market's rate on the closed notional, and what the account could pay of it.
    pub penalty_due: u64,
    pub penalty_charged: u64,
    pub liquidator_reward: u64,
    pub fund_penalty: u64,
    pub full: bool,
    /// The account ended flat with negative collateral: it now waits for `cover_bankruptcy`.
    pub bankrupt: bool,
}

/// Liquidates `liquidatee`, paying the reward into `liquidator` (a different account: the caller checks).
pub fn liquidate(
    liquidatee: &TraderBalances,
    liquidator: &TraderBalances,
    market: &MarketLedger,
    price: &OraclePrice,
    params: &MarketParams,
) -> MathResult<LiquidationOutcome> {
    if liquidatee.is_bankrupt() || liquidator.is_bankrupt() {
        return Err(MathError::AccountBankrupt);
    }
    let Books { trader: liquidatee, market } = touch(liquidatee, market)?;
    let Books { trader: liquidator, market } = touch(liquidator, &market)?;
    let health_before = liquidatee.health(price, params)?;
    if liquidatee.position.is_flat() || health_before.meets_maintenance() {
        return Err(MathError::NotLiquidatable);
    }
    let size = liquidatee.position.base.unsigned_abs();
    let position_notional = notional(liquidatee.position.base, price.price)?;
    let partial = partial_close_size(size, position_notional, health_before.maintenance_equity, params)?;
    if partial < size && size - partial >= params.min_order_size {
        let outcome = close(&liquidatee, &liquidator, &market, partial, price, params, health_before)?;
        if outcome.liquidatee.health(price, params)?.meets_maintenance() {
            return Ok(outcome);
        }
    }
    close(&liquidatee, &liquidator, &market, size, price, params, health_before)
}

/// Base to close so that, after the penalty, equity / notional reaches the midpoint of maintenance and initial
/// margin. Closing at the margin price realises exactly the PnL already counted in equity, so only the penalty
/// moves equity: solving `E − q/s·N·pen ≥ (1 − q/s)·N·target` for q gives `q ≥ s·(N·target − E)/(N·(target − pen))`
/// (all ratios in bps, so E is scaled by 10 000).
fn partial_close_size(size: u64, notional: u64, equity: i64, params: &MarketParams) -> MathResult<u64> {
    let target = (i128::from(params.maintenance_margin_bps) + i128::from(params.initial_margin_bps)) / 2;
    let n = i128::from(notional);
    let need = n
        .checked_mul(target)
        .and_then(|v| v.checked_sub(i128::from(equity).checked_mul(i128::from(BPS_DENOMINATOR))?))
        .ok_or(MathError::Overflow)?;
    let per_unit = n.checked_mul(target - i128::from(params.liquidation_penalty_bps)).ok_or(MathError::Overflow)?;
    if per_unit <= 0 {
        return Ok(size);
    }
    let q = div_ceil(i128::from(size).checked_mul(need.max(0)).ok_or(MathError::Overflow)?, per_unit)?;
    Ok(u64::try_from(q).unwrap_or(u64::MAX).min(size))
}

fn close(
    liquidatee: &TraderBalances,
    liquidator: &TraderBalances,
    market: &MarketLedger,
    size: u64,
    price: &OraclePrice,
    params: &MarketParams,
    health_before: Health,
) -> MathResult<LiquidationOutcome> {
    let (mut trader, mut reward_to, mut market) = (*liquidatee, *liquidator, *market);
    let before = trader;
    let base = trader.position.base;
    let fill_price = price.margin_price(base)?;
    let magnitude = i64::try_from(size).map_err(|_| MathError::Overflow)?;
    let base_closed = if base > 0 { -magnitude } else { magnitude };
    let fill = trader.position.apply_fill(base_closed, fill_price)?;
    trader.position = fill.position;
    market.record_position_change(&before, &trader)?;
    market.settle_pnl(&mut trader, fill.realized_pnl)?;

    let closed_notional = notional(base_closed, price.price)?;
    let penalty_due = to_u64(mul_div_ceil(
        i128::from(closed_notional),
        i128::from(params.liquidation_penalty_bps),
        i128::from(BPS_DENOMINATOR),
    )?)?;
    let penalty_charged = penalty_due.min(u64::try_from(trader.collateral.max(0)).unwrap_or(0));
    let liquidator_reward = to_u64(mul_div_floor(
        i128::from(penalty_charged),
        i128::from(params.liquidator_reward_share_bps),
        i128::from(BPS_DENOMINATOR),
    )?)?;
    let fund_penalty = penalty_charged - liquidator_reward;
    market.move_collateral(&mut trader, -to_i64(i128::from(penalty_charged))?)?;
    market.move_collateral(&mut reward_to, to_i64(i128::from(liquidator_reward))?)?;
    market.fund_penalty_accrued = add_u64(market.fund_penalty_accrued, fund_penalty)?;

    Ok(LiquidationOutcome {
        liquidatee: trader,
        liquidator: reward_to,
        market,
        health_before,
        base_closed,
        fill_price,
        realized_pnl: fill.realized_pnl,
        penalty_due,
        penalty_charged,
        liquidator_reward,
        fund_penalty,
        full: trader.position.is_flat(),
        bankrupt: trader.is_bankrupt(),
    })
}
