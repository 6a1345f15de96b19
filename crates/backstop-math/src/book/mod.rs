//! The bankruptcy book: what a market's open positions would leave unpaid if the price gapped, kept in O(1)
//! (O(log buckets)) per instruction, with no instruction ever iterating accounts.
//!
//! ## The level
//!
//! An account's equity at price `P` is `C + U + b·P/ND − E − b·(F − f)/K` (collateral, unsettled profit, signed
//! size, entry notional, the market's funding index now and at the account's last touch; `ND` =
//! [`NOTIONAL_DIVISOR`], `K` = BASE_PRECISION × FUNDING_INDEX_PRECISION). Written with
//! the account's *debt* `D = E − C − U − b·f/K` and the market's *level* `Z = P·FUNDING_INDEX_PRECISION − F`
//! (quote atoms per base atom, scaled by `K`):
//!
//! ```text
//! deficit at P = max(0, D − b·Z/K)
//! ```
//!
//! `D` changes only when the account is touched; funding moves every account's bankruptcy price by the same
//! amount per unit, and that is all in `Z`. So the book files each account under its bankruptcy level
//! `key = D·K/b`, and a funding accrual moves nothing in it. A long goes bankrupt when `Z` falls below its key, a
//! short when `Z` rises above it.
//!
//! ## The buckets
//!
//! Per side, [`BUCKETS`] buckets of (Σ debt, Σ |size|), log-spaced: [`WINDOW_OCTAVES`] octaves of
//! [`SUBS_PER_OCTAVE`] equal steps each (a step is 1/32 to 1/16 of its level), from the level of a price of half
//! an atom ($0.0000005) to that of $18 million, so every price a market quotes falls inside and the book never needs
//! re-centring as prices move; plus one bucket below (levels under one atom, or pushed below by funding) and one
//! above. Each side is a Fenwick tree, so recording or removing an account and summing the buckets beyond a level
//! each cost one walk of ⌈log₂ 722⌉ = 10 nodes.
//!
//! ## The deficit, always over
//!
//! At a level `Z`, every bucket wholly beyond it (above for longs, below for shorts) holds only accounts that are
//! bankrupt there, and contributes exactly `Σ D − Σ b·Z/K`; buckets wholly on the solvent side contribute nothing;
//! the one bucket containing `Z` contributes the lesser of two bounds that hold for every account in it (its
//! edge nearer solvency in place of `Z`, or its size times its distance to the far edge). Each account's debt is
//! rounded up and carries [`ROUNDING_SLACK`] atoms for the roundings of its equity (the PnL floored, the funding
//! owed ceiled) and of the socialized loss it may yet apply, and every division in a deficit rounds up. So the book never reads less than the
//! exact sum of the accounts' own deficits, and reads more by at most [`RiskBook::overstatement_bound`]: the
//! containing bucket's size times its width, plus the slack of the accounts beyond.
//!
//! Two terms outside the positions are bounded conservatively: losses socialized since an account's last touch
//! (each lowers its collateral by what it will apply, so the book adds every socialized atom not yet applied:
//! [`RiskBook::social_unapplied`]); and unsettled profit, which is part of `D` because a bankrupt account's
//! claim nets against its own deficit (`MarketLedger::settle_pnl`), and which paying out leaves `C + U` unchanged.

mod entry;
mod side;
mod stress;
#[cfg(test)]
mod tests;

use crate::constants::{BASE_PRECISION, NOTIONAL_DIVISOR};
use crate::error::{MathError, MathResult};
use crate::funding::FUNDING_INDEX_PRECISION;
use crate::ledger::{pending_social_loss, MarketLedger};
use crate::margin::TraderBalances;
pub(crate) use entry::product;
pub use entry::{exact_deficit, shocked_price, BookTerm, Entry, Moved};
pub use side::{BookSide, BucketSums};
pub use stress::{absorbable, adequacy_bps, admits, target_shock_bps, ADEQUACY_ONE_BPS, REPORT_SHOCKS_BPS};

