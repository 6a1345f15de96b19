//! Which parameter changes may apply at once and which wait for the timelock. A change applies at once only when
//! every field it moves, moves in that field's safe direction, within that field's limit:
//!
//! - whatever moves value between parties (fees and their split, the penalty and the liquidator's share, funding
//!   rates and depth, the execution spread, the fund's draw cap and window, the dynamic fund share) always waits:
//!   applied at once it would be an instant transfer;
//! - margins always wait: a maintenance rise makes healthy accounts liquidatable in the same transaction (and
//!   hands the penalty to whoever liquidates them), an initial-margin rise enlarges every liquidation's close and
//!   penalty (its target sits between the two). The emergency tool for new risk is the guardian's reduce-only;
//! - tightenings that could freeze a market or its exits (minimum order, the oracle bounds, the LP exit delay)
//!   move at once by at most one bounded step per [`STEP_WINDOW_SECS`], and the oracle bounds never below a floor
//!   (lower would refuse every read, liquidations included);
//! - the rest (caps down, fresher fills down to their bound) applies at once.

use crate::params::MarketParams;

/// Stepped tightenings (minimum order, LP exit delay, oracle bounds) take at most one step at once per this window.
pub const STEP_WINDOW_SECS: i64 = 86_400;
/// Every market parameter with its rule, generated from the one table in `params`, and the rules' vocabulary.
pub use crate::params::{Rule, Safe, MIN_IMMEDIATE_ORACLE_AGE_SECS, MIN_IMMEDIATE_ORACLE_CONF_BPS, RULES};

/// Whether `rule` lets its field move from `before` to `after` at once. `step_ready`: no stepped tightening was
/// applied at once within the last [`STEP_WINDOW_SECS`].
fn moves_safely(rule: &Rule, before: u64, after: u64, step_ready: bool) -> bool {
    if after == before {
        return true;
    }
    match rule.safe {
        Safe::Up => after > before,
        Safe::Down => after < before,
        Safe::DownToHalf(floor) => step_ready && after < before && after >= floor && after.saturating_mul(2) >= before,
        Safe::UpToDouble => step_ready && after > before && after <= before.saturating_mul(2),
        Safe::Never => false,
    }
}

/// The first parameter `new` moves in a way that needs the timelock, if any.
pub fn first_loosening(old: &MarketParams, new: &MarketParams, step_ready: bool) -> Option<&'static str> {
    RULES.iter().find_map(|rule| {
        let (before, after) = ((rule.read)(old), (rule.read)(new));
        (!moves_safely(rule, before, after, step_ready)).then_some(rule.name)
    })
}

/// Whether `new` may replace `old` at once.
pub fn applies_at_once(old: &MarketParams, new: &MarketParams, step_ready: bool) -> bool {
    first_loosening(old, new, step_ready).is_none()
}

/// Whether a change applied at once took a step (so the next one waits a window).
pub fn takes_a_step(old: &MarketParams, new: &MarketParams) -> bool {
    RULES
        .iter()
        .any(|rule| matches!(rule.safe, Safe::UpToDouble | Safe::DownToHalf(_)) && (rule.read)(old) != (rule.read)(new))
}

/// Whether a stepped tightening may apply at once at `now`, the last one having applied at `last_step_at`.
pub fn step_ready(last_step_at: i64, now: i64) -> bool {
    last_step_at == 0 || now.saturating_sub(last_step_at) >= STEP_WINDOW_SECS
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
                Safe::Up | Safe::UpToDouble => now.max(announced),
                Safe::Down | Safe::DownToHalf(_) => now.min(announced),
                // Such a field never changes at once.
                Safe::Never => announced,
            };
            (rule.write)(&mut rebased, safer);
        }
    }
    rebased
}

