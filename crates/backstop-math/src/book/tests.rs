extern crate std;

use super::*;
use crate::constants::{BASE_PRECISION, PRICE_PRECISION, QUOTE_PRECISION};
use crate::position::Position;
use proptest::prelude::*;
use std::boxed::Box;
use std::vec::Vec;

const ONE: i64 = BASE_PRECISION;
const USD: i64 = PRICE_PRECISION;

fn account(base: i64, entry_price: i64, collateral: i64, unsettled: u64, funding_index: i64) -> TraderBalances {
    let position = if base == 0 {
        Position::default()
    } else {
        Position::default().apply_fill(base, entry_price).expect("fill").position
    };
    TraderBalances { collateral, position, unsettled_pnl: unsettled, funding_index, ..Default::default() }
}

fn exact_deficit(trader: &TraderBalances, price: i64, funding_index: i64) -> i128 {
    super::exact_deficit(trader, price, funding_index).expect("deficit")
}

fn book_of(accounts: &[TraderBalances]) -> Box<RiskBook> {
    let mut book = Box::new(RiskBook::default());
    for trader in accounts {
        book.replace(&TraderBalances::default(), trader).expect("record");
    }
    book
}

#[test]
fn a_long_is_filed_at_its_bankruptcy_price_and_read_back_exactly_beyond_it() {
    // 10 SOL long at $100 with $100 of collateral: bankrupt at $90.
    let long = account(10 * ONE, 100 * USD, 100 * USD, 0, 0);
    let entry = Entry::of(&long).unwrap().unwrap();
    assert_eq!(entry.debt, 900 * i128::from(QUOTE_PRECISION) + ROUNDING_SLACK);
    let key = level(90 * USD, 0) + ROUNDING_SLACK * LEVEL_SCALE / i128::from(10 * ONE);
    assert_eq!(usize::from(entry.bucket), Window::FULL.bucket(key));
    // Kept in the account as it was computed.
    assert_eq!(BookTerm::from(Some(entry)).entry(), Some(entry));
    assert_eq!(BookTerm::from(None).entry(), None);
    let book = book_of(&[long]);
    // At $80 the bucket holding $90 lies wholly above: exact, $100 short, plus the slack.
    assert_eq!(book.deficit_at_price(80 * USD, 0, 0), 100 * QUOTE_PRECISION.unsigned_abs() + 4);
    assert_eq!(book.deficit_at_price(95 * USD, 0, 0), 0, "solvent above its bankruptcy price");
    assert_eq!(exact_deficit(&long, 80 * USD, 0), 100 * i128::from(QUOTE_PRECISION));
}

#[test]
fn funding_shifts_a_side_without_touching_the_book() {
    // The same long, after funding of $2 per SOL accrued to the market: it owes $20, so it is bankrupt at $92.
    let long = account(10 * ONE, 100 * USD, 100 * USD, 0, 0);
    let book = book_of(&[long]);
    let index = 2 * FUNDING_INDEX_PRECISION * PRICE_PRECISION;
    assert_eq!(exact_deficit(&long, 91 * USD, index), 10 * i128::from(QUOTE_PRECISION));
    let read = book.side_reading(true, level(91 * USD, index));
    assert!(i128::from(read.deficit) >= 10 * i128::from(QUOTE_PRECISION));
    assert!(i128::from(read.deficit) - 10 * i128::from(QUOTE_PRECISION) <= i128::from(read.overstatement_bound));
    // A short receives that funding: its bankruptcy price rises by the same $2.
    let short = account(-10 * ONE, 100 * USD, 100 * USD, 0, 0);
    let book = book_of(&[short]);
    assert_eq!(book.side_deficit(false, level(111 * USD, index)), 0, "bankrupt at $112 now");
    assert!(book.side_deficit(false, level(113 * USD, index)) >= 10 * QUOTE_PRECISION.unsigned_abs());
}

#[test]
fn the_stressed_deficit_takes_the_worse_side_and_the_unapplied_social_loss() {
    let long = account(10 * ONE, 100 * USD, 100 * USD, 0, 0); // bankrupt at $90
    let short = account(-5 * ONE, 100 * USD, 100 * USD, 0, 0); // bankrupt at $120
    let mut book = book_of(&[long, short]);
    let usd = QUOTE_PRECISION.unsigned_abs();
    // −20 %: the long owes $100 (exact: its bucket lies above $80); +20 %: the short is at its bankruptcy price.
    assert_eq!(book.stressed_deficit(100 * USD, 0, 2_000, 0), Ok(100 * usd + 4));
    // −30 % / +30 %: the long $200, the short $50: the long's side.
    assert_eq!(book.stressed_deficit(100 * USD, 0, 3_000, 0), Ok(200 * usd + 4));
    // 7 atoms socialized, none applied yet: all 7 count; once an account applied 5 of them, 2.
    assert_eq!(book.stressed_deficit(100 * USD, 0, 3_000, 7), Ok(200 * usd + 11));
    book.social_applied = 5;
    assert_eq!(book.social_unapplied(7), 2);
}