/// Steps per octave (a power of two: the bucket is read off the level's leading bits).
pub const SUB_BUCKET_BITS: u32 = 4;
pub const SUBS_PER_OCTAVE: usize = 1 << SUB_BUCKET_BITS;
/// The window's lowest octave: a level of 2¹⁹ is a price of about half an atom (`level` = price × 10⁶).
pub const WINDOW_LOWEST_OCTAVE: u32 = 19;
/// Octaves the window spans: up to a level of 2⁶⁴, a price of about $18.4 million.
pub const WINDOW_OCTAVES: u32 = 45;
/// Buckets per side: the window's, one below it and one above it.
pub const BUCKETS: usize = 2 + (WINDOW_OCTAVES as usize) * SUBS_PER_OCTAVE;
const _: () = assert!(WINDOW_LOWEST_OCTAVE >= SUB_BUCKET_BITS && WINDOW_LOWEST_OCTAVE + WINDOW_OCTAVES < 127);

/// `K`: a level is quote atoms per base atom times this.
pub const LEVEL_SCALE: i128 = BASE_PRECISION as i128 * FUNDING_INDEX_PRECISION as i128;
const _: () = assert!(LEVEL_SCALE == NOTIONAL_DIVISOR * FUNDING_INDEX_PRECISION as i128);

/// Atoms added to each account's debt: two for the roundings of its equity (each under one atom), and two for
/// the socialized loss its next touch may apply beyond its exact share (each of the index's two divisions rounds
/// the balance down by under one atom; see [`SOCIAL_ROUNDING`]).
pub const ROUNDING_SLACK: i128 = 4;

/// Atoms of each application of socialized loss the book does not count as applied: what an application takes
/// beyond the account's exact share. Counting only the exact part keeps [`RiskBook::social_unapplied`] at least
/// the exact shares not yet applied, and each account's slack covers the rest of its own (the review's L1: the
/// rounded applications could add up to more than was socialized and read the remainder short).
pub const SOCIAL_ROUNDING: u64 = 2;

/// The market's level at `price` (PRICE_PRECISION) and funding index `funding_index`: `P·FUNDING_INDEX_PRECISION
/// − F`. Exact: no rounding.
pub fn level(price: i64, funding_index: i64) -> i128 {
    i128::from(price) * i128::from(FUNDING_INDEX_PRECISION) - i128::from(funding_index)
}

/// Where the buckets lie: the octave the window starts at (always [`Window::FULL`] in the book; a parameter so
/// the arithmetic is tested on any window).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub octave: u32,
}

impl Window {
    /// Every price from one atom to $18 million.
    pub const FULL: Window = Window { octave: WINDOW_LOWEST_OCTAVE };

    /// The bucket a level falls in: 0 below the window, `BUCKETS − 1` above it.
    pub fn bucket(&self, level: i128) -> usize {
        if level < 1i128 << self.octave {
            return 0;
        }
        let octave = 127 - level.unsigned_abs().leading_zeros();
        if octave >= self.octave + WINDOW_OCTAVES {
            return BUCKETS - 1;
        }
        let step = (level.unsigned_abs() >> (octave - SUB_BUCKET_BITS)) & (SUBS_PER_OCTAVE as u128 - 1);
        // A 4-bit step and an octave within the window: both fit.
        let (step, octave) = (usize::try_from(step).unwrap_or(0), usize::try_from(octave - self.octave).unwrap_or(0));
        1 + (octave << SUB_BUCKET_BITS) + step
    }

    /// The lowest level of bucket `bucket` (`None` for the bucket below the window: it has no floor).
    pub fn floor(&self, bucket: usize) -> Option<i128> {
        match bucket {
            0 => None,
            b if b == BUCKETS - 1 => Some(1i128 << (self.octave + WINDOW_OCTAVES)),
            b => {
                let index = b - 1;
                // Below BUCKETS / 16 = 13: fits.
                let octave = self.octave + u32::try_from(index >> SUB_BUCKET_BITS).unwrap_or(0);
                let step = (SUBS_PER_OCTAVE + (index & (SUBS_PER_OCTAVE - 1))) as i128;
                Some(step << (octave - SUB_BUCKET_BITS))
            }
        }
    }

