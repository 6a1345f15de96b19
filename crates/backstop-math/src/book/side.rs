//! One side of the bankruptcy book: a Fenwick tree of bucket sums, and the deficit it implies at a level.

use super::{product, Window, BUCKETS, LEVEL_SCALE};
use crate::error::MathError;
use crate::safe_math::{div_ceil, div_floor};

crate::idl_struct! {
    /// Σ debt and Σ |size| of some buckets. The debt is an i128 kept in two words (its alignment differs between
    /// targets, a stored layout must not).
    #[repr(C)]
    #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, bytemuck::Pod, bytemuck::Zeroable)]
    pub struct BucketSums {
        /// Σ debt, low word. precision: QUOTE_PRECISION.
        pub debt_lo: u64,
        /// Σ debt, high word.
        pub debt_hi: u64,
        /// precision: BASE_PRECISION.
        pub size: u64,
    }
}

/// The sums as numbers. Arithmetic wraps: every sum is of terms added and later removed exactly, so it is exact
/// whenever the true sum fits (a side's size is at most its open interest, a u64; a debt under 2⁶⁶ per account).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Sums {
    debt: i128,
    size: u64,
}

impl Sums {
    fn plus(self, other: Sums) -> Sums {
        Sums { debt: self.debt.wrapping_add(other.debt), size: self.size.wrapping_add(other.size) }
    }

    fn minus(self, other: Sums) -> Sums {
        Sums { debt: self.debt.wrapping_sub(other.debt), size: self.size.wrapping_sub(other.size) }
    }

    /// The accounts' deficit at `level` were all of them bankrupt there: `Σ D − Σ b·level / K`, rounded up
    /// (saturating: a sum past i128 reads as the most, never as less).
    fn owed_at(self, long: bool, level: i128) -> i128 {
        // `Σ D − ⌊Σ b·level / K⌋` for longs, `Σ D + ⌈Σ |b|·level / K⌉` for shorts: one division, rounded so the
        // deficit rounds up.
        let value = product(i128::from(self.size), level).ok_or(MathError::Overflow);
        let owed = if long {
            value
                .and_then(|v| div_floor(v, LEVEL_SCALE))
                .and_then(|v| self.debt.checked_sub(v).ok_or(MathError::Overflow))
        } else {
            value
                .and_then(|v| div_ceil(v, LEVEL_SCALE))
                .and_then(|v| self.debt.checked_add(v).ok_or(MathError::Overflow))
        };
        owed.unwrap_or(i128::MAX)
    }

    /// Their size times a distance in levels, rounded up (saturating).
    fn size_times(self, distance: i128) -> i128 {
        product(i128::from(self.size), distance.max(0))
            .ok_or(MathError::Overflow)
            .and_then(|owed| div_ceil(owed, LEVEL_SCALE))
            .unwrap_or(i128::MAX)
    }
}

impl From<BucketSums> for Sums {
    fn from(stored: BucketSums) -> Self {
        let bits = (u128::from(stored.debt_hi) << 64) | u128::from(stored.debt_lo);
        Sums { debt: bits.cast_signed(), size: stored.size }
    }
}

impl From<Sums> for BucketSums {
    fn from(sums: Sums) -> Self {
        let bits = sums.debt.cast_unsigned();
        BucketSums {
            debt_lo: u64::try_from(bits & u128::from(u64::MAX)).unwrap_or_default(),
            debt_hi: u64::try_from(bits >> 64).unwrap_or_default(),
            size: sums.size,
        }
    }
}

crate::idl_struct! {
    /// A side's Fenwick tree. Node `i` (1-based) holds the sums of the `i & −i` positions ending at `i`. Positions
    /// start at the most exposed bucket (a short's lowest levels, a long's highest), so for either side the buckets
    /// bankrupt at a level are a prefix.
    #[repr(C)]
    #[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
    pub struct BookSide {
        /// The tree's nodes, one per bucket: node `i` at index `i − 1`.
        pub nodes: [BucketSums; BUCKETS],
    }
}

fn position(long: bool, bucket: usize) -> usize {
    if long {
        BUCKETS - 1 - bucket
    } else {
        bucket
    }
}

impl BookSide {
    /// Adds `debt` and `size` (wrapping: a removal adds their negation) to `bucket`.
    pub(super) fn shift(&mut self, long: bool, bucket: usize, debt: i128, size: u64) {
        let term = Sums { debt, size };
        let mut index = position(long, bucket) + 1;
        while index <= BUCKETS {
            self.nodes[index - 1] = Sums::from(self.nodes[index - 1]).plus(term).into();
            index += index & index.wrapping_neg();
        }
    }

