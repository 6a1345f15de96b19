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
//! A refresh older than [`CONTROLS_MAX_AGE_SECS`] is not trusted, nor one whose price the market has since left by
//! half its shock floor or more (a gap moves adequacy before any refresh reads it): the trade then gives the fund its
//! largest share ([`RefreshedControls::cautious_fund_share_bps`], the share with nothing covered). A market nobody
//! keeps, or one gapping between refreshes, errs toward the fund; the trader pays the same fee either way. A
//! parameter change voids the stored share (it was worked out under the old parameters).
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

crate::idl_struct! {
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
        /// The market's last price at the refresh, the one adequacy was read at. precision: PRICE_PRECISION.
        pub price: i64,
    }
}

const _: () = assert!(core::mem::size_of::<RefreshedControls>() == 32);

impl RefreshedControls {
    /// The share for this coverage and adequacy (see [`dynamic_fund_share_bps`]), read at `price`, and the fee at
    /// variance rate `variance_rate`, stamped `now`.
    pub fn worked_out(
        params: &MarketParams,
        at: RefreshPoint,
        coverage_bps: u64,
        adequacy_bps: u64,
    ) -> MathResult<Self> {
        Ok(Self {
            refreshed_at: at.now,
            fund_share_bps: dynamic_fund_share_bps(params, coverage_bps, adequacy_bps)?,
            taker_fee_bps: taker_fee_at_rate(params, at.variance_rate)?,
            fee_variance_rate: at.variance_rate,
            price: at.price,
        })
    }

    /// Whether a trade at `now`, at the market's last price `price`, may read the stored share: refreshed, at most
    /// [`CONTROLS_MAX_AGE_SECS`] ago, and the price within half the shock floor of the refresh's (`|Δ| × 20 000 ≤
    /// refresh price × floor`, so no division).
    #[inline]
    pub fn trusted_at(&self, params: &MarketParams, price: i64, now: i64) -> bool {
        if self.refreshed_at == 0 || now.saturating_sub(self.refreshed_at) > CONTROLS_MAX_AGE_SECS {
            return false;
        }
        let (moved, base, floor) =
            (price.abs_diff(self.price), self.price.unsigned_abs(), params.stress_shock_floor_bps);
        // Where both products fit in 64 bits (moved < 2⁴⁸ times 20 000 < 2¹⁵, base < 2⁴⁹ times a floor ≤ 10 000 <
        // 2¹⁴: every real price), native multiplies; on SBF the 128-bit ones are a routine each (~55 units).
        if moved < 1 << 48 && base < 1 << 49 && floor <= 10_000 {
            return moved.wrapping_mul(20_000) <= base.wrapping_mul(u64::from(floor));
        }
        u128::from(moved) * 20_000 <= u128::from(base) * u128::from(floor)
    }

    /// The largest share these parameters allow: the one with nothing covered.
    pub fn cautious_fund_share_bps(params: &MarketParams) -> MathResult<u32> {
        dynamic_fund_share_bps(params, 0, 0)
    }

    /// The taker fee at variance rate `rate`: the stored one when it was worked out at that rate (under these
    /// parameters: a parameter change voids the store), else worked out afresh.
    #[inline]
    pub fn taker_fee_bps_at(&self, params: &MarketParams, rate: u64) -> MathResult<u32> {
        if self.refreshed_at != 0 && self.fee_variance_rate == rate {
            return Ok(self.taker_fee_bps);
        }
        taker_fee_at_rate(params, rate)
    }

    /// What a trade pays at the market's state `at` (its variance rate and last price as the trade's own print
    /// leaves them) and what of it goes to the fund: the stored share while trusted, the cautious one after.
    #[inline]
    pub fn for_trade(&self, params: &MarketParams, at: RefreshPoint, reduce_only: bool) -> MathResult<TradeControls> {
        let fund_share_bps = if self.trusted_at(params, at.price, at.now) {
            self.fund_share_bps
        } else {
            Self::cautious_fund_share_bps(params)?
        };
        let taker_fee_bps = self.taker_fee_bps_at(params, at.variance_rate)?;
        Ok(TradeControls { taker_fee_bps, fund_share_bps, reduce_only })
    }
}