    /// The level just above bucket `bucket` (`None` for the bucket above the window: it has no ceiling).
    pub fn ceiling(&self, bucket: usize) -> Option<i128> {
        if bucket + 1 >= BUCKETS {
            None
        } else {
            self.floor(bucket + 1)
        }
    }
}

crate::idl_struct! {
    /// A market's bankruptcy book: both sides, and what the accounts have applied of the socialized loss.
    #[repr(C)]
    #[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
    pub struct RiskBook {
        /// Positions recorded, per side.
        pub long_entries: u64,
        /// Short positions recorded.
        pub short_entries: u64,
        /// Socialized losses the accounts have applied on their touches, in all: with the market's lifetime total
        /// socialized it bounds what is not applied yet ([`RiskBook::social_unapplied`]). precision: QUOTE_PRECISION.
        pub social_applied: u64,
        /// The longs' bucket tree.
        pub longs: BookSide,
        /// The shorts' bucket tree.
        pub shorts: BookSide,
    }
}

impl Default for RiskBook {
    fn default() -> Self {
        bytemuck::Zeroable::zeroed()
    }
}

impl core::fmt::Debug for RiskBook {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RiskBook")
            .field("long_entries", &self.long_entries)
            .field("short_entries", &self.short_entries)
            .field("social_applied", &self.social_applied)
            .finish_non_exhaustive()
    }
}

/// A side's deficit at a level, and how far above the exact sum it may read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SideDeficit {
    /// precision: QUOTE_PRECISION; saturates at u64::MAX (reading more, never less).
    pub deficit: u64,
    /// [`RiskBook::overstatement_bound`] at that level.
    pub overstatement_bound: u64,
}

impl RiskBook {
    pub fn window(&self) -> Window {
        Window::FULL
    }

    /// Moves an account's term from what it was (`before`, as last recorded) to what it is (`after`), both
    /// computed from the balances (for tests and off-chain books; the program keeps the term in the account,
    /// [`RiskBook::upkeep`]). Returns the two terms.
    pub fn replace(&mut self, before: &TraderBalances, after: &TraderBalances) -> MathResult<Moved> {
        self.move_term(Entry::of(before)?, Entry::of(after)?)
    }

    /// Everything an instruction that touched an account owes the book: the socialized loss the touch applied
    /// (read off `before`, the balances as loaded, and `ledger_before`, the market's books before the
    /// instruction) leaves the unapplied total, and the account's term (`term`, kept in the account) moves to
    /// what `after` (the balances as stored) gives.
    pub fn upkeep(
        &mut self,
        term: &mut BookTerm,
        before: &TraderBalances,
        after: &TraderBalances,
        ledger_before: &MarketLedger,
    ) -> MathResult<Moved> {
        let applied = pending_social_loss(before, ledger_before)?;
        self.social_applied = self.social_applied.saturating_add(applied.saturating_sub(SOCIAL_ROUNDING));
        let moved = self.move_term(term.entry(), Entry::of(after)?)?;
        *term = moved.new.into();
        Ok(moved)
    }

    fn move_term(&mut self, old: Option<Entry>, new: Option<Entry>) -> MathResult<Moved> {
        let moved = Moved { old, new };
        match (&moved.old, &moved.new) {
            (Some(old), Some(new)) if old == new => {}
            // The same bucket of the same side (most touches): one walk with the difference.
            (Some(old), Some(new)) if old.long == new.long && old.bucket == new.bucket => {
                let side = if new.long { &mut self.longs } else { &mut self.shorts };
                side.shift(
                    new.long,
                    usize::from(new.bucket),
                    new.debt.wrapping_sub(old.debt),
                    new.size.wrapping_sub(old.size),
                );
            }
            _ => {
                if let Some(old) = &moved.old {
                    self.record(old, false)?;
                }
                if let Some(new) = &moved.new {
                    self.record(new, true)?;
                }
            }
        }
        Ok(moved)
    }

