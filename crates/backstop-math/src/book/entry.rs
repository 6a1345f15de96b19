//! One account's term in the book: its debt and bucket (`Entry`), as the account keeps it (`BookTerm`), how an
//! instruction moves it (`Moved`), and the account's exact deficit the book is held to.

use super::{level, Window, LEVEL_SCALE, ROUNDING_SLACK};
use crate::error::{MathError, MathResult};
use crate::margin::TraderBalances;
use crate::safe_math::{div_ceil, div_floor};

/// An account's own deficit if the price were `price` and the funding index `funding_index`, as the program
/// values its equity (collateral, unsettled profit, PnL floored, funding owed since its last touch ceiled): what
/// the book bounds from above, account by account. precision: QUOTE_PRECISION.
pub fn exact_deficit(trader: &TraderBalances, price: i64, funding_index: i64) -> MathResult<i128> {
    let pnl = trader.position.unrealized_pnl(price)?;
    let funding = crate::funding::funding_owed(trader.position.base, trader.funding_index, funding_index)?;
    let equity =
        i128::from(trader.collateral) + i128::from(trader.unsettled_pnl) + i128::from(pnl) - i128::from(funding);
    Ok((-equity).max(0))
}

/// `a × b`, checked; a product of two values that fit in 64 bits takes the widening multiply (on SBF the checked
/// 128-bit multiply is a software routine several times its cost).
pub(crate) fn product(a: i128, b: i128) -> Option<i128> {
    match (i64::try_from(a), i64::try_from(b)) {
        (Ok(a), Ok(b)) => Some(i128::from(a) * i128::from(b)),
        _ => a.checked_mul(b),
    }
}

/// One account's term in the book.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    pub long: bool,
    /// |size|. precision: BASE_PRECISION.
    pub size: u64,
    /// `D`, rounded up, with [`ROUNDING_SLACK`]. precision: QUOTE_PRECISION.
    pub debt: i128,
    /// The bucket of `⌊D·K/b⌋`, the level at which the account goes bankrupt.
    pub bucket: u16,
}

crate::idl_struct! {
    /// An account's term as the book holds it, kept in the account (so an instruction removes exactly what was added,
    /// without computing it again). Zero: no term (flat).
    #[repr(C)]
    #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, bytemuck::Pod, bytemuck::Zeroable)]
    pub struct BookTerm {
        /// The account's debt `D` (rounded up, with `ROUNDING_SLACK`), an i128 kept in two words: the low one.
        /// precision: QUOTE_PRECISION.
        pub debt_lo: u64,
        /// The debt's high word.
        pub debt_hi: u64,
        /// precision: BASE_PRECISION.
        pub size: u64,
        /// The bucket of `⌊D·K/b⌋`, the level at which the account goes bankrupt.
        pub bucket: u16,
        /// 0: none; 1: long; 2: short.
        pub side: u8,
        pub _padding: [u8; 5],
    }
}

impl BookTerm {
    pub fn entry(&self) -> Option<Entry> {
        let debt = ((u128::from(self.debt_hi) << 64) | u128::from(self.debt_lo)).cast_signed();
        match self.side {
            1 | 2 => Some(Entry { long: self.side == 1, size: self.size, debt, bucket: self.bucket }),
            _ => None,
        }
    }
}

impl From<Option<Entry>> for BookTerm {
    fn from(entry: Option<Entry>) -> Self {
        let Some(entry) = entry else { return Self::default() };
        let bits = entry.debt.cast_unsigned();
        Self {
            debt_lo: u64::try_from(bits & u128::from(u64::MAX)).unwrap_or_default(),
            debt_hi: u64::try_from(bits >> 64).unwrap_or_default(),
            size: entry.size,
            bucket: entry.bucket,
            side: if entry.long { 1 } else { 2 },
            _padding: [0; 5],
        }
    }
}

impl Entry {
    /// The account's term, or `None` when it is flat (a flat account's deficit is already booked as
    /// `MarketLedger::bankrupt_deficit`).
    pub fn of(trader: &TraderBalances) -> MathResult<Option<Self>> {
        let base = trader.position.base;
        if base == 0 {
            return Ok(None);
        }
        let cash = i128::from(trader.position.entry_notional)
            - i128::from(trader.collateral)
            - i128::from(trader.unsettled_pnl);
        // ⌈(cash·K − b·f) / K⌉ = cash − ⌊b·f / K⌋: one division, no product with K.
        let funding = div_floor(i128::from(base) * i128::from(trader.funding_index), LEVEL_SCALE)?;
        let debt = cash.checked_sub(funding).and_then(|d| d.checked_add(ROUNDING_SLACK)).ok_or(MathError::Overflow)?;
        let key = div_floor(product(debt, LEVEL_SCALE).ok_or(MathError::Overflow)?, i128::from(base))?;
        let bucket = u16::try_from(Window::FULL.bucket(key)).map_err(|_| MathError::Overflow)?;
        Ok(Some(Self { long: base > 0, size: base.unsigned_abs(), debt, bucket }))
    }

