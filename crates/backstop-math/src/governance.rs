//! Which parameter changes may apply at once and which wait for the timelock: a change applies at once
//! only when every field it moves, moves in that field's safe direction (risk tightens, the fund's share grows);
//! anything else (loosening risk, raising a cap, cutting users' share, or both at once) is queued.

use crate::params::MarketParams;

/// The direction in which a parameter may move without the timelock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Safe {
    Up,
    Down,
    /// Any change waits: it helps one party at another's expense (fees, penalty, fee split to the LP/treasury).
    Never,
}

/// One parameter's rule.
pub struct Rule {
    pub name: &'static str,
    pub read: fn(&MarketParams) -> u64,
    /// Sets the field to a value read from another parameter set (so it always fits the field's type).
    pub write: fn(&mut MarketParams, u64),
    pub safe: Safe,
}

macro_rules! rule {
    ($field:ident, $safe:expr) => {
        Rule {
            name: stringify!($field),
            read: |p| u64::from(p.$field),
            write: |p, value| p.$field = value.try_into().unwrap_or(p.$field),
            safe: $safe,
        }
    };
}

/// Every market parameter and its safe direction.
pub const RULES: &[Rule] = &[
    rule!(initial_margin_bps, Safe::Up),
    rule!(maintenance_margin_bps, Safe::Up),
    rule!(liquidation_penalty_bps, Safe::Never),
    rule!(liquidator_reward_share_bps, Safe::Down),
    rule!(taker_fee_bps, Safe::Never),
    rule!(fee_fund_share_bps, Safe::Up),
    rule!(fee_lp_share_bps, Safe::Down),
    rule!(fee_treasury_share_bps, Safe::Down),
    rule!(exec_conf_scale_bps, Safe::Up),
    rule!(oracle_max_conf_bps, Safe::Down),
    rule!(oracle_max_age_secs, Safe::Down),
    rule!(unrealized_profit_cap_bps, Safe::Down),
    rule!(max_open_interest, Safe::Down),
    rule!(min_order_size, Safe::Up),
    rule!(fund_draw_cap, Safe::Down),
    rule!(fund_draw_window_secs, Safe::Up),
    rule!(funding_coefficient_ppm, Safe::Up),
    rule!(funding_cap_ppm, Safe::Up),
    rule!(funding_depth, Safe::Down),
    rule!(fee_floor_bps, Safe::Never),
    rule!(fee_cap_bps, Safe::Never),
    rule!(fee_vol_coefficient, Safe::Never),
    rule!(volatility_window_secs, Safe::Never),
    rule!(fund_share_max_bps, Safe::Up),
    rule!(coverage_target_bps, Safe::Up),
    rule!(treasury_yields_to_fund, Safe::Up),
    rule!(breaker_conf_bps, Safe::Never),
    rule!(breaker_move_bps, Safe::Never),
    rule!(breaker_window_secs, Safe::Never),
    rule!(breaker_cooldown_secs, Safe::Never),
    // A longer exit delay protects the LPs who stay; a request already made keeps the delay it was made under.
    rule!(lp_exit_delay_secs, Safe::Up),
    // 0 disables the guard, so neither direction is safe.
    rule!(oracle_max_ema_divergence_bps, Safe::Never),
];

/// The first parameter `new` moves in a direction that needs the timelock, if any.
pub fn first_loosening(old: &MarketParams, new: &MarketParams) -> Option<&'static str> {
    RULES.iter().find_map(|rule| {
        let (before, after) = ((rule.read)(old), (rule.read)(new));
        let safe = match rule.safe {
            Safe::Up => after >= before,
            Safe::Down => after <= before,
            Safe::Never => after == before,
        };
        (!safe).then_some(rule.name)
    })
}