/// The market's state the controls are read or worked out at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefreshPoint {
    /// `VarianceEstimate::rate`.
    pub variance_rate: u64,
    /// The market's last price. precision: PRICE_PRECISION.
    pub price: i64,
    /// Unix seconds.
    pub now: i64,
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

    /// The market's state at `now`: a 2 % hourly volatility (a rate of 1.111e11 per 10¹⁸ per second over the hour's
    /// window, +2 bps on the 10 base) at a price of 100.
    fn point(now: i64) -> RefreshPoint {
        RefreshPoint { variance_rate: 111_111_111_111, price: 100_000_000, now }
    }

    #[test]
    fn a_fresh_share_is_read_and_a_stale_one_gives_way_to_the_cautious() {
        let params = dynamic_params();
        let stored = RefreshedControls::worked_out(&params, point(1_000), 10_000, 20_000).unwrap();
        assert_eq!((stored.fund_share_bps, stored.taker_fee_bps), (3_000, 12));
        let read = stored.for_trade(&params, point(1_000 + CONTROLS_MAX_AGE_SECS), false).unwrap();
        assert_eq!((read.taker_fee_bps, read.fund_share_bps, read.reduce_only), (12, 3_000, false));
        let stale = stored.for_trade(&params, point(1_001 + CONTROLS_MAX_AGE_SECS), true).unwrap();
        assert_eq!((stale.taker_fee_bps, stale.fund_share_bps, stale.reduce_only), (12, 8_000, true), "same fee");
        let never = RefreshedControls::default().for_trade(&params, point(5), false).unwrap();
        assert_eq!((never.taker_fee_bps, never.fund_share_bps), (12, 8_000), "never refreshed: cautious share");
        let faster = RefreshPoint { variance_rate: 4 * point(0).variance_rate, ..point(1_000) };
        let moved = stored.for_trade(&params, faster, false).unwrap();
        assert_eq!(moved.taker_fee_bps, 14, "the variance moved since: the fee worked out afresh (4 %)");
        let calm = RefreshPoint { variance_rate: 0, ..point(1_000) };
        let voided = RefreshedControls::default().for_trade(&params, calm, false).unwrap();
        assert_eq!(voided.taker_fee_bps, 10, "a voided store's zeros are not a fee of 0 at rate 0");
    }

    #[test]
    fn a_gap_of_half_the_shock_floor_since_the_refresh_gives_the_fund_the_cautious_share() {
        let params = dynamic_params();
        assert_eq!(params.stress_shock_floor_bps, 1_000, "a 10 % floor: the share is trusted within 5 %");
        let stored = RefreshedControls::worked_out(&params, point(1_000), 10_000, 20_000).unwrap();
        for (price, share) in [(105_000_000, 3_000), (95_000_000, 3_000), (105_000_001, 8_000), (94_999_999, 8_000)] {
            let read = stored.for_trade(&params, RefreshPoint { price, ..point(1_010) }, false).unwrap();
            assert_eq!((read.fund_share_bps, read.taker_fee_bps), (share, 12), "at {price}");
        }
    }

    #[test]
    fn a_market_whose_share_cannot_move_gives_its_base_share_either_way() {
        let mut params = dynamic_params();
        params.fund_share_max_bps = params.fee_fund_share_bps;
        assert!(!fund_share_moves(&params));
        assert_eq!(RefreshedControls::cautious_fund_share_bps(&params).unwrap(), params.fee_fund_share_bps);
    }

    proptest! {
        /// The cautious share gives the fund at least the share of any state; a trade reads the stored share exactly
        /// while it is fresh and the price within half the floor of the refresh's, the cautious one otherwise; and
        /// the trade's fee is the one its variance rate sets, stored or not, trusted or not.
        #[test]
        fn the_cautious_share_bounds_every_state(
            base_share in 0u32..5_000, extra_share in 0u32..5_000, coverage_target in 0u32..2_000,
            volatility in 0u64..10_000_000, coverage in 0u64..20_000, adequacy in 0u64..40_000,
            age in 0i64..200, stored_rate in 0u64..1_000_000_000_000, same_rate in any::<bool>(),
            price_move in -10_000_000i64..10_000_000,
        ) {
            let mut params = dynamic_params();
            (params.fee_fund_share_bps, params.fee_lp_share_bps, params.fee_treasury_share_bps) =
                (base_share, 10_000 - base_share, 0);
            (params.fund_share_max_bps, params.coverage_target_bps) = (base_share + extra_share, coverage_target);
            params.fee_vol_coefficient = u32::try_from(volatility % 5_000).unwrap();
            let stored = RefreshedControls::worked_out(
                &params,
                RefreshPoint { variance_rate: stored_rate, price: 100_000_000, now: 1_000 },
                coverage,
                adequacy,
            )
            .unwrap();
            let cautious = RefreshedControls::cautious_fund_share_bps(&params).unwrap();
            prop_assert!(cautious >= stored.fund_share_bps);
            let rate = if same_rate { stored_rate } else { volatility.saturating_mul(1_000) };
            let at = RefreshPoint { variance_rate: rate, price: 100_000_000 + price_move, now: 1_000 + age };
            let read = stored.for_trade(&params, at, false).unwrap();
            prop_assert_eq!(read.taker_fee_bps, taker_fee_at_rate(&params, rate).unwrap(), "the fee of the rate");
            let trusted = age <= CONTROLS_MAX_AGE_SECS && price_move.abs() <= 5_000_000;
            prop_assert_eq!(read.fund_share_bps, if trusted { stored.fund_share_bps } else { cautious });
            // The 64-bit fast path is the 128-bit definition, at every scale of price and move.
            for (refreshed_price, price) in [(100_000_000, 100_000_000 + price_move), (i64::MAX / 3, i64::MAX / 3 - price_move), (1i64 << 50, (1i64 << 50) + (price_move << 20))] {
                let stored = RefreshedControls { price: refreshed_price, ..stored };
                let defined = u128::from(price.abs_diff(refreshed_price)) * 20_000
                    <= u128::from(refreshed_price.unsigned_abs()) * u128::from(params.stress_shock_floor_bps);
                prop_assert_eq!(stored.trusted_at(&params, price, 1_000), defined);
            }
        }
    }
}
