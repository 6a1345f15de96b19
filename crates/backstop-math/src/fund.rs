//! Insurance fund health.

use crate::constants::BPS_DENOMINATOR;
use crate::safe_math::mul_div_floor;

/// Fund balance ÷ open-interest notional it backs, in bps, rounded down (health is never overstated).
/// `u64::MAX` when it backs no open interest.
pub fn coverage_ratio_bps(fund_balance: u64, backed_notional: u64) -> u64 {
    fund_ratio_bps(fund_balance, backed_notional)
}

/// `fund ÷ against` in bps, rounded down (a fund's health is never overstated); `u64::MAX` when `against` is zero
/// (nothing to hold against) or the ratio passes u64. Coverage and adequacy are both this ratio.
pub fn fund_ratio_bps(fund: u64, against: u64) -> u64 {
    if against == 0 {
        return u64::MAX;
    }
    mul_div_floor(i128::from(fund), i128::from(BPS_DENOMINATOR), i128::from(against))
        .ok()
        .and_then(|v| u64::try_from(v).ok())
        .unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coverage_ratio_rounds_down() {
        assert_eq!(coverage_ratio_bps(1_000, 0), u64::MAX);
        assert_eq!(coverage_ratio_bps(1_000, 100_000), 100);
        assert_eq!(coverage_ratio_bps(1, 3), 3_333);
    }
}
