//! What each action may do with a print, given how far it stands from the publishers' own EMA.
//!
//! A print beyond `oracle_max_ema_divergence_bps` of the EMA is either a genuine fast move the ~1-hour average has
//! not caught up with, or a manipulated one. Nothing on-chain can tell which, so the rule is per action:
//!
//! - **Adding risk or taking value out** (a risk-increasing fill, a withdrawal with a position, LP deposits and
//!   exits) can wait for the average: refused, [`OracleView::agreed`].
//! - **Liquidations, bankruptcy covers, funding and the market's memory** cannot wait: a real crash is exactly when
//!   they must run. They believe the print only as far as the band's edge, [`OracleView::believed`], with its
//!   confidence scaled to the edge: a pump can cost the fund no more than a print at the band's edge, which the
//!   guard lets through anyway. The price of it: in a real crash beyond the band, positions close at the band's
//!   floor, and the pool (their counterparty) forgoes the move beyond it.
//! - **A voluntary reduction** may always run, at the less favourable for its holder of the believed price and the
//!   EMA, [`OracleView::for_fill`]: a trader cannot realise a move the average has not confirmed, nor book a loss
//!   beyond the band (a one-print loss the fund would then cover), and can still get out.

use crate::constants::BPS_DENOMINATOR;
use crate::error::{MathError, MathResult};
use crate::price::OraclePrice;
use crate::safe_math::{mul_div_ceil, mul_div_floor, to_i64};

/// What a voluntary fill's print must meet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FillRules {
    /// Oldest print, seconds (pull feeds: the market's `fill_max_age_secs`; legacy feeds, where nobody chooses
    /// the print: the oracle's own bound).
    pub max_age_secs: u32,
    /// Widest confidence of a print that may add risk, bps of its price (the breaker's bound; 0: no check).
    pub max_conf_bps_to_add_risk: u32,
}

/// A validated print and its place relative to the publishers' EMA.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OracleView {
    /// The print as published (normalised). precision: PRICE_PRECISION.
    pub print: OraclePrice,
    /// The publishers' EMA (0 when the oracle publishes none or the guard is off). precision: PRICE_PRECISION.
    pub ema: i64,
    /// The band the guard believes, inclusive. precision: PRICE_PRECISION.
    pub band_low: i64,
    pub band_high: i64,
    /// The print lies outside the band.
    pub diverged: bool,
    /// How uncertain the publishers have been lately: their average confidence over their average price, bps (the
    /// print's own ratio when the oracle publishes no average). The breaker's confidence trigger reads this, so
    /// one wide print posted by anyone cannot trip it.
    pub uncertainty_bps: u64,
}

impl OracleView {
    /// A print inside its band (or with no EMA to compare with, or the guard off): every action takes it as it is.
    pub fn agreeing(print: OraclePrice, uncertainty_bps: u64) -> Self {
        Self { print, ema: 0, band_low: print.price, band_high: print.price, diverged: false, uncertainty_bps }
    }

    /// The print, for an action that adds risk or moves value out and can wait: refused while diverged.
    pub fn agreed(&self) -> MathResult<OraclePrice> {
        if self.diverged {
            return Err(MathError::OracleDivergedFromEma);
        }
        Ok(self.print)
    }

    /// The print believed only as far as the band's edge, for what cannot wait (liquidation, cover, funding) and
    /// for what the market remembers.
    pub fn believed(&self) -> MathResult<OraclePrice> {
        if !self.diverged {
            return Ok(self.print);
        }
        self.at(self.print.price.clamp(self.band_low.max(1), self.band_high))
    }

    /// Refused when the print is older than `max_age_secs` at `now`: on a pull feed anyone may post any verified
    /// update newer than the stored one, so whoever fills or liquidates must not choose among the prints of the
    /// last `oracle_max_age_secs` (F8: open at the best, close at the latest; liquidate on a wick since gone).
    /// Posting the latest update first always satisfies it.
    pub fn require_fresh(&self, now: i64, max_age_secs: u32) -> MathResult<()> {
        if now.saturating_sub(self.print.publish_time) > i64::from(max_age_secs) {
            return Err(MathError::OracleTooOldToFill);
        }
        Ok(())
    }

    /// The price a voluntary fill by the holder of `base` is made and checked at, from a print no older than the
    /// rules allow: the print for one that adds risk (refused while diverged, and while the print's own
    /// confidence is wider than the breaker's bound: the breaker reads the publishers' average, which a sudden
    /// spike moves slowly); for one that only reduces, while diverged, the less favourable for that holder of the
    /// band-clamped print and the EMA (a long sells at the lower, a short buys back at the higher).
    pub fn for_fill(&self, base: i64, adds_risk: bool, now: i64, rules: &FillRules) -> MathResult<OraclePrice> {
        self.require_fresh(now, rules.max_age_secs)?;
        if adds_risk {
            let widest = mul_div_floor(
                i128::from(self.print.price),
                i128::from(rules.max_conf_bps_to_add_risk),
                i128::from(BPS_DENOMINATOR),
            )?;
            if rules.max_conf_bps_to_add_risk > 0 && i128::from(self.print.conf) > widest {
                return Err(MathError::OracleUncertain);
            }
            return self.agreed();
        }
        if !self.diverged {
            return Ok(self.print);
        }
        // Clamped first: a reduction can book no loss beyond the band's edge, exactly like a liquidation (else one
        // print far out would let an account sink itself into a deficit the fund pays to the pool).
        let edge = self.print.price.clamp(self.band_low.max(1), self.band_high);
        let price = if base > 0 { edge.min(self.ema) } else { edge.max(self.ema) };
        self.at(price)
    }

