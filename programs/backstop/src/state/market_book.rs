use crate::error::{BackstopError, OrReject};
use crate::state::Market;
use anchor_lang::prelude::*;
use backstop_math::book::{self, BookTerm, RiskBook};
use backstop_math::ledger::MarketLedger;
use backstop_math::margin::TraderBalances;
use core::cell::{Ref, RefMut};
use static_assertions::const_assert;
use static_assertions::const_assert_eq;

/// A market's bankruptcy book (`backstop_math::book`): every open position filed under the price at which it
/// goes bankrupt, so the market knows the deficit a gap would leave without reading an account. PDA
/// `[MARKET_BOOK, market]`. Every instruction that changes a position or collateral (deposit, withdraw, trade,
/// liquidate) moves the touched accounts' terms in it.
///
/// It is larger than one instruction may allocate (10 KiB): `initialize_market` creates it at that size with its
/// header, `extend_market_book` grows it 10 KiB at a time (the client sends both in the listing's transaction),
/// and `activate_market` refuses until it is whole.
#[account(zero_copy)]
pub struct MarketBook {
    /// The market whose book this is (offset 8, written by `initialize_market`).
    pub market: Pubkey,
    /// Bump of this account's PDA (offset 40, written by `initialize_market`).
    pub bump: u8,
    pub _padding: [u8; 7],
    /// Zero; room for fields added later without moving the layout.
    pub reserved: [u8; 64],
    /// The book itself: both sides' bucket trees and the socialized loss the accounts applied.
    pub book: RiskBook,
}

const_assert_eq!(core::mem::size_of::<RiskBook>(), 24 + 2 * book::BUCKETS * 24);
const_assert_eq!(core::mem::size_of::<MarketBook>(), 32 + 8 + 64 + core::mem::size_of::<RiskBook>());
const_assert_eq!(core::mem::size_of::<MarketBook>() % 8, 0);
// The header `initialize_market` writes fits in what it creates.
const_assert!(MarketBook::CREATED_SPACE >= 8 + 32 + 8);
const_assert!(MarketBook::SPACE <= 4 * MarketBook::CREATED_SPACE);

impl MarketBook {
    /// The account's whole size, discriminator included.
    pub const SPACE: usize = 8 + core::mem::size_of::<MarketBook>();
    /// What one instruction may allocate or add to an account: the size it is created at, and each growth step.
    pub const CREATED_SPACE: usize = 10_240;
    /// Offsets of the header `initialize_market` writes.
    pub const MARKET_OFFSET: usize = 8;
    pub const BUMP_OFFSET: usize = 40;
}

impl MarketBook {
    /// Moves one touched account's term (`term`, kept in the account): `before` its balances as loaded, `after` as
    /// stored; `ledger_before` the market's books before the instruction (for the socialized loss the touch
    /// applied).
    pub fn upkeep(
        &mut self,
        term: &mut BookTerm,
        before: &TraderBalances,
        after: &TraderBalances,
        ledger_before: &MarketLedger,
    ) -> Result<book::Moved> {
        self.book.upkeep(term, before, after, ledger_before).or_reject()
    }

    /// `market`'s book, for writing: the loader checked owner and discriminator; this checks it is that market's
    /// (one compare, where a `has_one` constraint would load the account a second time).
    pub fn load_for<'a>(loader: &'a AccountLoader<'_, MarketBook>, market: &Pubkey) -> Result<RefMut<'a, MarketBook>> {
        let book = loader.load_mut()?;
        require_keys_eq!(book.market, *market, BackstopError::MarketMismatch);
        Ok(book)
    }

    /// `market`'s book, for reading. A book still being grown (a listing whose `extend_market_book` steps were not
    /// all sent) is refused by name.
    pub fn read_for<'a>(loader: &'a AccountLoader<'_, MarketBook>, market: &Pubkey) -> Result<Ref<'a, MarketBook>> {
        let info: &AccountInfo = loader.as_ref();
        require!(info.data_len() == MarketBook::SPACE, BackstopError::MarketBookIncomplete);
        let book = loader.load()?;
        require_keys_eq!(book.market, *market, BackstopError::MarketMismatch);
        Ok(book)
    }

    /// The market's stressed deficit at `shock_bps` from its last oracle price, positions and unapplied socialized
    /// loss (a flat account's deficit awaiting cover is `books.bankrupt_deficit`, apart).
    pub fn stressed_deficit(&self, market: &Market, shock_bps: u32) -> Result<u64> {
        let (price, index) = (market.last_oracle_price, market.books.cumulative_funding_index);
        self.book.stressed_deficit(price, index, shock_bps, market.cumulative_socialized).or_reject()
    }

    /// The fund's adequacy against this market's stressed deficit `stressed`, bps: its balance less the
    /// bankruptcies already awaiting its cover (it is about to pay them), over the deficit. The fee share and
    /// `fund_health` read it alike.
    pub fn adequacy_bps(market: &Market, fund_balance: u64, stressed: u64) -> u64 {
        book::adequacy_bps(fund_balance.saturating_sub(market.books.bankrupt_deficit), stressed)
    }

    /// What the market's positions would leave unpaid at its last price, with the unapplied socialized loss:
    /// losses the pool has booked but cannot collect.
    pub fn underwater(&self, market: &Market) -> u64 {
        let (price, index) = (market.last_oracle_price, market.books.cumulative_funding_index);
        self.book.deficit_at_price(price, index, market.cumulative_socialized)
    }

    /// What the market's underwater positions would leave unpaid at its last price, with its deficits awaiting
    /// cover and the unapplied socialized loss: the latent deficit.
    pub fn latent_deficit(&self, market: &Market) -> u64 {
        let (price, index) = (market.last_oracle_price, market.books.cumulative_funding_index);
        self.book
            .deficit_at_price(price, index, market.cumulative_socialized)
            .saturating_add(market.books.bankrupt_deficit)
    }
}
