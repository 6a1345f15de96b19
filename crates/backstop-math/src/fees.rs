//! Taker fee and its split.

use crate::constants::BPS_DENOMINATOR;
use crate::error::{MathError, MathResult};
use crate::safe_math::{mul_div_ceil, mul_div_floor, to_u64};

/// Fee on a fill of `notional` quote atoms at `fee_bps`, rounded up (the taker pays the atom).
pub fn taker_fee(notional: u64, fee_bps: u32) -> MathResult<u64> {
    to_u64(mul_div_ceil(i128::from(notional), i128::from(fee_bps), i128::from(BPS_DENOMINATOR))?)
}

/// Where one fee goes. Always sums to the fee it was split from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FeeSplit {
    /// To the insurance fund (accrued in the market until swept). precision: QUOTE_PRECISION.
    pub fund: u64,
    /// To the LP pool. precision: QUOTE_PRECISION.
    pub lp: u64,
    /// To the treasury (accrued in the market). precision: QUOTE_PRECISION.
    pub treasury: u64,
}

impl FeeSplit {
    pub fn total(&self) -> MathResult<u64> {
        self.fund.checked_add(self.lp).and_then(|s| s.checked_add(self.treasury)).ok_or(MathError::Overflow)
    }
}

/// Splits `fee` by the fund and treasury shares (rounded down); the LP pool takes the remainder, so nothing is lost
/// to rounding and the parts sum to the fee exactly.
pub fn split_fee(fee: u64, fund_bps: u32, treasury_bps: u32) -> MathResult<FeeSplit> {
    let share = |bps: u32| to_u64(mul_div_floor(i128::from(fee), i128::from(bps), i128::from(BPS_DENOMINATOR))?);
    let fund = share(fund_bps)?;
    let treasury = share(treasury_bps)?;
    let lp = fee.checked_sub(fund).and_then(|r| r.checked_sub(treasury)).ok_or(MathError::Overflow)?;
    Ok(FeeSplit { fund, lp, treasury })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn fee_rounds_up_and_splits_exactly() {
        assert_eq!(taker_fee(1_000_000, 5), Ok(500));
        assert_eq!(taker_fee(1, 5), Ok(1));
        assert_eq!(taker_fee(0, 5), Ok(0));
        assert_eq!(split_fee(500, 5_000, 1_000), Ok(FeeSplit { fund: 250, lp: 200, treasury: 50 }));
        assert_eq!(split_fee(1, 5_000, 1_000), Ok(FeeSplit { fund: 0, lp: 1, treasury: 0 }));
    }

    proptest! {
        #[test]
        fn split_sums_to_the_fee(fee in any::<u64>(), fund in 0u32..=10_000, treasury_frac in 0u32..=10_000) {
            let treasury = (10_000 - fund) * treasury_frac / 10_000;
            let split = split_fee(fee, fund, treasury).unwrap();
            prop_assert_eq!(split.total(), Ok(fee));
        }

        #[test]
        fn fee_is_never_below_the_exact_rate(notional in 0u64..u64::MAX / 200, bps in 0u32..=100) {
            let fee = taker_fee(notional, bps).unwrap();
            prop_assert!(u128::from(fee) * 10_000 >= u128::from(notional) * u128::from(bps));
            prop_assert!(u128::from(fee) * 10_000 < u128::from(notional) * u128::from(bps) + 10_000);
        }
    }
}