    /// Sums of the first `count` positions.
    fn prefix(&self, count: usize) -> Sums {
        let (mut sums, mut index) = (Sums::default(), count);
        while index > 0 {
            sums = sums.plus(self.nodes[index - 1].into());
            index &= index - 1;
        }
        sums
    }

    /// Whether every node is zero (an empty side must be: terms are removed exactly as they were added).
    pub fn is_zero(&self) -> bool {
        self.nodes.iter().all(|node| *node == BucketSums::default())
    }

    /// The side's deficit at `level`, rounded up (see the module doc): exact over the buckets wholly beyond it, and
    /// the lesser of two bounds over the bucket that contains it.
    pub(super) fn deficit_at(&self, long: bool, level: i128, window: &Window) -> i128 {
        let bucket = window.bucket(level);
        let (beyond, own) = self.split(long, bucket);
        let exact = if beyond.size == 0 { 0 } else { beyond.owed_at(long, level).max(0) };
        if own.size == 0 {
            return exact;
        }
        // The edge nearer solvency (a long's floor, a short's ceiling) and the far one.
        let (near, far) = if long {
            (window.floor(bucket), window.ceiling(bucket))
        } else {
            (window.ceiling(bucket), window.floor(bucket))
        };
        let at_near = near.map(|edge| own.owed_at(long, edge));
        let to_far = far.map(|edge| own.size_times(edge.abs_diff(level).try_into().unwrap_or(i128::MAX)));
        let partial = match (at_near, to_far) {
            (Some(a), Some(b)) => a.min(b),
            (Some(a), None) => a,
            (None, Some(b)) => b,
            (None, None) => i128::MAX,
        };
        exact.saturating_add(partial.max(0))
    }

    /// How far [`BookSide::deficit_at`] may read above the exact sum through the bucket containing `level`: its
    /// size times its width (its whole bound when it lies outside the window, with no far edge).
    pub(super) fn width_term(&self, long: bool, level: i128, window: &Window) -> i128 {
        let bucket = window.bucket(level);
        let (_, own) = self.split(long, bucket);
        match (window.floor(bucket), window.ceiling(bucket)) {
            _ if own.size == 0 => 0,
            (Some(floor), Some(ceiling)) => own.size_times(ceiling - floor),
            _ => {
                // Outside the window the containing bucket's bound is all there is: the whole read less its exact part.
                let (beyond, _) = self.split(long, bucket);
                let exact = if beyond.size == 0 { 0 } else { beyond.owed_at(long, level).max(0) };
                self.deficit_at(long, level, window).saturating_sub(exact)
            }
        }
    }

    /// The sums of the buckets wholly beyond `bucket` (bankrupt at any level in it), and of `bucket` itself.
    fn split(&self, long: bool, bucket: usize) -> (Sums, Sums) {
        let at = position(long, bucket);
        (self.prefix(at), self.single(at))
    }

    /// The sums of position `at` alone (0-based). Node `at + 1` holds positions `at + 1 − lowbit(at + 1)` to `at`;
    /// less the nodes that cover the positions before `at` down to that start, it is position `at`: one short walk
    /// instead of a second prefix (a reading's two walks share all but these nodes).
    fn single(&self, at: usize) -> Sums {
        let node = at + 1;
        let start = node - (node & node.wrapping_neg());
        let (mut sums, mut index) = (Sums::from(self.nodes[node - 1]), at);
        while index > start {
            sums = sums.minus(self.nodes[index - 1].into());
            index &= index - 1;
        }
        sums
    }
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;

    #[test]
    fn a_single_position_is_the_difference_of_two_prefixes() {
        let mut side: std::boxed::Box<BookSide> = std::boxed::Box::new(bytemuck::Zeroable::zeroed());
        for bucket in 0..BUCKETS {
            let debt = i128::try_from(bucket).unwrap() * 7_919 - 3_000 + (i128::from(u64::MAX) << 3);
            side.shift(bucket % 2 == 0, bucket, debt, u64::try_from(bucket * 13).unwrap());
        }
        for at in 0..BUCKETS {
            assert_eq!(side.single(at), side.prefix(at + 1).minus(side.prefix(at)), "position {at}");
        }
    }
}