#[test]
fn removing_every_entry_leaves_an_empty_book() {
    let accounts: Vec<_> = (1..20).map(|i| account(i * ONE, 100 * USD, i * 7 * USD, 3, i * 11)).collect();
    let mut book = book_of(&accounts);
    for trader in &accounts {
        book.replace(trader, &TraderBalances::default()).unwrap();
    }
    assert!(book.longs.is_zero() && book.shorts.is_zero());
    assert_eq!((book.long_entries, book.short_entries), (0, 0));
}

#[test]
fn the_window_reads_its_buckets_edges_back() {
    let window = Window::FULL;
    for bucket in 1..BUCKETS - 1 {
        let floor = window.floor(bucket).unwrap();
        let ceiling = window.ceiling(bucket).unwrap();
        assert!(floor < ceiling);
        assert_eq!(window.bucket(floor), bucket);
        assert_eq!(window.bucket(ceiling - 1), bucket);
        // A step is 1/32 to 1/16 of its level.
        assert!((ceiling - floor) * 16 <= floor && (ceiling - floor) * 32 >= floor);
    }
    // Every price from one atom to $18 million lies inside the window, whatever the market.
    assert_ne!(window.bucket(level(1, 0)), 0);
    assert_ne!(window.bucket(level(18_000_000 * USD, 0)), BUCKETS - 1);
    assert_eq!(window.bucket(-5), 0);
    assert_eq!(window.bucket(window.floor(1).unwrap() - 1), 0);
    assert_eq!(window.bucket(i128::MAX), BUCKETS - 1);
}

