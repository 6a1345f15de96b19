//! A perpetual position against the pool: signed size and signed entry notional, and what a fill does to them.
//!
//! `entry_notional` is the quote value at which the open size was entered, signed like the size (a long's is the
//! cost paid, a short's the negative of the proceeds). Unrealized PnL is `size × price − entry_notional`.
//! Every rounding moves value from the trader to the pool (floor on what the trader is owed, ceil on what they
//! owe), so a sequence of fills can never manufacture an atom.

use crate::constants::NOTIONAL_DIVISOR;
use crate::error::{MathError, MathResult};
use crate::safe_math::{div_ceil, div_floor, mul, mul_div_ceil, to_i64};

crate::idl_struct! {
    /// A perpetual position against the pool: signed size and signed entry notional.
    #[repr(C)]
    #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, bytemuck::Pod, bytemuck::Zeroable)]
    pub struct Position {
        /// precision: BASE_PRECISION; > 0 long, < 0 short.
        pub base: i64,
        /// precision: QUOTE_PRECISION; same sign as `base`, zero when flat.
        pub entry_notional: i64,
    }
}

/// What a fill did: the new position and the PnL it realised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FillOutcome {
    pub position: Position,
    /// precision: QUOTE_PRECISION; PnL of the part of the old position the fill closed.
    pub realized_pnl: i64,
    /// |notional| of the fill at its price, rounded up. precision: QUOTE_PRECISION.
    pub fill_notional: u64,
}

/// Signed quote value of `base` at `price`, rounded down. precision: QUOTE_PRECISION.
pub fn value_floor(base: i64, price: i64) -> MathResult<i128> {
    div_floor(mul(i128::from(base), i128::from(price))?, NOTIONAL_DIVISOR)
}

/// Signed quote value of `base` at `price`, rounded up. precision: QUOTE_PRECISION.
pub fn value_ceil(base: i64, price: i64) -> MathResult<i128> {
    div_ceil(mul(i128::from(base), i128::from(price))?, NOTIONAL_DIVISOR)
}

/// |base| × price, rounded up. precision: QUOTE_PRECISION.
pub fn notional(base: i64, price: i64) -> MathResult<u64> {
    let abs = i64::try_from(base.unsigned_abs()).map_err(|_| MathError::Overflow)?;
    u64::try_from(value_ceil(abs, price)?).map_err(|_| MathError::Overflow)
}

impl Position {
    pub fn is_flat(&self) -> bool {
        self.base == 0
    }

    /// Unrealized PnL at `price`, rounded against the holder. precision: QUOTE_PRECISION.
    pub fn unrealized_pnl(&self, price: i64) -> MathResult<i64> {
        to_i64(value_floor(self.base, price)?.checked_sub(i128::from(self.entry_notional)).ok_or(MathError::Overflow)?)
    }

    /// Whether `delta` makes the position riskier: anything but a pure reduction toward zero (a flip counts as
    /// risk-increasing, because it opens a new position on the other side).
    pub fn fill_increases_risk(&self, delta: i64) -> bool {
        let reduces =
            self.base != 0 && (self.base > 0) != (delta > 0) && delta.unsigned_abs() <= self.base.unsigned_abs();
        !reduces
    }