    fn record(&mut self, entry: &Entry, add: bool) -> MathResult<()> {
        let (side, count) = if entry.long {
            (&mut self.longs, &mut self.long_entries)
        } else {
            (&mut self.shorts, &mut self.short_entries)
        };
        *count = if add { count.checked_add(1) } else { count.checked_sub(1) }.ok_or(MathError::Overflow)?;
        let (debt, size) =
            if add { (entry.debt, entry.size) } else { (entry.debt.wrapping_neg(), entry.size.wrapping_neg()) };
        side.shift(entry.long, usize::from(entry.bucket), debt, size);
        Ok(())
    }

    /// What of `socialized_total` (the market's lifetime socialized loss) the accounts it fell on have not applied
    /// yet: each will lower its collateral by its share on its next touch. An upper bound (applied shares round
    /// down).
    pub fn social_unapplied(&self, socialized_total: u64) -> u64 {
        socialized_total.saturating_sub(self.social_applied)
    }

    /// The longs' (or shorts') deficit at `level`: positions only (see the module doc), socialized loss apart.
    pub fn side_deficit(&self, long: bool, level: i128) -> u64 {
        let side = if long { &self.longs } else { &self.shorts };
        saturate(side.deficit_at(long, level, &self.window()))
    }

    /// A side's deficit at `level` with its [`RiskBook::overstatement_bound`] (for views and tests).
    pub fn side_reading(&self, long: bool, level: i128) -> SideDeficit {
        SideDeficit {
            deficit: self.side_deficit(long, level),
            overstatement_bound: self.overstatement_bound(long, level),
        }
    }

    /// How far [`RiskBook::side_deficit`] may read above the exact sum at `level`: the size of the bucket that
    /// contains the level times its width (or that bucket's whole bound when the level lies outside the window),
    /// plus `ROUNDING_SLACK + 1` atoms per account on the side and two for the divisions. (Off-chain: views and
    /// tests.)
    pub fn overstatement_bound(&self, long: bool, level: i128) -> u64 {
        let (side, count) = if long { (&self.longs, self.long_entries) } else { (&self.shorts, self.short_entries) };
        let slack = i128::from(count).saturating_mul(ROUNDING_SLACK + 1).saturating_add(2);
        saturate(side.width_term(long, level, &self.window()).saturating_add(slack))
    }

    /// What the positions and the unapplied socialized loss would leave unpaid if the price moved to `price`
    /// (funding index `funding_index`) before any liquidation ran: longs and shorts both valued there (at the
    /// current price that is the latent deficit; at a shocked price only one side is hit). `socialized_total`: the
    /// market's lifetime socialized loss.
    pub fn deficit_at_price(&self, price: i64, funding_index: i64, socialized_total: u64) -> u64 {
        let at = level(price, funding_index);
        self.side_deficit(true, at)
            .saturating_add(self.side_deficit(false, at))
            .saturating_add(self.social_unapplied(socialized_total))
    }

    /// The stressed deficit at a shock of `shock_bps`: the worse of the longs at `price × (1 − s)` and the shorts at
    /// `price × (1 + s)`, plus the unapplied socialized loss. A shock of 100 % or more values longs at a price of 0.
    pub fn stressed_deficit(
        &self,
        price: i64,
        funding_index: i64,
        shock_bps: u32,
        socialized_total: u64,
    ) -> MathResult<u64> {
        let (low, high) = (shocked_price(price, shock_bps, false)?, shocked_price(price, shock_bps, true)?);
        Ok(self.deficit_at_extremes(low, high, funding_index, socialized_total))
    }

    /// The worse of the longs at price `low` and the shorts at price `high` (PRICE_PRECISION), plus the unapplied
    /// socialized loss: the deficit of a gap to either extreme before any liquidation.
    pub fn deficit_at_extremes(&self, low: i64, high: i64, funding_index: i64, socialized_total: u64) -> u64 {
        let longs = self.side_deficit(true, level(low, funding_index));
        let shorts = self.side_deficit(false, level(high, funding_index));
        longs.max(shorts).saturating_add(self.social_unapplied(socialized_total))
    }
}

fn saturate(value: i128) -> u64 {
    u64::try_from(value.max(0)).unwrap_or(u64::MAX)
}
