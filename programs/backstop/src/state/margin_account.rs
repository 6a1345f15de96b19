use anchor_lang::prelude::*;
use backstop_math::book::BookTerm;
use backstop_math::margin::TraderBalances;
use static_assertions::const_assert_eq;

/// One trader's isolated-margin account in one market. PDA `[MARGIN_ACCOUNT, market, owner]`.
/// Keepers find every account of a market with a data-size filter and `memcmp` on the market at offset 40.
#[account(zero_copy)]
pub struct MarginAccount {
    /// The wallet that owns the account and alone may deposit, withdraw and trade with it (offset 8, for `memcmp`).
    pub owner: Pubkey,
    /// The market the account trades in (offset 40, for `memcmp`).
    pub market: Pubkey,
    /// Collateral (signed: negative is a deficit awaiting cover), position, unsettled profit. offset 72.
    pub balances: TraderBalances,
    /// Lifetime realized PnL. precision: QUOTE_PRECISION.
    pub realized_pnl: i64,
    /// Lifetime fees paid. precision: QUOTE_PRECISION.
    pub fees_paid: u64,
    /// Bump of this account's PDA.
    pub bump: u8,
    pub _padding: [u8; 7],
    /// The account's term in its market's bankruptcy book, as the book holds it (zero while flat).
    pub book_term: BookTerm,
    /// Zero; room for fields added later without moving the layout.
    pub reserved: [u8; 96],
}

const_assert_eq!(core::mem::size_of::<TraderBalances>(), 56);
const_assert_eq!(core::mem::size_of::<BookTerm>(), 32);
const_assert_eq!(core::mem::size_of::<MarginAccount>(), 2 * 32 + 56 + 2 * 8 + 8 + 32 + 96);
const_assert_eq!(core::mem::size_of::<MarginAccount>() % 8, 0);
