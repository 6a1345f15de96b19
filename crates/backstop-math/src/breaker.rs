//! The parametric circuit breaker: reduce-only while the price moved too far within a window, or while the
//! oracle's confidence stays too wide, until a calm cooldown passes.

use crate::dynamic::{scale, to_u64_wide, Rounding, BPS};
use crate::error::MathResult;
use crate::oracle::OraclePrice;
use crate::params::MarketParams;

/// The confidence trigger needs wide prints spanning at least this long in publish time: one wide print, which
/// anyone may post on a pull feed (or re-read later), is not enough to stop a market's trading.
pub const BREAKER_CONF_PERSIST_SECS: i64 = 10;

/// The circuit breaker's memory, kept in the market.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct Breaker {
    /// Price at the start of the current move window, and when that window opened.
    pub reference_price: i64,
    pub reference_time: i64,
    /// Last time a trigger fired (0: never); the breaker holds reduce-only until `cooldown` after it.
    pub last_trigger_time: i64,
    /// 1 while tripped.
    pub tripped: u64,
    /// Publish time of the first print of the current run of too-wide confidence (0: the last was narrow).
    pub wide_since: i64,
}

/// A breaker observation's result, for events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BreakerObservation {
    pub breaker: Breaker,
    /// The move over the window, bps, and the confidence ratio, bps.
    pub move_bps: u64,
    pub conf_bps: u64,
    pub tripped_now: bool,
    pub cleared_now: bool,
}

impl Breaker {
    /// Observes a print at `now`: trips when the move since the window opened exceeds its bound, or when the
    /// confidence ratio has exceeded its bound on prints spanning [`BREAKER_CONF_PERSIST_SECS`] of publish time;
    /// clears after `breaker_cooldown_secs` without a trigger.
    pub fn observe(&self, print: &OraclePrice, now: i64, params: &MarketParams) -> MathResult<BreakerObservation> {
        let (price, conf) = (print.price, print.conf);
        let mut next = *self;
        if next.reference_time == 0 || now.saturating_sub(next.reference_time) > i64::from(params.breaker_window_secs) {
            next.reference_price = price;
            next.reference_time = now;
        }
        let bps_of = |part: u64, whole: i64| -> MathResult<u64> {
            if whole <= 0 {
                return Ok(0);
            }
            to_u64_wide(scale(part, BPS, whole.unsigned_abs(), Rounding::Down)?)
        };
        let move_bps = bps_of(price.abs_diff(next.reference_price), next.reference_price)?;
        let conf_bps = bps_of(conf.max(0).unsigned_abs(), price)?;
        let wide = params.breaker_conf_bps > 0 && conf_bps > u64::from(params.breaker_conf_bps);
        next.wide_since = match (wide, next.wide_since) {
            (false, _) => 0,
            (true, 0) => print.publish_time,
            (true, since) => since,
        };
        let persistently_wide = wide && print.publish_time.saturating_sub(next.wide_since) >= BREAKER_CONF_PERSIST_SECS;
        let triggered =
            (params.breaker_move_bps > 0 && move_bps > u64::from(params.breaker_move_bps)) || persistently_wide;
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

    fn print(price: i64, conf: i64, publish_time: i64) -> OraclePrice {
        OraclePrice { price, conf, publish_time }
    }

    #[test]
    fn breaker_trips_on_a_move_or_persistent_uncertainty_and_clears_after_calm() {
        let params = sample(); // move 15 % over 600 s, conf 1 %, cooldown 1 800 s
        let calm = Breaker::default().observe(&print(100_000_000, 100_000, 1_000), 1_000, &params).unwrap();
        assert!(!calm.tripped_now && calm.breaker.tripped == 0);
        let crash = calm.breaker.observe(&print(84_000_000, 100_000, 1_300), 1_300, &params).unwrap();
        assert!(crash.tripped_now);
        assert_eq!(crash.move_bps, 1_600);
        let still = crash.breaker.observe(&print(84_000_000, 100_000, 3_099), 1_300 + 1_799, &params).unwrap();
        assert_eq!(still.breaker.tripped, 1);
        let cleared = crash.breaker.observe(&print(84_000_000, 100_000, 3_100), 1_300 + 1_800, &params).unwrap();
        assert!(cleared.cleared_now);
        // Confidence above 1 % on prints spanning 10 s of publish time trips it.
        let wide = cleared.breaker.observe(&print(84_000_000, 900_000, 3_200), 3_200, &params).unwrap();
        assert!(!wide.tripped_now, "one wide print is not enough");
        let wider = wide.breaker.observe(&print(84_000_000, 900_000, 3_210), 3_210, &params).unwrap();
        assert!(wider.tripped_now, "still wide 10 s later");
    }

    /// Breaker griefing: on a pull feed anyone may post a wide-confidence print, and re-read it later.
    #[test]
    fn one_wide_print_posted_and_re_read_cannot_trip_it() {
        let params = sample();
        let start = Breaker::default().observe(&print(100_000_000, 100_000, 1_000), 1_000, &params).unwrap();
        let wide = print(100_000_000, 900_000, 1_005);
        let posted = start.breaker.observe(&wide, 1_005, &params).unwrap();
        let re_read = posted.breaker.observe(&wide, 1_030, &params).unwrap();
        assert_eq!((posted.breaker.tripped, re_read.breaker.tripped), (0, 0));
        // A narrow print in between resets the run.
        let narrow = re_read.breaker.observe(&print(100_000_000, 100_000, 1_010), 1_031, &params).unwrap();
        let wide_again = narrow.breaker.observe(&print(100_000_000, 900_000, 1_016), 1_032, &params).unwrap();
        assert_eq!(wide_again.breaker.tripped, 0, "6 s of wide prints since the last narrow one");
    }
}
