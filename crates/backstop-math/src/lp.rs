//! LP share pricing. Shares are priced at pool value including traders' unrealized PnL against the
//! pool, with a virtual offset so an empty pool cannot be inflated by a donation, and every rounding in the
//! pool's favour: a deposit followed by a withdrawal never returns more than was put in.

use crate::constants::{VIRTUAL_ASSETS, VIRTUAL_SHARES};
use crate::error::{MathError, MathResult};
use crate::safe_math::{mul_div_floor, to_u64};

fn offset(value: i128, virtual_amount: u64) -> MathResult<i128> {
    value.checked_add(i128::from(virtual_amount)).ok_or(MathError::Overflow)
}

/// Shares minted for `amount` quote atoms into a pool worth `pool_value` with `total_shares` outstanding,
/// rounded down.
pub fn shares_for_deposit(amount: u64, pool_value: i128, total_shares: u64) -> MathResult<u64> {
    if pool_value < 0 {
        return Err(MathError::PoolInsolvent);
    }
    to_u64(mul_div_floor(
        i128::from(amount),
        offset(i128::from(total_shares), VIRTUAL_SHARES)?,
        offset(pool_value, VIRTUAL_ASSETS)?,
    )?)
}

/// Quote atoms paid for burning `shares` of a pool worth `pool_value` with `total_shares` outstanding, rounded
/// down.
pub fn amount_for_shares(shares: u64, pool_value: i128, total_shares: u64) -> MathResult<u64> {
    if pool_value < 0 {
        return Err(MathError::PoolInsolvent);
    }
    if shares > total_shares {
        return Err(MathError::InsufficientShares);
    }
    to_u64(mul_div_floor(
        i128::from(shares),
        offset(pool_value, VIRTUAL_ASSETS)?,
        offset(i128::from(total_shares), VIRTUAL_SHARES)?,
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn first_deposit_and_pro_rata_after() {
        let first = shares_for_deposit(1_000_000, 0, 0).unwrap();
        assert_eq!(first, 1_000_000_000);
        // Pool doubled in value: the same amount buys half the shares (less the virtual offset's rounding).
        let second = shares_for_deposit(1_000_000, 2_000_000, first).unwrap();
        assert_eq!(second, 500_000_249);
        assert_eq!(amount_for_shares(first, 2_000_000, first).unwrap(), 1_999_999);
    }

    #[test]
    fn insolvent_pool_refuses_both_ways() {
        assert_eq!(shares_for_deposit(1, -1, 10), Err(MathError::PoolInsolvent));
        assert_eq!(amount_for_shares(1, -1, 10), Err(MathError::PoolInsolvent));
        assert_eq!(amount_for_shares(11, 5, 10), Err(MathError::InsufficientShares));
    }

    #[test]
    fn value_added_to_an_empty_pool_costs_its_giver_far_more_than_the_next_depositor() {
        // 1 000 USDC of value lands in a pool with no shares, then a victim deposits 1 000 USDC.
        let gift: u64 = 1_000_000_000;
        let victim = shares_for_deposit(1_000_000_000, i128::from(gift), 0).unwrap();
        assert!(victim > 0);
        let value = amount_for_shares(victim, i128::from(2 * gift), victim).unwrap();
        // The victim loses at most gift / VIRTUAL_SHARES: inflating costs the attacker 1 000 times what it takes.
        let loss = 1_000_000_000 - value;
        assert!(loss <= gift / VIRTUAL_SHARES, "loss {loss}");
    }

    proptest! {
        #[test]
        fn deposit_then_withdraw_never_gains(
            amount in 1u64..1_000_000_000_000_000,
            pool_value in 0i128..1_000_000_000_000_000,
            total_shares in 0u64..1_000_000_000_000_000,
        ) {
            let shares = shares_for_deposit(amount, pool_value, total_shares).unwrap();
            let value_after = pool_value + i128::from(amount);
            let back = amount_for_shares(shares, value_after, total_shares + shares).unwrap();
            prop_assert!(back <= amount);
        }
    }
}
