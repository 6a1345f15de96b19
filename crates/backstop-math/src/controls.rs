//! The fund's share of fees a trade reads, worked out ahead of it.
//!
//! A trade's fee follows the market's volatility (a square root, worked out at the variance the trade's own print
//! leaves; the refresh keeps the fee of the variance it saw, which the trade reuses while the variance has not
//! moved since), and the fund's share of that fee follows the fund's coverage and adequacy (the fund's balance against
//! the crash deficit the market's bankruptcy book holds at the target shock). The share takes a second square root
//! and a walk of the book: about 1,650 compute units, a sixth of a trade's budget. So the market works it out when
//! it is refreshed (`refresh_market`: the keeper sends it every round, and anyone may send it, also in front of their
//! own trade in the same transaction), stores it, and a trade reads what was stored.
//!
//! A refresh older than [`CONTROLS_MAX_AGE_SECS`] is not trusted: the trade then gives the fund its largest share
//! ([`RefreshedControls::cautious_fund_share_bps`], the share with nothing covered). A market nobody keeps errs toward
//! the fund; the trader pays the same fee either way. A parameter change voids the stored share (it was worked out
//! under the old parameters).
//!
//! What a refresher can bend: the state it is read in. The stored share is that of the market's real state at the
//! refresh, but a state can be held for one transaction at no cost: a withdrawal beside a position raises the
//! crash deficit and a deposit lowers it, and either can be undone after the refresh in the same transaction. The
//! split of the fees of every trade until the next refresh then follows that state: between the fund's base share
//! and its maximum, moved from the LPs to the fund or back. The keeper's next refresh (every round) restores the
//! real state's share, so holding it takes a refresh after every one of the keeper's.

use crate::dynamic::{dynamic_fund_share_bps, taker_fee_at_rate};
use crate::error::MathResult;
use crate::ledger::TradeControls;
use crate::params::MarketParams;

/// How long a stored share is trusted, in seconds: several keeper rounds, and short against how fast a fund's
/// adequacy moves.
pub const CONTROLS_MAX_AGE_SECS: i64 = 60;

/// The fund's share as last worked out, and when.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct RefreshedControls {
    /// Unix seconds of the refresh; 0: never refreshed (or voided by a parameter change).
    pub refreshed_at: i64,
    /// The dynamic fund share of fees at the refresh, bps.
    pub fund_share_bps: u32,
    /// The taker fee at `fee_variance_rate`, bps: a trade at that same rate need not take the square root again.
    pub taker_fee_bps: u32,
    /// The variance rate the refresh saw (`VarianceEstimate::rate`).
    pub fee_variance_rate: u64,
}

const _: () = assert!(core::mem::size_of::<RefreshedControls>() == 24);

impl RefreshedControls {
    /// The share for this coverage and adequacy (see [`dynamic_fund_share_bps`]) and the fee at variance rate
    /// `variance_rate`, stamped `now`.
    pub fn worked_out(
        params: &MarketParams,
        variance_rate: u64,
        coverage_bps: u64,
        adequacy_bps: u64,
        now: i64,
    ) -> MathResult<Self> {
        Ok(Self {
            refreshed_at: now,
            fund_share_bps: dynamic_fund_share_bps(params, coverage_bps, adequacy_bps)?,
            taker_fee_bps: taker_fee_at_rate(params, variance_rate)?,
            fee_variance_rate: variance_rate,
        })
    }

    /// Whether a trade at `now` may read it.
    pub fn fresh_at(&self, now: i64) -> bool {
        self.refreshed_at != 0 && now.saturating_sub(self.refreshed_at) <= CONTROLS_MAX_AGE_SECS
    }

    /// The largest share these parameters allow: the one with nothing covered.
    pub fn cautious_fund_share_bps(params: &MarketParams) -> MathResult<u32> {
        dynamic_fund_share_bps(params, 0, 0)
    }

    /// The taker fee at variance rate `rate`: the stored one when it was worked out at that rate (under these
    /// parameters: a parameter change voids the store), else worked out afresh.
    pub fn taker_fee_bps_at(&self, params: &MarketParams, rate: u64) -> MathResult<u32> {
        if self.refreshed_at != 0 && self.fee_variance_rate == rate {
            return Ok(self.taker_fee_bps);
        }
        taker_fee_at_rate(params, rate)
    }