    /// The print moved to `price`, its confidence scaled with it (the same share of the price, rounded up), and
    /// its publish time kept. Kept whole, a far print's confidence would push margin prices (`price ± conf`) well
    /// past the band's edge.
    fn at(&self, price: i64) -> MathResult<OraclePrice> {
        let conf = mul_div_ceil(i128::from(self.print.conf), i128::from(price), i128::from(self.print.price))?;
        let conf = to_i64(conf)?;
        if conf >= price {
            return Err(MathError::OracleUncertain);
        }
        Ok(OraclePrice { price, conf, publish_time: self.print.publish_time })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULES: FillRules = FillRules { max_age_secs: 5, max_conf_bps_to_add_risk: 100 };

    fn view(price: i64, ema: i64) -> OracleView {
        // A 20 % band around the EMA, as the guard builds it.
        let print = OraclePrice { price, conf: 50_000, publish_time: 1 };
        let diverged = (price - ema).abs() > ema / 5;
        OracleView { print, ema, band_low: ema - ema / 5, band_high: ema + ema / 5, diverged, uncertainty_bps: 5 }
    }

    #[test]
    fn inside_the_band_every_action_takes_the_print() {
        let v = view(115_000_000, 100_000_000);
        assert_eq!(v.agreed().map(|p| p.price), Ok(115_000_000));
        assert_eq!(v.believed().map(|p| p.price), Ok(115_000_000));
        assert_eq!(v.for_fill(5, false, 1, &RULES).map(|p| p.price), Ok(115_000_000));
        assert_eq!(v.for_fill(-5, false, 1, &RULES).map(|p| p.price), Ok(115_000_000));
    }

    #[test]
    fn a_crash_below_the_band_liquidates_at_its_floor_and_lets_holders_out() {
        // SOL 2025-10-10 shape: the print 25 % under an EMA that has not followed.
        let v = view(75_000_000, 100_000_000);
        assert_eq!(v.agreed(), Err(MathError::OracleDivergedFromEma));
        assert_eq!(v.believed().map(|p| p.price), Ok(80_000_000));
        assert_eq!(v.for_fill(5, true, 1, &RULES), Err(MathError::OracleDivergedFromEma));
        assert_eq!(
            v.for_fill(5, false, 1, &RULES).map(|p| p.price),
            Ok(80_000_000),
            "a long sells at the band's floor"
        );
        assert_eq!(v.for_fill(-5, false, 1, &RULES).map(|p| p.price), Ok(100_000_000), "a short buys back at the EMA");
    }

    #[test]
    fn a_pump_above_the_band_is_believed_to_its_edge_and_cannot_be_cashed() {
        let v = view(1_000_000_000, 100_000_000); // tenfold, the Mango shape
        assert_eq!(v.believed().map(|p| p.price), Ok(120_000_000));
        assert_eq!(v.for_fill(90, false, 1, &RULES).map(|p| p.price), Ok(100_000_000), "a long sells at the EMA");
        // The review of this rule: at the raw $1 000 print the short booked a $900-a-unit loss, a deficit the fund
        // covered to the pool's LPs. It buys back at the band's edge.
        assert_eq!(
            v.for_fill(-90, false, 1, &RULES).map(|p| p.price),
            Ok(120_000_000),
            "a short buys back at the edge"
        );
        assert_eq!(v.for_fill(-90, true, 1, &RULES), Err(MathError::OracleDivergedFromEma));
    }

    #[test]
    fn f8_every_fill_needs_a_fresh_print() {
        let v = view(100_000_000, 100_000_000); // published at t = 1
        assert_eq!(v.for_fill(5, true, 6, &RULES).map(|p| p.price), Ok(100_000_000), "5 s old: fresh enough");
        assert_eq!(v.for_fill(5, true, 7, &RULES), Err(MathError::OracleTooOldToFill));
        assert_eq!(
            v.for_fill(5, false, 7, &RULES),
            Err(MathError::OracleTooOldToFill),
            "a reduction too (a stale exit)"
        );
        assert_eq!(v.require_fresh(6, 5), Ok(()));
    }

    #[test]
    fn a_print_wider_than_the_breakers_bound_cannot_add_risk_but_can_reduce() {
        let mut v = view(100_000_000, 100_000_000);
        v.print.conf = 1_800_000; // 1.8 %: a spike the publishers' average has not caught
        assert_eq!(v.for_fill(5, true, 1, &RULES), Err(MathError::OracleUncertain));
        assert_eq!(v.for_fill(5, false, 1, &RULES).map(|p| p.price), Ok(100_000_000));
        let off = FillRules { max_conf_bps_to_add_risk: 0, ..RULES };
        assert!(v.for_fill(5, true, 1, &off).is_ok());
    }

    #[test]
    fn the_confidence_scales_with_the_clamp() {
        // $1 000 ± $19 clamped to $120: ± $2.28, not ± $19 (which put a short's margin price at $139).
        let mut v = view(1_000_000_000, 100_000_000);
        v.print.conf = 19_000_000;
        let believed = v.believed().unwrap();
        assert_eq!((believed.price, believed.conf), (120_000_000, 2_280_000));
        // $10 ± $8 clamped to $80: ± $64 (the same 80 %), still inside the price.
        let mut v = view(10_000_000, 100_000_000);
        v.print.conf = 8_000_000;
        assert_eq!(v.believed().map(|p| p.conf), Ok(64_000_000));
    }
}