    /// The market's level after a gap of `shock_bps` against this entry (a long's price down, a short's up).
    fn shocked_level(&self, price: i64, funding_index: i64, shock_bps: u32) -> MathResult<i128> {
        Ok(level(shocked_price(price, shock_bps, !self.long)?, funding_index))
    }

    /// Whether the entry's whole bucket lies on the solvent side of `level` (so it owes nothing there), without a
    /// division.
    fn solvent_at(&self, level: i128) -> bool {
        let bucket = usize::from(self.bucket);
        if self.long {
            Window::FULL.ceiling(bucket).is_some_and(|ceiling| ceiling <= level)
        } else {
            Window::FULL.floor(bucket).is_some_and(|floor| floor >= level)
        }
    }

    /// The account's own deficit at `level`, by the book's formula (for tests and views).
    pub fn deficit_at(&self, level: i128) -> MathResult<i128> {
        let signed = if self.long { i128::from(self.size) } else { -i128::from(self.size) };
        // D − ⌊b·level / K⌋: the deficit rounded up, with one division.
        let value = div_floor(product(signed, level).ok_or(MathError::Overflow)?, LEVEL_SCALE)?;
        Ok(self.debt.checked_sub(value).ok_or(MathError::Overflow)?.max(0))
    }
}

/// An account's term before and after an instruction (`None`: flat).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Moved {
    pub old: Option<Entry>,
    pub new: Option<Entry>,
}

impl Moved {
    /// Whether the account's own crash deficit rose: its deficit at the shock against it (a long's at the price
    /// `shock_bps` lower, a short's at the price that much higher) after, against before. The market's stressed
    /// deficit sums such terms, so a trade that does not raise its own cannot raise the market's.
    pub fn raised_stress(&self, price: i64, funding_index: i64, shock_bps: u32) -> MathResult<bool> {
        let own = |entry: &Option<Entry>| own_deficit(entry, price, funding_index, shock_bps);
        // Nothing owed at the shock after: nothing raised (the usual case, one term computed). A flip moves the
        // account to the other side, whose shock is the other direction: its old term weighed on the other side's
        // sum, so it counts as nothing here (the second review's M-1: a leveraged long flipped short owed less at
        // +30 % than it had at −30 %, and took the shorts' side past capacity unchecked).
        let after = own(&self.new)?;
        let same_side = matches!((&self.old, &self.new), (Some(old), Some(new)) if old.long == new.long);
        Ok(after > 0 && (!same_side || after > own(&self.old)?))
    }

    /// Whether the account may owe anything after the instruction at a gap of `shock_bps` against it: `false` only
    /// when its whole bucket lies on the solvent side of the shocked level, which takes no division. A term's
    /// deficit grows with the shock, so one that cannot owe at the largest shock the market can set raises nothing
    /// at any shock it sets, and that shock need not be worked out (its square root is most of its cost).
    pub fn may_owe_after(&self, price: i64, funding_index: i64, shock_bps: u32) -> MathResult<bool> {
        match &self.new {
            Some(entry) => Ok(!entry.solvent_at(entry.shocked_level(price, funding_index, shock_bps)?)),
            None => Ok(false),
        }
    }
}

/// A term's own deficit at the gap of `shock_bps` against it (0 for no term).
fn own_deficit(entry: &Option<Entry>, price: i64, funding_index: i64, shock_bps: u32) -> MathResult<i128> {
    let Some(entry) = entry else { return Ok(0) };
    let at = entry.shocked_level(price, funding_index, shock_bps)?;
    if entry.solvent_at(at) {
        return Ok(0);
    }
    entry.deficit_at(at)
}

/// `price` moved by `shock_bps`, up or down, rounded toward the loss of the side it hits (a long's down, a
/// short's up). A shock of 100 % or more takes the price to 0.
pub fn shocked_price(price: i64, shock_bps: u32, up: bool) -> MathResult<i64> {
    let bps = i128::from(crate::constants::BPS_DENOMINATOR);
    let shock = i128::from(shock_bps);
    let moved = if up {
        div_ceil(i128::from(price) * (bps + shock), bps)?
    } else {
        div_floor(i128::from(price) * (bps - shock).max(0), bps)?
    };
    i64::try_from(moved).map_err(|_| MathError::Overflow)
}