    /// Applies a fill of `delta` base at `price` (> 0): extends, reduces, closes or flips.
    pub fn apply_fill(&self, delta: i64, price: i64) -> MathResult<FillOutcome> {
        if delta == 0 || price <= 0 {
            return Err(MathError::Overflow);
        }
        let fill_notional = notional(delta, price)?;
        let same_direction = self.base == 0 || (self.base > 0) == (delta > 0);
        if same_direction {
            let base = self.base.checked_add(delta).ok_or(MathError::Overflow)?;
            // Ceil for both sides: a long's cost goes up, a short's (negative) proceeds shrink.
            let added = to_i64(value_ceil(delta, price)?)?;
            let entry_notional = self.entry_notional.checked_add(added).ok_or(MathError::Overflow)?;
            return Ok(FillOutcome { position: Position { base, entry_notional }, realized_pnl: 0, fill_notional });
        }

        // The fill closes `closed` of the old position (signed like the old position), then opens the rest.
        let closed = if delta.unsigned_abs() >= self.base.unsigned_abs() {
            self.base
        } else {
            delta.checked_neg().ok_or(MathError::Overflow)?
        };
        // Floor the value received (or ceil the value paid) and ceil the cost released: both against the trader.
        let closed_value = value_floor(closed, price)?;
        let entry_released = mul_div_ceil(i128::from(self.entry_notional), i128::from(closed), i128::from(self.base))?;
        let realized_pnl = to_i64(closed_value.checked_sub(entry_released).ok_or(MathError::Overflow)?)?;
        let remaining = Position {
            base: self.base.checked_sub(closed).ok_or(MathError::Overflow)?,
            entry_notional: to_i64(
                i128::from(self.entry_notional).checked_sub(entry_released).ok_or(MathError::Overflow)?,
            )?,
        };
        let opened = delta.checked_add(closed).ok_or(MathError::Overflow)?;
        let position = if opened == 0 {
            remaining
        } else {
            Position { base: opened, entry_notional: to_i64(value_ceil(opened, price)?)? }
        };
        Ok(FillOutcome { position, realized_pnl, fill_notional })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::constants::{BASE_PRECISION, PRICE_PRECISION};
    use proptest::prelude::*;

    const ONE: i64 = BASE_PRECISION;
    const USD: i64 = PRICE_PRECISION;

    #[test]
    fn open_extend_reduce_close_long() {
        let flat = Position::default();
        let open = flat.apply_fill(2 * ONE, 100 * USD).unwrap();
        assert_eq!(open.position, Position { base: 2 * ONE, entry_notional: 200 * USD });
        assert_eq!(open.fill_notional, 200_000_000);
        let extend = open.position.apply_fill(ONE, 130 * USD).unwrap();
        assert_eq!(extend.position, Position { base: 3 * ONE, entry_notional: 330 * USD });
        // Sell one third at 120: releases 110 of cost, receives 120.
        let reduce = extend.position.apply_fill(-ONE, 120 * USD).unwrap();
        assert_eq!(reduce.realized_pnl, 10 * USD);
        assert_eq!(reduce.position, Position { base: 2 * ONE, entry_notional: 220 * USD });
        let close = reduce.position.apply_fill(-2 * ONE, 100 * USD).unwrap();
        assert_eq!(close.realized_pnl, -20 * USD);
        assert_eq!(close.position, Position::default());
    }

    #[test]
    fn short_profits_when_price_falls_and_flip_opens_at_fill_price() {
        let short = Position::default().apply_fill(-ONE, 100 * USD).unwrap().position;
        assert_eq!(short.entry_notional, -100 * USD);
        assert_eq!(short.unrealized_pnl(90 * USD), Ok(10 * USD));
        let flip = short.apply_fill(3 * ONE, 90 * USD).unwrap();
        assert_eq!(flip.realized_pnl, 10 * USD);
        assert_eq!(flip.position, Position { base: 2 * ONE, entry_notional: 180 * USD });
    }

    #[test]
    fn rounding_goes_against_the_trader_on_dust() {
        // 1 base atom at 1.5 quote atoms per unit-of-precision: value 1.5e-9 quote → entry rounds up to 1 atom.
        let long = Position::default().apply_fill(1, 1_500_000).unwrap().position;
        assert_eq!(long.entry_notional, 1);
        assert_eq!(long.unrealized_pnl(1_500_000), Ok(-1));
        let short = Position::default().apply_fill(-1, 1_500_000).unwrap().position;
        assert_eq!(short.entry_notional, 0);
        assert_eq!(short.unrealized_pnl(1_500_000), Ok(-1));
    }

    #[test]
    fn risk_classification() {
        let long = Position { base: 5, entry_notional: 5 };
        assert!(!long.fill_increases_risk(-3));
        assert!(!long.fill_increases_risk(-5));
        assert!(long.fill_increases_risk(-6)); // flip
        assert!(long.fill_increases_risk(1));
        assert!(Position::default().fill_increases_risk(-1));
    }

    proptest! {
        /// Any fill followed by closing what is left, all at one price, never pays more than closing the original
        /// position at that price: trading back and forth cannot manufacture PnL.
        #[test]
        fn round_trip_never_gains(
            base in -1_000_000 * ONE..1_000_000 * ONE,
            entry_price in 1i64..1_000_000 * USD,
            delta in -1_000_000 * ONE..1_000_000 * ONE,
            price in 1i64..1_000_000 * USD,
        ) {
            prop_assume!(delta != 0);
            let start = if base == 0 { Position::default() } else { Position::default().apply_fill(base, entry_price).unwrap().position };
            let there = start.apply_fill(delta, price).unwrap();
            if there.position.is_flat() {
                return Ok(());
            }
            let back = there.position.apply_fill(-there.position.base, price).unwrap();
            let start_close = if start.is_flat() { 0 } else { start.apply_fill(-start.base, price).unwrap().realized_pnl };
            // Going there and back at one price realises no more than closing the original position at it.
            prop_assert!(there.realized_pnl + back.realized_pnl <= start_close);
            prop_assert_eq!(back.position, Position::default());
        }

        /// Realised PnL over a full open/close cycle never exceeds the exact rational PnL.
        #[test]
        fn cycle_pnl_is_bounded_by_exact(
            size in 1i64..1_000_000 * ONE,
            long in any::<bool>(),
            open_price in 1i64..1_000_000 * USD,
            close_price in 1i64..1_000_000 * USD,
            split in 1u32..100,
        ) {
            let base = if long { size } else { -size };
            let open = Position::default().apply_fill(base, open_price).unwrap().position;
            let part = i64::try_from(i128::from(base) * i128::from(split) / 100).unwrap();
            let mut realized = 0i64;
            let mut pos = open;
            if part != 0 {
                let o = pos.apply_fill(-part, close_price).unwrap();
                realized += o.realized_pnl;
                pos = o.position;
            }
            if !pos.is_flat() {
                let o = pos.apply_fill(-pos.base, close_price).unwrap();
                realized += o.realized_pnl;
                pos = o.position;
            }
            prop_assert_eq!(pos, Position::default());
            let exact_times_divisor = i128::from(base) * (i128::from(close_price) - i128::from(open_price));
            prop_assert!(i128::from(realized) * NOTIONAL_DIVISOR <= exact_times_divisor);
        }
    }
}