    /// What a trade at `now` pays at variance rate `rate` (as the trade's own print leaves it) and what of it goes
    /// to the fund: the stored share while fresh, the cautious one after.
    pub fn for_trade(
        &self,
        params: &MarketParams,
        rate: u64,
        now: i64,
        reduce_only: bool,
    ) -> MathResult<TradeControls> {
        let fund_share_bps =
            if self.fresh_at(now) { self.fund_share_bps } else { Self::cautious_fund_share_bps(params)? };
        Ok(TradeControls { taker_fee_bps: self.taker_fee_bps_at(params, rate)?, fund_share_bps, reduce_only })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dynamic::fund_share_moves;
    use crate::params::tests::sample;
    use proptest::prelude::*;

    fn dynamic_params() -> MarketParams {
        let mut params = sample();
        (params.fee_floor_bps, params.taker_fee_bps, params.fee_cap_bps, params.fee_vol_coefficient) =
            (5, 10, 50, 1_000);
        (params.fee_fund_share_bps, params.fee_lp_share_bps, params.fee_treasury_share_bps) = (3_000, 6_000, 1_000);
        (params.fund_share_max_bps, params.coverage_target_bps) = (8_000, 500);
        params
    }

    #[test]
    fn a_fresh_share_is_read_and_a_stale_one_gives_way_to_the_cautious() {
        let params = dynamic_params();
        // A rate of 1.111e11 per 10¹⁸ per second over the hour's window: 2 % volatility, +2 bps on the 10 base.
        let rate = 111_111_111_111;
        let stored = RefreshedControls::worked_out(&params, rate, 10_000, 20_000, 1_000).unwrap();
        assert_eq!((stored.fund_share_bps, stored.taker_fee_bps), (3_000, 12));
        let read = stored.for_trade(&params, rate, 1_000 + CONTROLS_MAX_AGE_SECS, false).unwrap();
        assert_eq!((read.taker_fee_bps, read.fund_share_bps, read.reduce_only), (12, 3_000, false));
        let stale = stored.for_trade(&params, rate, 1_001 + CONTROLS_MAX_AGE_SECS, true).unwrap();
        assert_eq!((stale.taker_fee_bps, stale.fund_share_bps, stale.reduce_only), (12, 8_000, true), "same fee");
        let never = RefreshedControls::default().for_trade(&params, rate, 5, false).unwrap();
        assert_eq!((never.taker_fee_bps, never.fund_share_bps), (12, 8_000), "never refreshed: cautious share");
        let moved = stored.for_trade(&params, 4 * rate, 1_000, false).unwrap();
        assert_eq!(moved.taker_fee_bps, 14, "the variance moved since: the fee worked out afresh (4 %)");
        let voided = RefreshedControls::default().for_trade(&params, 0, 1_000, false).unwrap();
        assert_eq!(voided.taker_fee_bps, 10, "a voided store's zeros are not a fee of 0 at rate 0");
    }

    #[test]
    fn a_market_whose_share_cannot_move_gives_its_base_share_either_way() {
        let mut params = dynamic_params();
        params.fund_share_max_bps = params.fee_fund_share_bps;
        assert!(!fund_share_moves(&params));
        assert_eq!(RefreshedControls::cautious_fund_share_bps(&params).unwrap(), params.fee_fund_share_bps);
    }

    proptest! {
        /// The cautious share gives the fund at least the share of any state, and the trade's fee is the one its
        /// variance rate sets, stored or not, fresh or not.
        #[test]
        fn the_cautious_share_bounds_every_state(
            base_share in 0u32..5_000, extra_share in 0u32..5_000, coverage_target in 0u32..2_000,
            volatility in 0u64..10_000_000, coverage in 0u64..20_000, adequacy in 0u64..40_000,
            age in 0i64..200, stored_rate in 0u64..1_000_000_000_000, same_rate in any::<bool>(),
        ) {
            let mut params = dynamic_params();
            (params.fee_fund_share_bps, params.fee_lp_share_bps, params.fee_treasury_share_bps) =
                (base_share, 10_000 - base_share, 0);
            (params.fund_share_max_bps, params.coverage_target_bps) = (base_share + extra_share, coverage_target);
            params.fee_vol_coefficient = u32::try_from(volatility % 5_000).unwrap();
            let stored = RefreshedControls::worked_out(&params, stored_rate, coverage, adequacy, 1_000).unwrap();
            prop_assert!(RefreshedControls::cautious_fund_share_bps(&params).unwrap() >= stored.fund_share_bps);
            let rate = if same_rate { stored_rate } else { volatility.saturating_mul(1_000) };
            let read = stored.for_trade(&params, rate, 1_000 + age, false).unwrap();
            prop_assert_eq!(read.taker_fee_bps, taker_fee_at_rate(&params, rate).unwrap(), "the fee of the rate");
            prop_assert!(read.fund_share_bps >= stored.fund_share_bps);
        }
    }
}
