//! Checked arithmetic with explicit rounding. Every division in Backstop goes through `div_floor`/`div_ceil`
//! so its rounding direction is written at the call site.

use crate::error::{MathError, MathResult};

/// Floor division (toward negative infinity) for signed values.
pub fn div_floor(numerator: i128, denominator: i128) -> MathResult<i128> {
    if denominator == 0 {
        return Err(MathError::DivisionByZero);
    }
    let quotient = numerator.checked_div(denominator).ok_or(MathError::Overflow)?;
    let remainder = numerator.checked_rem(denominator).ok_or(MathError::Overflow)?;
    if remainder != 0 && ((remainder < 0) != (denominator < 0)) {
        quotient.checked_sub(1).ok_or(MathError::Overflow)
    } else {
        Ok(quotient)
    }
}

/// Ceiling division (toward positive infinity) for signed values.
pub fn div_ceil(numerator: i128, denominator: i128) -> MathResult<i128> {
    let negated = numerator.checked_neg().ok_or(MathError::Overflow)?;
    div_floor(negated, denominator)?.checked_neg().ok_or(MathError::Overflow)
}

/// `value * numerator / denominator`, rounded down, in i128.
pub fn mul_div_floor(value: i128, numerator: i128, denominator: i128) -> MathResult<i128> {
    div_floor(value.checked_mul(numerator).ok_or(MathError::Overflow)?, denominator)
}

/// `value * numerator / denominator`, rounded up, in i128.
pub fn mul_div_ceil(value: i128, numerator: i128, denominator: i128) -> MathResult<i128> {
    div_ceil(value.checked_mul(numerator).ok_or(MathError::Overflow)?, denominator)
}

/// Narrows an i128 to i64, refusing values that do not fit.
pub fn to_i64(value: i128) -> MathResult<i64> {
    i64::try_from(value).map_err(|_| MathError::Overflow)
}

/// Narrows an i128 to u64, refusing negative values and values that do not fit.
pub fn to_u64(value: i128) -> MathResult<u64> {
    u64::try_from(value).map_err(|_| MathError::Overflow)
}

/// Checked add for i64 that reports [`MathError::Overflow`].
pub fn add_i64(a: i64, b: i64) -> MathResult<i64> {
    a.checked_add(b).ok_or(MathError::Overflow)
}

/// Checked sub for i64 that reports [`MathError::Overflow`].
pub fn sub_i64(a: i64, b: i64) -> MathResult<i64> {
    a.checked_sub(b).ok_or(MathError::Overflow)
}

/// Checked add for u64 that reports [`MathError::Overflow`].
pub fn add_u64(a: u64, b: u64) -> MathResult<u64> {
    a.checked_add(b).ok_or(MathError::Overflow)
}

/// Checked sub for u64 that reports [`MathError::Overflow`] (also on underflow).
pub fn sub_u64(a: u64, b: u64) -> MathResult<u64> {
    a.checked_sub(b).ok_or(MathError::Overflow)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floor_and_ceil_round_the_named_way_for_every_sign() {
        assert_eq!(div_floor(7, 2), Ok(3));
        assert_eq!(div_floor(-7, 2), Ok(-4));
        assert_eq!(div_floor(7, -2), Ok(-4));
        assert_eq!(div_floor(-7, -2), Ok(3));
        assert_eq!(div_ceil(7, 2), Ok(4));
        assert_eq!(div_ceil(-7, 2), Ok(-3));
        assert_eq!(div_ceil(6, 2), Ok(3));
        assert_eq!(div_floor(1, 0), Err(MathError::DivisionByZero));
        assert_eq!(div_floor(i128::MIN, -1), Err(MathError::Overflow));
    }

    #[test]
    fn narrowing_refuses_what_does_not_fit() {
        assert_eq!(to_i64(i128::from(i64::MAX) + 1), Err(MathError::Overflow));
        assert_eq!(to_u64(-1), Err(MathError::Overflow));
        assert_eq!(to_u64(5), Ok(5));
    }
}
