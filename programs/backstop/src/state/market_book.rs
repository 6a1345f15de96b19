use crate::error::OrReject;
use crate::state::Market;
use anchor_lang::prelude::*;
use backstop_math::book::{self, RiskBook};
use backstop_math::ledger::MarketLedger;
use backstop_math::margin::TraderBalances;
use static_assertions::const_assert;
use static_assertions::const_assert_eq;

/// A market's bankruptcy book (`backstop_math::book`): every open position filed under the price at which it
/// goes bankrupt, so the market knows the deficit a gap would leave without reading an account. PDA
/// `[MARKET_BOOK, market]`, created with the market. Every instruction that changes a position or collateral
/// (deposit, withdraw, trade, liquidate) moves the touched accounts' terms in it.
#[account(zero_copy)]
pub struct MarketBook {
    /// offset 8.
    pub market: Pubkey,
    pub book: RiskBook,
    pub bump: u8,
    pub _padding: [u8; 7],
    pub reserved: [u8; 64],
}

const_assert_eq!(core::mem::size_of::<RiskBook>(), 32 + 2 * book::BUCKETS * 24);
const_assert_eq!(core::mem::size_of::<MarketBook>(), 32 + core::mem::size_of::<RiskBook>() + 8 + 64);
const_assert_eq!(core::mem::size_of::<MarketBook>() % 8, 0);
// Created by the program in one instruction: an account may grow by at most 10 KiB in one.
const_assert!(8 + core::mem::size_of::<MarketBook>() <= 10_240);

impl Market {
    /// The market's level now (`book::level`): its last oracle price net of its funding index.
    pub fn level(&self) -> i128 {
        book::level(self.last_oracle_price, self.books.cumulative_funding_index)
    }
}

impl MarketBook {
    /// Moves one touched account's term: `before` as loaded, `after` as stored; `ledger_before` the market's books
    /// before the instruction (for the socialized loss the touch applied).
    pub fn upkeep(
        &mut self,
        market: &Market,
        before: &TraderBalances,
        after: &TraderBalances,
        ledger_before: &MarketLedger,
    ) -> Result<()> {
        self.book.upkeep(before, after, ledger_before, market.level()).or_reject()
    }

    /// The market's stressed deficit at `shock_bps` from its last oracle price, positions and unapplied socialized
    /// loss (a flat account's deficit awaiting cover is `books.bankrupt_deficit`, apart).
    pub fn stressed_deficit(&self, market: &Market, shock_bps: u32) -> Result<u64> {
        let (price, index) = (market.last_oracle_price, market.books.cumulative_funding_index);
        self.book.stressed_deficit(price, index, shock_bps, market.cumulative_socialized).or_reject()
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
