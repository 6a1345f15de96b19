//! The flows a trader or LP starts: deposit, withdraw, trade, LP deposit and withdrawal.

use super::{amount_as_i64, touch, Books, MarketLedger};
use crate::dynamic::split_fee_dynamic;
use crate::error::{MathError, MathResult};
use crate::fees::{taker_fee, FeeSplit};
use crate::lp::{amount_for_shares, shares_for_deposit};
use crate::margin::TraderBalances;
use crate::oracle::OraclePrice;
use crate::params::MarketParams;
use crate::safe_math::{add_u64, mul_div_floor, sub_u64, to_i64, to_u64};

/// The market's live controls at the moment of a trade.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TradeControls {
    /// Taker fee rate now (the dynamic fee), bps.
    pub taker_fee_bps: u32,
    /// The fund's fee share now (the dynamic fund share), bps.
    pub fund_share_bps: u32,
    /// Only risk-reducing trades (governance, guardian or the circuit breaker said so).
    pub reduce_only: bool,
}

impl TradeControls {
    /// The static rates of `params`, nothing reduce-only.
    pub fn base(params: &MarketParams) -> Self {
        Self { taker_fee_bps: params.taker_fee_bps, fund_share_bps: params.fee_fund_share_bps, reduce_only: false }
    }
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

/// Adds deposited collateral.
pub fn deposit(trader: &TraderBalances, market: &MarketLedger, amount: u64) -> MathResult<Books> {
    let delta = amount_as_i64(amount)?;
    if trader.is_bankrupt() {
        return Err(MathError::AccountBankrupt);
    }
    let Books { mut trader, mut market } = touch(trader, market)?;
    market.move_collateral(&mut trader, delta)?;
    market.vault_liability()?;
    Ok(Books { trader, market })
}

/// Withdraws cash. With a position open, `price` is required and initial margin must hold afterwards. While a
/// deficit awaits cover, `price` is required too (see [`require_no_unassessed_loss`]).
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
    require_no_unassessed_loss(market, price)?;
    let Books { mut trader, mut market } = touch(trader, market)?;
    if delta > trader.collateral {
        return Err(MathError::InsufficientCollateral);
    }
    market.move_collateral(&mut trader, delta.checked_neg().ok_or(MathError::Overflow)?)?;
    if !trader.position.is_flat() {
        let price = price.ok_or(MathError::InitialMarginBreached)?;
        if !trader.meets_initial(price, params)? {
            return Err(MathError::InitialMarginBreached);
        }
    }
    Ok(Books { trader, market })
}

/// Refuses a withdrawal while a bankruptcy awaits cover that could reach positive balances: one the LP pool
/// alone could not absorb (its equity net of every pending deficit is negative, so if the fund cannot pay, the
/// rest is socialized). A loss is spread over the balances present when it is covered; leaving between the
/// liquidation and the cover would dodge a share of a loss that already happened. The way out is to bundle
/// `cover_bankruptcy` for the bankrupt accounts before the withdrawal (anyone may cover, so nobody can hold the
/// gate shut). Without a bankruptcy pending, nothing is asked of the oracle.
pub fn require_no_unassessed_loss(market: &MarketLedger, price: Option<&OraclePrice>) -> MathResult<()> {
    if market.bankrupt_deficit == 0 {
        return Ok(());
    }
    let price = price.ok_or(MathError::DeficitAwaitingCover)?;
    if market.pool_value_for_withdrawal(price)? < 0 {
        return Err(MathError::DeficitAwaitingCover);
    }
    Ok(())
}

/// Fills `delta` base against the pool at the oracle price moved against the taker, charges the taker fee, and
/// enforces the risk checks: minimum size, reduce-only, open-interest caps and initial margin (risk-increasing
/// trades only: reducing is always allowed), and the pool's own initial margin when its net position
/// grows.
pub fn trade(
    trader: &TraderBalances,
    market: &MarketLedger,
    delta: i64,
    price: &OraclePrice,
    params: &MarketParams,
    controls: &TradeControls,
) -> MathResult<TradeOutcome> {
    let reduce_only = controls.reduce_only;
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
    let Books { mut trader, mut market } = touch(trader, market)?;
    let before = trader;
    let fill_price = price.execution_price(delta > 0, params.exec_conf_scale_bps)?;
    let fill = trader.position.apply_fill(delta, fill_price)?;
    trader.position = fill.position;
    market.record_position_change(&before, &trader)?;
    market.settle_pnl(&mut trader, fill.realized_pnl)?;

    let fee_due = taker_fee(fill.fill_notional, controls.taker_fee_bps)?;
    let payable = u64::try_from(trader.collateral.max(0)).map_err(|_| MathError::Overflow)?;
    let fee = split_fee_dynamic(fee_due.min(payable), controls.fund_share_bps, params)?;
    market.move_collateral(&mut trader, to_i64(i128::from(fee.total()?).checked_neg().ok_or(MathError::Overflow)?)?)?;
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
    if !trader.meets_initial(price, params)? {
        return Err(MathError::InitialMarginBreached);
    }
    let pool_grew = after.net_base()?.unsigned_abs() > before.net_base()?.unsigned_abs();
    if pool_grew && !after.pool_meets_initial(price, params.initial_margin_bps)? {
        return Err(MathError::PoolMarginBreached);
    }
    Ok(())
}

