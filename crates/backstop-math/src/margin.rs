//! Margin health of an isolated-margin account.
//!
//! Equity is collateral plus unrealized PnL at the conservative side of the oracle band, plus profit the pool
//! already owes but has not paid. For initial margin, profit (unrealized plus unsettled) counts only up to
//! `unrealized_profit_cap_bps` of the account's collateral: borrowing against a pumped mark is how Mango lost
//! ~$114M in October 2022.

use crate::constants::{BPS_DENOMINATOR, PRICE_PRECISION};
use crate::error::{MathError, MathResult};
use crate::oracle::OraclePrice;
use crate::params::MarketParams;
use crate::position::{notional, Position};
use crate::safe_math::{mul_div_ceil, mul_div_floor, to_i64, to_u64};

crate::idl_struct! {
    /// The balances of one trader in one market, as margin sees them.
    #[repr(C)]
    #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, bytemuck::Pod, bytemuck::Zeroable)]
    pub struct TraderBalances {
        /// Cash: deposits, realized and settled PnL, minus fees and penalties. Negative only when bankrupt.
        /// precision: QUOTE_PRECISION.
        pub collateral: i64,
        /// The open position: signed size and entry notional.
        pub position: Position,
        /// Realized profit the pool could not pay yet; paid when the pool has cash. precision: QUOTE_PRECISION.
        pub unsettled_pnl: u64,
        /// The market's socialized-loss index and epoch when this account was last touched (see
        /// `ledger::social`). precision: SOCIAL_INDEX_ONE; 0 stands for SOCIAL_INDEX_ONE.
        pub social_loss_index: u64,
        /// The market's socialized-loss epoch at that touch (the index restarts at each epoch).
        pub social_loss_epoch: u64,
        /// The market's cumulative funding index when this account last settled funding.
        /// precision: FUNDING_INDEX_PRECISION.
        pub funding_index: i64,
    }
}

/// Margin health at one price.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Health {
    /// collateral + unsettled + unrealized PnL at the conservative price. precision: QUOTE_PRECISION.
    pub maintenance_equity: i64,
    /// As `maintenance_equity`, with profit capped. precision: QUOTE_PRECISION.
    pub initial_equity: i64,
    /// |size| × oracle price × maintenance ratio, rounded up. precision: QUOTE_PRECISION.
    pub maintenance_requirement: u64,
    /// |size| × oracle price × initial ratio, rounded up. precision: QUOTE_PRECISION.
    pub initial_requirement: u64,
}

impl Health {
    pub fn meets_initial(&self) -> bool {
        i128::from(self.initial_equity) >= i128::from(self.initial_requirement)
    }

    pub fn meets_maintenance(&self) -> bool {
        i128::from(self.maintenance_equity) >= i128::from(self.maintenance_requirement)
    }
}

/// `notional × ratio_bps`, rounded up. precision: QUOTE_PRECISION.
pub fn margin_requirement(base: i64, price: i64, ratio_bps: u32) -> MathResult<u64> {
    let notional = notional(base, price)?;
    to_u64(mul_div_ceil(i128::from(notional), i128::from(ratio_bps), i128::from(BPS_DENOMINATOR))?)
}

impl TraderBalances {
    /// Health against `price` under `params`.
    pub fn health(&self, price: &OraclePrice, params: &MarketParams) -> MathResult<Health> {
        let (full, capped) = self.equities(price, params)?;
        let base = self.position.base;
        Ok(Health {
            maintenance_equity: to_i64(full)?,
            initial_equity: to_i64(capped)?,
            maintenance_requirement: margin_requirement(base, price.price, params.maintenance_margin_bps)?,
            initial_requirement: margin_requirement(base, price.price, params.initial_margin_bps)?,
        })
    }

    /// Whether initial margin holds at `price`: exactly [`Health::meets_initial`] of [`TraderBalances::health`],
    /// without the maintenance side (one notional and one division fewer, on every withdrawal and risk-increasing
    /// trade).
    pub fn meets_initial(&self, price: &OraclePrice, params: &MarketParams) -> MathResult<bool> {
        let (_, capped) = self.equities(price, params)?;
        Ok(capped >= i128::from(margin_requirement(self.position.base, price.price, params.initial_margin_bps)?))
    }

