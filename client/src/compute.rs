//! The compute budget a transaction asks for: a unit limit from the VM suite's measurement of the real binary
//! ([`MEASURED`], written by `cu-bench --write-docs`) with [`MARGIN_BPS`] on top, and the unit price it bids for
//! priority, fixed or read from the cluster's recent prioritization fees and capped by the operator.
//!
//! Why a limit: a transaction without one reserves 200,000 units per instruction, and block producers schedule
//! (and a priority fee is charged) by what a transaction reserves, so a keeper's liquidation asking for ~17,000
//! lands sooner in a congested block and pays under a tenth of the fee for the same price.

use anchor_lang::solana_program::instruction::Instruction;
use solana_compute_budget_interface::ComputeBudgetInstruction;

pub use crate::measured_units::MEASURED;

/// Headroom over the most units an instruction took in any measured case: positions, books and waterfalls on a
/// live market can cost more than the suite's. A limit too low fails the transaction; one too high only raises
/// the priority fee, so the margin is wide.
pub const MARGIN_BPS: u64 = 5_000;

/// Units the compute-budget instructions themselves take, counted into the limit.
pub const BUDGET_INSTRUCTION_UNITS: u32 = 2 * 150;

/// The unit limit for one transaction of the Backstop instructions named (`"liquidate"`, `"cover_bankruptcy"`,
/// ...): their measured most plus [`MARGIN_BPS`], rounded up to a thousand, plus the budget instructions. `None`
/// when an instruction was never measured (then ask for no limit rather than a wrong one).
pub fn unit_limit(instructions: &[&str]) -> Option<u32> {
    let mut total = u64::from(BUDGET_INSTRUCTION_UNITS);
    for name in instructions {
        let measured = MEASURED.iter().find(|(measured, _)| measured == name)?.1;
        let with_margin = u64::from(measured) * (10_000 + MARGIN_BPS);
        total += with_margin.div_ceil(10_000).div_ceil(1_000) * 1_000;
    }
    u32::try_from(total).ok()
}

/// The compute-budget instructions to put first in a transaction: the unit limit, and the unit price when it is
/// not zero (micro-lamports per unit).
pub fn budget(unit_limit: u32, micro_lamports_per_unit: u64) -> Vec<Instruction> {
    let mut instructions = vec![ComputeBudgetInstruction::set_compute_unit_limit(unit_limit)];
    if micro_lamports_per_unit > 0 {
        instructions.push(ComputeBudgetInstruction::set_compute_unit_price(micro_lamports_per_unit));
    }
    instructions
}

/// How a sender prices its units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnitPrice {
    /// Always this many micro-lamports per unit.
    Fixed(u64),
    /// The `percentile` (0–100) of the fees the cluster reports paid recently by transactions touching the same
    /// accounts (`getRecentPrioritizationFees`), never more than `max`.
    Recent { percentile: u8, max: u64 },
}

impl UnitPrice {
    /// The price to bid, given the recent fees the cluster reported (ignored by a fixed price).
    pub fn price(&self, recent: &[u64]) -> u64 {
        match *self {
            UnitPrice::Fixed(price) => price,
            UnitPrice::Recent { percentile, max } => percentile_of(recent, percentile).min(max),
        }
    }
}

/// The nearest-rank `percentile` of `fees` (0 for none): the smallest fee at least that share of them do not exceed.
pub fn percentile_of(fees: &[u64], percentile: u8) -> u64 {
    if fees.is_empty() {
        return 0;
    }
    let mut sorted = fees.to_vec();
    sorted.sort_unstable();
    let rank = (sorted.len() * usize::from(percentile.min(100))).div_ceil(100).max(1);
    sorted[rank - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_is_the_measured_most_with_its_margin_rounded_up() {
        let liquidate = MEASURED.iter().find(|(name, _)| *name == "liquidate").expect("measured").1;
        let expected = (u64::from(liquidate) * 15_000).div_ceil(10_000).div_ceil(1_000) * 1_000 + 300;
        assert_eq!(unit_limit(&["liquidate"]).map(u64::from), Some(expected));
        assert!(u64::from(unit_limit(&["liquidate"]).unwrap()) >= u64::from(liquidate) * 3 / 2);
        let both = unit_limit(&["refresh_market", "liquidate"]).unwrap();
        assert!(both > unit_limit(&["liquidate"]).unwrap());
        assert_eq!(unit_limit(&["no_such_instruction"]), None);
    }

    #[test]
    fn the_budget_sets_the_limit_and_a_price_only_when_there_is_one() {
        let with_price = budget(21_000, 5_000);
        assert_eq!(with_price.len(), 2);
        assert_eq!(with_price[0], ComputeBudgetInstruction::set_compute_unit_limit(21_000));
        assert_eq!(with_price[1], ComputeBudgetInstruction::set_compute_unit_price(5_000));
        assert_eq!(budget(21_000, 0).len(), 1);
    }

    #[test]
    fn a_recent_price_is_the_nearest_rank_percentile_capped() {
        let fees = [0, 10, 20, 30, 40, 50, 60, 70, 80, 90];
        assert_eq!(percentile_of(&fees, 50), 40);
        assert_eq!(percentile_of(&fees, 75), 70);
        assert_eq!(percentile_of(&fees, 100), 90);
        assert_eq!(percentile_of(&fees, 0), 0);
        assert_eq!(percentile_of(&[], 90), 0);
        assert_eq!(UnitPrice::Recent { percentile: 90, max: 50 }.price(&fees), 50, "capped");
        assert_eq!(UnitPrice::Recent { percentile: 90, max: 1_000 }.price(&fees), 80);
        assert_eq!(UnitPrice::Fixed(7).price(&fees), 7);
    }
}
