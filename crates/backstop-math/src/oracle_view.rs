//! What each action may do with a print, given how far it stands from the publishers' own EMA.
//!
//! A print beyond `oracle_max_ema_divergence_bps` of the EMA is either a genuine fast move the ~1-hour average has
//! not caught up with, or a manipulated one. Nothing on-chain can tell which, so the rule is per action:
//!
//! - **Adding risk or taking value out** (a risk-increasing fill, a withdrawal with a position, LP deposits and
//!   exits) can wait for the average: refused, [`OracleView::agreed`].
//! - **Liquidations, bankruptcy covers, funding and the market's memory** cannot wait: a real crash is exactly when
//!   they must run. They believe the print only as far as the band's edge, [`OracleView::believed`]: a crash
//!   below the band liquidates at the band's floor (the pool, which takes the position over, carries the rest of
//!   the gap until the average follows), and a pump can cost the fund no more than a print at the band's edge,
//!   which the guard lets through anyway.
//! - **A voluntary reduction** may always run, but at the less favourable of the print and the EMA for its
//!   holder, [`OracleView::for_reducing`]: a trader cannot realise a move the average has not confirmed, and can
//!   still get out of a real one.

use crate::error::{MathError, MathResult};
use crate::oracle::OraclePrice;

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
}

impl OracleView {
    /// A print with no EMA to compare with (or the guard off): every action takes it as it is.
    pub fn agreeing(print: OraclePrice) -> Self {
        Self { print, ema: 0, band_low: print.price, band_high: print.price, diverged: false }
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

    /// The price a voluntary fill by the holder of `base` is made and checked at: the print for one that adds
    /// risk (refused while diverged); for one that only reduces, while diverged, the less favourable of the print
    /// and the EMA for that holder (a long sells at the lower, a short buys back at the higher).
    pub fn for_fill(&self, base: i64, adds_risk: bool) -> MathResult<OraclePrice> {
        if adds_risk || !self.diverged {
            return self.agreed();
        }
        let price = if base > 0 { self.print.price.min(self.ema) } else { self.print.price.max(self.ema) };
        self.at(price)
    }

    /// The print moved to `price`, keeping its confidence and publish time.
    fn at(&self, price: i64) -> MathResult<OraclePrice> {
        if self.print.conf >= price {
            return Err(MathError::OracleUncertain);
        }
        Ok(OraclePrice { price, ..self.print })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(price: i64, ema: i64) -> OracleView {
        // A 20 % band around the EMA, as the guard builds it.
        let print = OraclePrice { price, conf: 50_000, publish_time: 1 };
        let diverged = (price - ema).abs() > ema / 5;
        OracleView { print, ema, band_low: ema - ema / 5, band_high: ema + ema / 5, diverged }
    }

    #[test]
    fn inside_the_band_every_action_takes_the_print() {
        let v = view(115_000_000, 100_000_000);
        assert_eq!(v.agreed().map(|p| p.price), Ok(115_000_000));
        assert_eq!(v.believed().map(|p| p.price), Ok(115_000_000));
        assert_eq!(v.for_fill(5, false).map(|p| p.price), Ok(115_000_000));
        assert_eq!(v.for_fill(-5, false).map(|p| p.price), Ok(115_000_000));
    }

    #[test]
    fn a_crash_below_the_band_liquidates_at_its_floor_and_lets_holders_out() {
        // SOL 2025-10-10 shape: the print 25 % under an EMA that has not followed.
        let v = view(75_000_000, 100_000_000);
        assert_eq!(v.agreed(), Err(MathError::OracleDivergedFromEma));
        assert_eq!(v.believed().map(|p| p.price), Ok(80_000_000));
        assert_eq!(v.for_fill(5, true), Err(MathError::OracleDivergedFromEma));
        assert_eq!(v.for_fill(5, false).map(|p| p.price), Ok(75_000_000), "a long sells at the crash print");
        assert_eq!(v.for_fill(-5, false).map(|p| p.price), Ok(100_000_000), "a short buys back at the EMA");
    }

    #[test]
    fn a_pump_above_the_band_is_believed_to_its_edge_and_cannot_be_cashed() {
        let v = view(1_000_000_000, 100_000_000); // tenfold, the Mango shape
        assert_eq!(v.believed().map(|p| p.price), Ok(120_000_000));
        assert_eq!(v.for_fill(90, false).map(|p| p.price), Ok(100_000_000), "a long sells at the EMA");
        assert_eq!(v.for_fill(-90, false).map(|p| p.price), Ok(1_000_000_000), "a short buys back at the print");
        assert_eq!(v.for_fill(-90, true), Err(MathError::OracleDivergedFromEma));
    }

    #[test]
    fn a_band_edge_inside_the_confidence_is_uncertain() {
        let mut v = view(10_000_000, 100_000_000);
        v.print.conf = 80_000_000;
        assert_eq!(v.believed(), Err(MathError::OracleUncertain));
    }
}
