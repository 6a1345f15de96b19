//! A validated oracle price in Backstop's precision, and the prices an action takes from it (a taker's fill, the
//! side of the confidence interval that values a position).

use crate::constants::BPS_DENOMINATOR;
use crate::error::{MathError, MathResult};
use crate::safe_math::{mul_div_ceil, to_i64};

/// A validated price in Backstop's precision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OraclePrice {
    /// precision: PRICE_PRECISION; always > 0.
    pub price: i64,
    /// precision: PRICE_PRECISION; always < price.
    pub conf: i64,
    /// Unix seconds.
    pub publish_time: i64,
}

impl OraclePrice {
    /// The price a taker fills at: moved against the taker by `conf × conf_scale_bps / 10_000`.
    /// precision: PRICE_PRECISION.
    pub fn execution_price(&self, taker_buys: bool, conf_scale_bps: u32) -> MathResult<i64> {
        let widening =
            to_i64(mul_div_ceil(i128::from(self.conf), i128::from(conf_scale_bps), i128::from(BPS_DENOMINATOR))?)?;
        let price = if taker_buys { self.price.checked_add(widening) } else { self.price.checked_sub(widening) }
            .ok_or(MathError::Overflow)?;
        if price <= 0 {
            return Err(MathError::OracleUncertain);
        }
        Ok(price)
    }

    /// The price at which margin values a position: the side of the confidence interval that hurts its holder
    /// (lower for a long, higher for a short). precision: PRICE_PRECISION.
    pub fn margin_price(&self, base: i64) -> MathResult<i64> {
        if base >= 0 {
            self.low()
        } else {
            self.high()
        }
    }

    /// price - conf, > 0 by validation.
    pub fn low(&self) -> MathResult<i64> {
        self.price.checked_sub(self.conf).ok_or(MathError::Overflow)
    }

    /// price + conf.
    pub fn high(&self) -> MathResult<i64> {
        self.price.checked_add(self.conf).ok_or(MathError::Overflow)
    }
}
