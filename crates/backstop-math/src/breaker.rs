//! The parametric circuit breaker: reduce-only while the price moved too far within a window, or while the
//! publishers' average confidence is too wide, until a calm cooldown passes.

use crate::dynamic::{scale, to_u64_wide, Rounding, BPS};
use crate::error::MathResult;
use crate::params::MarketParams;

crate::idl_struct! {
    /// The circuit breaker's memory, kept in the market.
    #[repr(C)]
    #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, bytemuck::Pod, bytemuck::Zeroable)]
    pub struct Breaker {
        /// Price at the start of the current move window. precision: PRICE_PRECISION.
        pub reference_price: i64,
        /// Unix seconds at which that window opened (0: never).
        pub reference_time: i64,
        /// Last time a trigger fired (0: never); the breaker holds reduce-only until `cooldown` after it.
        pub last_trigger_time: i64,
        /// 1 while tripped.
        pub tripped: u64,
    }
}

/// A breaker observation's result, for events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BreakerObservation {
    pub breaker: Breaker,
    /// The move over the window, bps, and the uncertainty it was judged on, bps.
    pub move_bps: u64,
    pub conf_bps: u64,
    pub tripped_now: bool,
    pub cleared_now: bool,
}

impl Breaker {
    /// Observes a price at `now`: trips when the move since the window opened exceeds its bound, or when the
    /// publishers' uncertainty ([`crate::oracle_view::OracleView::uncertainty_bps`]: their average confidence,
    /// which no single print moves much, so one wide print posted by anyone cannot trip it) exceeds its bound;
    /// clears after `breaker_cooldown_secs` without a trigger.
    pub fn observe(
        &self,
        price: i64,
        uncertainty_bps: u64,
        now: i64,
        params: &MarketParams,
    ) -> MathResult<BreakerObservation> {
        let mut next = *self;
        if next.reference_time == 0 || now.saturating_sub(next.reference_time) > i64::from(params.breaker_window_secs) {
            next.reference_price = price;
            next.reference_time = now;
        }
        let move_bps = if next.reference_price > 0 {
            let change = price.abs_diff(next.reference_price);
            to_u64_wide(scale(change, BPS, next.reference_price.unsigned_abs(), Rounding::Down)?)?
        } else {
            0
        };
        let conf_bps = uncertainty_bps;
        let triggered = (params.breaker_move_bps > 0 && move_bps > u64::from(params.breaker_move_bps))
            || (params.breaker_conf_bps > 0 && conf_bps > u64::from(params.breaker_conf_bps));
        let was_tripped = next.tripped == 1;
        if triggered {
            next.last_trigger_time = now;
            next.tripped = 1;
        } else if was_tripped && now.saturating_sub(next.last_trigger_time) >= i64::from(params.breaker_cooldown_secs) {
            next.tripped = 0;
            // The move that tripped it is history: measure afresh from here.
            next.reference_price = price;
            next.reference_time = now;
        }
        Ok(BreakerObservation {
            breaker: next,
            move_bps,
            conf_bps,
            tripped_now: !was_tripped && next.tripped == 1,
            cleared_now: was_tripped && next.tripped == 0,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::tests::sample;

    #[test]
    fn breaker_trips_on_a_move_or_uncertainty_and_clears_after_calm() {
        let params = sample(); // move 15 % over 600 s, conf 1 %, cooldown 1 800 s
        let calm = Breaker::default().observe(100_000_000, 10, 1_000, &params).unwrap();
        assert!(!calm.tripped_now && calm.breaker.tripped == 0);
        let crash = calm.breaker.observe(84_000_000, 10, 1_300, &params).unwrap();
        assert!(crash.tripped_now);
        assert_eq!(crash.move_bps, 1_600);
        let still = crash.breaker.observe(84_000_000, 10, 1_300 + 1_799, &params).unwrap();
        assert_eq!(still.breaker.tripped, 1);
        let cleared = crash.breaker.observe(84_000_000, 10, 1_300 + 1_800, &params).unwrap();
        assert!(cleared.cleared_now);
        let uncertain = cleared.breaker.observe(84_000_000, 107, 3_200, &params).unwrap();
        assert!(uncertain.tripped_now, "the publishers' average confidence above 1 %");
    }
}