/// A queued set after a change applied at once moved `old` to `new`: every field the immediate change moved takes,
/// in the queue, the safer of its new value and the value queued for it. Applying the queue later never undoes
/// an emergency tightening made in the meantime (the review's F3: a queued snapshot silently reverted IMR 2,500 /
/// MMR 1,500 / OI ÷10 / age 10 s to 1,000 / 500 / 10,000 SOL / 60 s), and an immediate change cannot strip a
/// tightening announced with the queued set either: every field applies at its announced value or safer.
pub fn rebase_queued(old: &MarketParams, new: &MarketParams, queued: &MarketParams) -> MarketParams {
    let mut rebased = *queued;
    for rule in RULES {
        let (now, announced) = ((rule.read)(new), (rule.read)(queued));
        if (rule.read)(old) != now {
            let safer = match rule.safe {
                Safe::Up => now.max(announced),
                Safe::Down => now.min(announced),
                // Such a field never changes at once.
                Safe::Never => announced,
            };
            (rule.write)(&mut rebased, safer);
        }
    }
    rebased
}

/// Whether `new` may replace `old` at once.
pub fn applies_at_once(old: &MarketParams, new: &MarketParams) -> bool {
    first_loosening(old, new).is_none()
}

/// A breaker threshold of 0 disables that trigger, so "down to 0" loosens: treat the thresholds as `Never`
/// (above). The timelock delay itself: lowering it loosens.
pub fn timelock_change_applies_at_once(old_delay: i64, new_delay: i64) -> bool {
    new_delay >= old_delay
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::tests::sample;

    #[test]
    fn every_field_has_a_rule() {
        // MarketParams is 4 u64 fields and 28 u32 fields: 32 rules.
        let fields = (core::mem::size_of::<MarketParams>() - 4 * 8) / 4 + 4;
        assert_eq!(RULES.len(), fields);
    }

    #[test]
    fn an_immediate_tightening_survives_a_queued_set() {
        let old = sample();
        // Queued: a fee change (never at once), made when IMR was 1,000.
        let queued = MarketParams { taker_fee_bps: 7, ..old };
        let emergency = MarketParams {
            initial_margin_bps: 2_500,
            maintenance_margin_bps: 1_500,
            max_open_interest: old.max_open_interest / 10,
            oracle_max_age_secs: 10,
            ..old
        };
        let rebased = rebase_queued(&old, &emergency, &queued);
        assert_eq!(rebased, MarketParams { taker_fee_bps: 7, ..emergency });
        assert!(first_loosening(&emergency, &rebased) == Some("taker_fee_bps"), "only what was queued changes");
        // A tightening announced with the queue survives a smaller one made at once (the second review).
        let package = MarketParams { max_open_interest: old.max_open_interest * 2, initial_margin_bps: 2_000, ..old };
        let nudge = MarketParams { initial_margin_bps: 1_001, ..old };
        assert_eq!(rebase_queued(&old, &nudge, &package), package);
    }

    #[test]
    fn tightening_applies_at_once_and_loosening_waits() {
        let old = sample();
        let mut tighter = old;
        tighter.initial_margin_bps += 100;
        tighter.max_open_interest /= 2;
        tighter.oracle_max_age_secs -= 10;
        assert!(applies_at_once(&old, &tighter));

        struct Loosening {
            change: fn(&mut MarketParams),
            field: &'static str,
        }
        let cases = [
            Loosening { change: |p| p.initial_margin_bps -= 1, field: "initial_margin_bps" },
            Loosening { change: |p| p.max_open_interest += 1, field: "max_open_interest" },
            Loosening { change: |p| p.oracle_max_age_secs += 1, field: "oracle_max_age_secs" },
            Loosening { change: |p| p.funding_cap_ppm -= 1, field: "funding_cap_ppm" },
            Loosening { change: |p| p.taker_fee_bps += 1, field: "taker_fee_bps" },
            Loosening { change: |p| p.fund_draw_cap += 1, field: "fund_draw_cap" },
        ];
        for case in cases {
            let mut new = old;
            (case.change)(&mut new);
            assert_eq!(first_loosening(&old, &new), Some(case.field));
        }
        assert!(timelock_change_applies_at_once(3_600, 7_200));
        assert!(!timelock_change_applies_at_once(7_200, 3_600));
    }
}