/// The timelock delay itself: lowering it loosens.
pub fn timelock_change_applies_at_once(old_delay: i64, new_delay: i64) -> bool {
    new_delay >= old_delay
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::tests::sample;

    #[test]
    fn every_field_has_a_rule() {
        // MarketParams is 4 u64 fields and 30 u32 fields: 34 rules.
        let fields = (core::mem::size_of::<MarketParams>() - 4 * 8) / 4 + 4;
        assert_eq!(RULES.len(), fields);
    }

    #[test]
    fn an_immediate_tightening_survives_a_queued_set() {
        let old = sample();
        // Queued: a fee change (never at once), made when IMR was 1,000.
        let queued = MarketParams { taker_fee_bps: 7, ..old };
        let emergency = MarketParams {
            min_order_size: old.min_order_size * 2,
            max_open_interest: old.max_open_interest / 10,
            oracle_max_age_secs: 20,
            ..old
        };
        assert!(applies_at_once(&old, &emergency, true));
        let rebased = rebase_queued(&old, &emergency, &queued);
        assert_eq!(rebased, MarketParams { taker_fee_bps: 7, ..emergency });
        assert!(first_loosening(&emergency, &rebased, true) == Some("taker_fee_bps"), "only what was queued changes");
        // A tightening announced with the queue survives a smaller one made at once (the second review).
        let package = MarketParams {
            max_open_interest: old.max_open_interest * 2,
            min_order_size: old.min_order_size * 4,
            ..old
        };
        let nudge = MarketParams { min_order_size: old.min_order_size + 1, ..old };
        assert_eq!(rebase_queued(&old, &nudge, &package), package);
    }

    #[test]
    fn tightening_applies_at_once_and_loosening_waits() {
        let old = sample();
        let mut tighter = old;
        tighter.max_open_interest /= 2;
        tighter.oracle_max_age_secs -= 10;
        assert!(applies_at_once(&old, &tighter, true));
        assert!(takes_a_step(&old, &tighter));

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
            assert_eq!(first_loosening(&old, &new, true), Some(case.field));
        }
        assert!(timelock_change_applies_at_once(3_600, 7_200));
        assert!(!timelock_change_applies_at_once(7_200, 3_600));
    }

    /// The review's F4: "tightenings" that move value or freeze a market used to apply at once.
    #[test]
    fn f4_value_moving_changes_wait_and_safety_tightenings_are_stepped_and_floored() {
        let old = sample(); // IMR 1 000, MMR 500, conf 200, age 30, liquidation age 20, min order 0.001, delay 60
                            // IMR 10 000 / MMR 9 999 would fully liquidate a healthy 2x long in one transaction: it waits.
        let freeze = MarketParams { initial_margin_bps: 10_000, maintenance_margin_bps: 9_999, ..old };
        assert_eq!(first_loosening(&old, &freeze, true), Some("initial_margin_bps"));
        // Margins never move at once, by however little (reviews of this fix: +2 500 on maintenance liquidated
        // every account above 3.3x; +500 on initial margin enlarged a liquidation's penalty by 31 %).
        for margins in
            [MarketParams { maintenance_margin_bps: 501, ..old }, MarketParams { initial_margin_bps: 1_001, ..old }]
        {
            assert!(first_loosening(&old, &margins, true).is_some());
        }
        // Minimum order and exit delay: at most double at once; a second step within the day waits.
        let doubled = MarketParams { min_order_size: old.min_order_size * 2, lp_exit_delay_secs: 120, ..old };
        assert!(applies_at_once(&old, &doubled, true));
        assert_eq!(first_loosening(&old, &doubled, false), Some("min_order_size"));
        assert!(step_ready(0, 1) && !step_ready(1_000, 1_000 + 86_399) && step_ready(1_000, 1_000 + 86_400));
        let tripled = MarketParams { min_order_size: old.min_order_size * 3, ..old };
        assert_eq!(first_loosening(&old, &tripled, true), Some("min_order_size"));
        let week = MarketParams { lp_exit_delay_secs: 7 * 86_400, ..old };
        assert_eq!(first_loosening(&old, &week, true), Some("lp_exit_delay_secs"));
        // Oracle bounds: at most halved at once, never below 1 % / 10 s (1 bps made every read fail).
        let blind = MarketParams { oracle_max_conf_bps: 1, ..old };
        assert_eq!(first_loosening(&old, &blind, true), Some("oracle_max_conf_bps"));
        let halved = MarketParams { oracle_max_conf_bps: 100, oracle_max_age_secs: 20, ..old };
        assert!(applies_at_once(&old, &halved, true));
        let quick = MarketParams { oracle_max_age_secs: 14, ..old };
        assert_eq!(first_loosening(&old, &quick, true), Some("oracle_max_age_secs"));
        let wide = MarketParams { oracle_max_conf_bps: 1_000, ..old };
        assert!(applies_at_once(&wide, &MarketParams { oracle_max_conf_bps: 500, ..wide }, true));
        assert_eq!(
            first_loosening(&wide, &MarketParams { oracle_max_conf_bps: 100, ..wide }, true),
            Some("oracle_max_conf_bps"),
            "a feed that normally prints at 1.2–3 % would go blind"
        );
        let slow = MarketParams { liquidation_max_age_secs: 9, ..old };
        assert_eq!(first_loosening(&old, &slow, true), Some("liquidation_max_age_secs"));
        // Value transfers wait in both directions.
        type Change = fn(&mut MarketParams);
        let transfers: [(Change, &str); 12] = [
            (|p| p.funding_cap_ppm += 1, "funding_cap_ppm"),
            (|p| p.funding_coefficient_ppm += 1, "funding_coefficient_ppm"),
            (|p| p.funding_depth -= 1, "funding_depth"),
            (|p| p.exec_conf_scale_bps += 1, "exec_conf_scale_bps"),
            (|p| (p.fee_lp_share_bps, p.fee_fund_share_bps) = (3_000, 6_000), "fee_fund_share_bps"),
            (|p| p.fund_draw_cap -= 1, "fund_draw_cap"),
            (|p| p.liquidator_reward_share_bps -= 1, "liquidator_reward_share_bps"),
            (|p| p.coverage_target_bps += 1, "coverage_target_bps"),
            // The stress parameters set the fee split through adequacy (the review's M4): raising them waits too.
            (|p| p.stress_shock_floor_bps += 1, "stress_shock_floor_bps"),
            (|p| p.stress_shock_cap_bps += 1, "stress_shock_cap_bps"),
            (|p| p.stress_sigmas_tenths += 1, "stress_sigmas_tenths"),
            (|p| p.stress_horizon_secs += 1, "stress_horizon_secs"),
        ];
        for (change, field) in transfers {
            let mut new = old;
            change(&mut new);
            assert_eq!(first_loosening(&old, &new, true), Some(field));
        }
    }
}