/// Accounts a market could hold: either side, 1× to 100× leverage, some already underwater, some with unsettled
/// profit, each last touched at its own funding index.
fn accounts() -> impl Strategy<Value = Vec<TraderBalances>> {
    let one = (
        1i64..2_000 * ONE,
        any::<bool>(),
        20 * USD..200 * USD,
        -50i64..10_000,
        0u64..200 * QUOTE_PRECISION.unsigned_abs(),
        -5 * FUNDING_INDEX_PRECISION * USD..5 * FUNDING_INDEX_PRECISION * USD,
    )
        .prop_map(|(size, long, entry, margin_per_mille, unsettled, funding_index)| {
            let base = if long { size } else { -size };
            let notional = i128::from(size) * i128::from(entry) / i128::from(ONE);
            let collateral = i64::try_from(notional * i128::from(margin_per_mille) / 1_000).unwrap();
            account(base, entry, collateral, unsettled, funding_index)
        });
    proptest::collection::vec(one, 1..60)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// The book against the exact per-account sum, at any price and funding index: never under, over by at most
    /// its stated bound.
    #[test]
    fn the_book_never_reads_less_than_the_accounts_and_at_most_its_bound_more(
        accounts in accounts(),
        price in 0i64..2_000 * USD,
        funding_index in -8 * FUNDING_INDEX_PRECISION * USD..8 * FUNDING_INDEX_PRECISION * USD,
    ) {
        let book = book_of(&accounts);
        let at = level(price, funding_index);
        for long in [true, false] {
            let exact: i128 = accounts
                .iter()
                .filter(|t| (t.position.base > 0) == long)
                .map(|t| exact_deficit(t, price, funding_index))
                .sum();
            let read = book.side_reading(long, at);
            prop_assert!(i128::from(read.deficit) >= exact, "under: {} < {}", read.deficit, exact);
            prop_assert!(
                i128::from(read.deficit) - exact <= i128::from(read.overstatement_bound),
                "over by {} > bound {}", i128::from(read.deficit) - exact, read.overstatement_bound
            );
        }
    }

    /// Accounts moved around (as instructions do, old term out, new term in) leave the same book as recording
    /// their final states from scratch.
    #[test]
    fn upkeep_by_replacement_equals_a_fresh_book(
        first in accounts(),
        second in accounts(),
    ) {
        let mut book = book_of(&first);
        let fresh = book_of(&second);
        let moves = first.len().max(second.len());
        for i in 0..moves {
            let before = first.get(i).copied().unwrap_or_default();
            let after = second.get(i).copied().unwrap_or_default();
            book.replace(&before, &after).unwrap();
        }
        for price in [0, 50 * USD, 100 * USD, 200 * USD] {
            let exact: i128 = second.iter().map(|t| exact_deficit(t, price, 0)).sum();
            prop_assert!(i128::from(book.deficit_at_price(price, 0, 0)) >= exact);
            prop_assert_eq!(book.deficit_at_price(price, 0, 0), fresh.deficit_at_price(price, 0, 0));
        }
        prop_assert_eq!((book.long_entries, book.short_entries), (fresh.long_entries, fresh.short_entries));
    }

    /// The program's path: each account's term kept in the account and moved by `upkeep`, small moves (a nudge
    /// of collateral, most touches) within one bucket by a single walk; the book ends as one built afresh.
    #[test]
    fn upkeep_through_kept_terms_equals_a_fresh_book(first in accounts(), second in accounts(), nudge in -3i64..=3) {
        let ledger = crate::ledger::MarketLedger::default();
        let mut book = Box::new(RiskBook::default());
        let moves = first.len().max(second.len());
        let mut terms = std::vec![BookTerm::default(); moves];
        let mut last = std::vec![TraderBalances::default(); moves];
        for (i, term) in terms.iter_mut().enumerate() {
            let start = first.get(i).copied().unwrap_or_default();
            book.upkeep(term, &TraderBalances::default(), &start, &ledger).unwrap();
            let then = second.get(i).copied().unwrap_or_default();
            book.upkeep(term, &start, &then, &ledger).unwrap();
            let nudged = if then.position.base == 0 { then } else { TraderBalances { collateral: then.collateral + nudge, ..then } };
            book.upkeep(term, &then, &nudged, &ledger).unwrap();
            prop_assert_eq!(term.entry(), Entry::of(&nudged).unwrap());
            last[i] = nudged;
        }
        let fresh = book_of(&last);
        for price in [0, 50 * USD, 100 * USD, 200 * USD] {
            prop_assert_eq!(book.deficit_at_price(price, 0, 0), fresh.deficit_at_price(price, 0, 0));
        }
        prop_assert_eq!((book.long_entries, book.short_entries), (fresh.long_entries, fresh.short_entries));
        for (kept, built) in book.longs.nodes.iter().zip(fresh.longs.nodes.iter()).chain(book.shorts.nodes.iter().zip(fresh.shorts.nodes.iter())) {
            prop_assert_eq!(kept, built);
        }
    }

    /// What positions owe at the last price is at most twice the stressed deficit at any shock (each side's reading
    /// only grows as the price moves against it): the admission's shortcut rests on it.
    #[test]
    fn the_latent_reading_is_at_most_twice_the_stressed_one(
        accounts in accounts(),
        price in 1i64..2_000 * USD,
        shock in 0u32..10_000,
        socialized in 0u64..1_000,
    ) {
        let book = book_of(&accounts);
        let stressed = book.stressed_deficit(price, 0, shock, socialized).unwrap();
        prop_assert!(u128::from(book.deficit_at_price(price, 0, socialized)) <= 2 * u128::from(stressed));
    }
}

proptest! {
    /// A term's own deficit grows with the shock: one that cannot owe at a larger shock owes nothing, and raises
    /// nothing, at a smaller one (admission skips the target shock on it); and one that owes can.
    #[test]
    fn a_term_owing_nothing_at_the_cap_raises_nothing_below_it(
        traders in accounts(),
        price in 1i64..2_000 * USD,
        index in -5 * FUNDING_INDEX_PRECISION * USD..5 * FUNDING_INDEX_PRECISION * USD,
        smaller in 0u32..10_000,
        extra in 0u32..10_000,
    ) {
        let cap = smaller.saturating_add(extra).min(10_000);
        for pair in traders.windows(2) {
            let moved = Moved { old: Entry::of(&pair[0]).unwrap(), new: Entry::of(&pair[1]).unwrap() };
            let owes = |shock| moved.new.map_or(0, |entry| entry.deficit_at(level(shocked_price(price, shock, !entry.long).unwrap(), index)).unwrap());
            if !moved.may_owe_after(price, index, cap).unwrap() {
                prop_assert_eq!(owes(smaller), 0);
                prop_assert!(!moved.may_owe_after(price, index, smaller).unwrap());
                prop_assert!(!moved.raised_stress(price, index, smaller).unwrap());
            }
            if owes(cap) > 0 {
                prop_assert!(moved.may_owe_after(price, index, cap).unwrap());
            }
        }
    }
}