    /// Equity at the conservative price, in full and with profit capped (for initial margin).
    fn equities(&self, price: &OraclePrice, params: &MarketParams) -> MathResult<(i128, i128)> {
        let unrealized = self.position.unrealized_pnl(price.margin_price(self.position.base)?)?;
        let profit = i128::from(unrealized).checked_add(i128::from(self.unsettled_pnl)).ok_or(MathError::Overflow)?;
        let collateral = i128::from(self.collateral);
        // The cap is never negative, so a loss (most positions at the conservative price) passes it uncapped
        // without its division.
        let counted = if profit <= 0 {
            profit
        } else {
            let cap = mul_div_floor(
                collateral.max(0),
                i128::from(params.unrealized_profit_cap_bps),
                i128::from(BPS_DENOMINATOR),
            )?;
            profit.min(cap)
        };
        let full = collateral.checked_add(profit).ok_or(MathError::Overflow)?;
        let capped = collateral.checked_add(counted).ok_or(MathError::Overflow)?;
        Ok((full, capped))
    }

    /// Below maintenance margin at `price`, with a position: what `liquidate` requires (after the touch that
    /// applies funding and socialized loss, which a client reading the stored balances has not applied).
    pub fn is_liquidatable(&self, price: &OraclePrice, params: &MarketParams) -> MathResult<bool> {
        Ok(!self.position.is_flat() && !self.health(price, params)?.meets_maintenance())
    }

    /// The oracle price at which the account becomes liquidatable, with the confidence interval held at `conf`
    /// (margin values a position at the side of the interval that hurts it: a long's liquidation price rises by
    /// about `conf / (1 − maintenance)`): for a long the highest price at which it is liquidatable, the next price
    /// up not; for a short the lowest, the next price down not. `None` when flat, or for a long that no positive
    /// price makes liquidatable. Found by bisection on [`TraderBalances::is_liquidatable`] itself, so it is exactly
    /// the program's test at that price (rounding can make that test flip more than once within an atom of quote;
    /// the bisection's answer is still liquidatable, and its neighbour still not). What a trading UI shows; the
    /// TypeScript SDK computes the same number by the same steps. precision: PRICE_PRECISION.
    pub fn liquidation_price(&self, params: &MarketParams, conf: i64) -> MathResult<Option<i64>> {
        let long = self.position.base > 0;
        if self.position.is_flat() {
            return Ok(None);
        }
        let liquidatable = |price: i64| self.is_liquidatable(&OraclePrice { price, conf, publish_time: 0 }, params);
        // A long is liquidatable at low prices, a short at high ones: `inside` is the liquidatable end.
        let (mut inside, mut outside) = (1i64, PRICE_PRECISION);
        if long != liquidatable(1)? {
            return Ok(if long { None } else { Some(1) });
        }
        while liquidatable(outside)? == long {
            outside = outside.checked_mul(2).ok_or(MathError::Overflow)?;
        }
        if !long {
            (inside, outside) = (outside, inside);
        }
        // Invariant: `inside` liquidatable, `outside` not.
        while inside.abs_diff(outside) > 1 {
            let middle = inside.min(outside) + (inside.abs_diff(outside) / 2).cast_signed();
            if liquidatable(middle)? {
                inside = middle;
            } else {
                outside = middle;
            }
        }
        Ok(Some(inside))
    }