/// Mints LP shares for `amount` at the pool's deposit value.
pub fn lp_deposit(market: &MarketLedger, amount: u64, price: &OraclePrice) -> MathResult<LpOutcome> {
    amount_as_i64(amount)?;
    let shares = shares_for_deposit(amount, market.pool_value_for_deposit(price)?, market.lp_shares)?;
    if shares == 0 {
        return Err(MathError::InvalidAmount);
    }
    let mut after = *market;
    after.pool_balance = add_u64(after.pool_balance, amount)?;
    after.lp_shares = add_u64(after.lp_shares, shares)?;
    after.vault_liability()?;
    Ok(LpOutcome { market: after, shares, amount })
}

crate::idl_struct! {
    /// An LP's pending exit: shares, what they were worth when asked for, and when they may leave. Stored in the LP
    /// position.
    #[repr(C)]
    #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, bytemuck::Pod, bytemuck::Zeroable)]
    pub struct LpExitRequest {
        /// LP shares to burn (0: no pending exit).
        pub shares: u64,
        /// precision: QUOTE_PRECISION.
        pub value: u64,
        /// Unix seconds: the market's exit delay after the request, fixed when it was made.
        pub unlocks_at: i64,
    }
}

/// Asks to burn `shares` after the market's exit delay. A new request replaces the pending one (and its clock).
pub fn request_lp_withdraw(
    market: &MarketLedger,
    shares: u64,
    held: u64,
    price: &OraclePrice,
    now: i64,
    delay_secs: u32,
) -> MathResult<LpExitRequest> {
    if shares == 0 {
        return Err(MathError::InvalidAmount);
    }
    if shares > held {
        return Err(MathError::InsufficientShares);
    }
    let value = amount_for_shares(shares, market.pool_value_for_withdrawal(price)?, market.lp_shares)?;
    let unlocks_at = now.checked_add(i64::from(delay_secs)).ok_or(MathError::Overflow)?;
    Ok(LpExitRequest { shares, value, unlocks_at })
}

/// Burns `shares` of a matured exit request for the lesser of their value at request and now (pool withdrawal
/// value), so an LP cannot leave at a value that counted a loss not yet recognised: the delay lets the keeper
/// liquidate, and whatever the pool lost meanwhile is the leaver's too. The pool must keep its free cash
/// non-negative and its initial margin on its net position. Returns the outcome and the request left over.
pub fn lp_withdraw(
    market: &MarketLedger,
    shares: u64,
    held: u64,
    request: &LpExitRequest,
    price: &OraclePrice,
    now: i64,
    initial_margin_bps: u32,
) -> MathResult<(LpOutcome, LpExitRequest)> {
    if shares == 0 {
        return Err(MathError::InvalidAmount);
    }
    if shares > held {
        return Err(MathError::InsufficientShares);
    }
    if request.shares == 0 || shares > request.shares {
        return Err(MathError::NoLpExitRequest);
    }
    if now < request.unlocks_at {
        return Err(MathError::LpExitDelayNotElapsed);
    }
    let now_value = amount_for_shares(shares, market.pool_value_for_withdrawal(price)?, market.lp_shares)?;
    // The whole request (the usual case) needs no division.
    let at_request = if shares == request.shares {
        i128::from(request.value)
    } else {
        mul_div_floor(i128::from(request.value), i128::from(shares), i128::from(request.shares))?
    };
    let amount = now_value.min(to_u64(at_request)?);
    if amount > market.pool_free_cash() {
        return Err(MathError::InsufficientPoolLiquidity);
    }
    let mut after = *market;
    after.pool_balance = sub_u64(after.pool_balance, amount)?;
    after.lp_shares = sub_u64(after.lp_shares, shares)?;
    if after.net_base()? != 0 && !after.pool_meets_initial(price, initial_margin_bps)? {
        return Err(MathError::PoolMarginBreached);
    }
    let consumed = to_u64(at_request)?;
    let left = LpExitRequest {
        shares: request.shares - shares,
        value: sub_u64(request.value, consumed)?,
        unlocks_at: if request.shares == shares { 0 } else { request.unlocks_at },
    };
    Ok((LpOutcome { market: after, shares, amount }, left))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oracle::OraclePrice;

    /// The review of the first fix: an account below zero in cash with a position open (from funding or a
    /// reducing trade) is no bankruptcy and cannot be covered, so it must not hold withdrawals shut.
    #[test]
    fn only_a_coverable_bankruptcy_gates_withdrawals() {
        let price = OraclePrice { price: 100_000_000, conf: 0, publish_time: 0 };
        let solvent_debtor = MarketLedger { pending_deficit: 10, pool_balance: 5, ..Default::default() };
        assert_eq!(require_no_unassessed_loss(&solvent_debtor, None), Ok(()));
        let bankrupt = MarketLedger { bankrupt_deficit: 10, ..solvent_debtor };
        assert_eq!(require_no_unassessed_loss(&bankrupt, None), Err(MathError::DeficitAwaitingCover));
        assert_eq!(require_no_unassessed_loss(&bankrupt, Some(&price)), Err(MathError::DeficitAwaitingCover));
        let deep_pool = MarketLedger { pool_balance: 1_000, ..bankrupt };
        assert_eq!(require_no_unassessed_loss(&deep_pool, Some(&price)), Ok(()), "the pool alone can bear it");
    }
}
