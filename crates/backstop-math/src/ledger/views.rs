//! What margin will see of an account, for views that must agree with the program to the atom without moving
//! anything: a trading UI's health and liquidation price now and after a trade (the TypeScript SDK ports both,
//! and sdk/ts/test/fixtures holds the core's answers). Nothing here is called on-chain.

use super::{pending_funding, positive_of, MarketLedger};
use crate::error::{MathError, MathResult};
use crate::margin::TraderBalances;
use crate::oracle::OraclePrice;
use crate::params::MarketParams;
use crate::safe_math::add_u64;

/// The account as margin will see it at its next touch, for views (a trading UI's health and liquidation price; the
/// TypeScript SDK ports it): the socialized loss since its last touch applied and the funding since then settled, at
/// the market's funding index as stored. What [`touch`](super::touch) does besides (paying a claim from the pool's
/// cash, netting it against a deficit) moves value between `unsettled_pnl` and `collateral` only, so maintenance
/// equity, the liquidation test and the liquidation price read here are the touch's exactly; the initial-margin figures
/// (whose profit cap counts collateral) can differ by how much of a claim the pool would pay. The index itself is as of
/// the market's last oracle read: run [`MarketLedger::accrue_funding`] first to bring it to now.
pub fn settled_for_margin(trader: &TraderBalances, market: &MarketLedger) -> MathResult<TraderBalances> {
    let mut after = *trader;
    market.apply_social_loss(&mut after)?;
    let owed = pending_funding(&after, market)?;
    after.funding_index = market.cumulative_funding_index;
    if owed > 0 {
        after.collateral = after.collateral.checked_sub(owed).ok_or(MathError::Overflow)?;
    } else {
        after.unsettled_pnl = add_u64(after.unsettled_pnl, owed.unsigned_abs())?;
    }
    Ok(after)
}

/// The account after a trade of `delta` base at `price`, as margin will see it, for a preview (a trading UI's health
/// and liquidation price once the fill lands; the TypeScript SDK ports it). `trader` is the account as
/// [`settled_for_margin`] leaves it. The fill is at the execution price [`trade`](super::trade) uses, a realized loss
/// comes out of collateral and a realized profit is added to the account's claim, and the fee at `fee_bps` is charged
/// up to the collateral. As with [`settled_for_margin`], maintenance figures are the program's, except where the
/// collateral is below the fee (the program's touch may pay a claim into collateral first, and then charge more of the
/// fee). It checks nothing: the size, margin and open-interest limits are the program's to apply.
pub fn projected_trade(
    trader: &TraderBalances,
    delta: i64,
    price: &OraclePrice,
    params: &MarketParams,
    fee_bps: u32,
) -> MathResult<TraderBalances> {
    let fill_price = price.execution_price(delta > 0, params.exec_conf_scale_bps)?;
    let fill = trader.position.apply_fill(delta, fill_price)?;
    let mut after = TraderBalances { position: fill.position, ..*trader };
    if fill.realized_pnl < 0 {
        after.collateral = after.collateral.checked_add(fill.realized_pnl).ok_or(MathError::Overflow)?;
    } else {
        after.unsettled_pnl = add_u64(after.unsettled_pnl, fill.realized_pnl.unsigned_abs())?;
    }
    let fee = crate::fees::taker_fee(fill.fill_notional, fee_bps)?.min(positive_of(after.collateral));
    after.collateral = after
        .collateral
        .checked_sub(i64::try_from(fee).map_err(|_| MathError::Overflow)?)
        .ok_or(MathError::Overflow)?;
    Ok(after)
}