    /// Flat, and what the account holds (collateral plus the profit the pool still owes it) is negative. A
    /// claim on the pool is the account's own money: it nets against the account's deficit before anything is
    /// called a deficit, so a hedged pair cannot make the fund pay a debt its own unsettled profit covers.
    pub fn is_bankrupt(&self) -> bool {
        self.position.is_flat() && i128::from(self.collateral) + i128::from(self.unsettled_pnl) < 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::constants::{BASE_PRECISION, PRICE_PRECISION};
    use crate::params::tests::sample;

    const USD: i64 = PRICE_PRECISION;

    fn price(p: i64, conf: i64) -> OraclePrice {
        OraclePrice { price: p, conf, publish_time: 0 }
    }

    fn long(size: i64, entry_price: i64, collateral: i64) -> TraderBalances {
        let position = Position::default().apply_fill(size, entry_price).unwrap().position;
        TraderBalances { collateral, position, ..Default::default() }
    }

    #[test]
    fn a_flat_account_is_healthy_and_bankrupt_only_with_negative_cash() {
        let flat = TraderBalances { collateral: 5, ..Default::default() };
        let h = flat.health(&price(100 * USD, 0), &sample()).unwrap();
        assert!(h.meets_initial() && h.meets_maintenance());
        assert!(!flat.is_bankrupt());
        assert!(TraderBalances { collateral: -1, ..Default::default() }.is_bankrupt());
        // A claim on the pool at least as large as the deficit is not a bankruptcy: the two net.
        assert!(!TraderBalances { collateral: -5, unsettled_pnl: 5, ..Default::default() }.is_bankrupt());
        assert!(TraderBalances { collateral: -5, unsettled_pnl: 4, ..Default::default() }.is_bankrupt());
    }

    proptest::proptest! {
        /// The initial-only check answers exactly as the full health does.
        #[test]
        fn the_initial_only_check_agrees_with_health(
            size in -1_000_000_000_000i64..1_000_000_000_000,
            entry in 1i64..1_000 * USD,
            now in 1i64..1_000 * USD,
            conf_bps in 0i64..500,
            collateral in -1_000_000 * USD..1_000_000 * USD,
            unsettled in 0u64..1_000_000_000_000,
        ) {
            let position = Position::default().apply_fill(size, entry).unwrap().position;
            let account = TraderBalances { collateral, position, unsettled_pnl: unsettled, ..Default::default() };
            let at = price(now, now / 10_000 * conf_bps);
            let full = account.health(&at, &sample()).map(|h| h.meets_initial());
            if let Ok(full) = full {
                proptest::prop_assert_eq!(account.meets_initial(&at, &sample()), Ok(full));
            }
        }
    }

    #[test]
    fn ten_x_long_sits_exactly_on_initial_margin() {
        // 10 units at 100 = 1000 notional, 100 collateral: 10 % initial.
        let account = long(10 * BASE_PRECISION, 100 * USD, 100 * USD);
        let h = account.health(&price(100 * USD, 0), &sample()).unwrap();
        assert_eq!(h.initial_requirement, 100_000_000);
        assert_eq!(h.maintenance_requirement, 50_000_000);
        assert_eq!(h.initial_equity, 100 * USD);
        assert!(h.meets_initial());
    }

    #[test]
    fn confidence_counts_against_the_holder() {
        let account = long(10 * BASE_PRECISION, 100 * USD, 100 * USD);
        let h = account.health(&price(100 * USD, USD / 10), &sample()).unwrap();
        // Valued at 99.9: -1 of unrealized PnL.
        assert_eq!(h.maintenance_equity, 99 * USD);
        assert!(!h.meets_initial());
    }

    #[test]
    fn profit_counts_for_initial_margin_only_up_to_the_cap() {
        // Price doubles: +1000 unrealized on 100 collateral; the cap (50 %) counts only 50.
        let account = long(10 * BASE_PRECISION, 100 * USD, 100 * USD);
        let h = account.health(&price(200 * USD, 0), &sample()).unwrap();
        assert_eq!(h.maintenance_equity, 1_100 * USD);
        assert_eq!(h.initial_equity, 150 * USD);
        assert_eq!(h.initial_requirement, 200_000_000);
        assert!(!h.meets_initial());
        assert!(h.meets_maintenance());
    }

    #[test]
    fn a_ten_x_long_is_liquidatable_from_its_price_down_and_a_short_from_its_price_up() {
        // 10 long at 100 on 100: equity 100 + 10(p − 100) meets 5 % of 10p at p = 900 / 9.5 = 94.736842…
        let account = long(10 * BASE_PRECISION, 100 * USD, 100 * USD);
        let at = |p: i64| account.is_liquidatable(&price(p, 0), &sample()).unwrap();
        assert_eq!(account.liquidation_price(&sample(), 0), Ok(Some(94_736_842)));
        assert!(at(94_736_842) && !at(94_736_843));
        // 10 short at 100 on 100: 100 − 10(p − 100) meets 0.5p at p = 1100 / 10.5 = 104.761904…
        let short = long(-10 * BASE_PRECISION, 100 * USD, 100 * USD);
        let at = |p: i64| short.is_liquidatable(&price(p, 0), &sample()).unwrap();
        assert_eq!(short.liquidation_price(&sample(), 0), Ok(Some(104_761_905)));
        assert!(at(104_761_905) && !at(104_761_904));
        // A $1 interval held: the long is valued $1 lower, so liquidated ~$1.05 (1 / 0.95) higher.
        let with_conf = account.liquidation_price(&sample(), USD).unwrap().unwrap();
        let at = |p: i64| account.is_liquidatable(&price(p, USD), &sample()).unwrap();
        assert!(at(with_conf) && !at(with_conf + 1));
        assert_eq!(with_conf - 94_736_842, 1_052_631);
        // Flat, or a long no positive price can liquidate (fully paid for): none.
        assert_eq!(TraderBalances { collateral: 5, ..Default::default() }.liquidation_price(&sample(), 0), Ok(None));
        assert_eq!(long(BASE_PRECISION, 100 * USD, 200 * USD).liquidation_price(&sample(), 0), Ok(None));
    }

    #[test]
    fn losses_count_in_full() {
        let account = long(10 * BASE_PRECISION, 100 * USD, 100 * USD);
        let h = account.health(&price(95 * USD, 0), &sample()).unwrap();
        assert_eq!(h.maintenance_equity, 50 * USD);
        assert_eq!(h.maintenance_requirement, 47_500_000);
        assert!(h.meets_maintenance());
        let h = account.health(&price(94 * USD, 0), &sample()).unwrap();
        assert!(!h.meets_maintenance());
    }
}
