use anchor_lang::prelude::*;
use static_assertions::const_assert_eq;

/// One LP's shares in one market's pool. PDA `[LP_POSITION, market, owner]`.
#[account(zero_copy)]
pub struct LpPosition {
    /// offset 8.
    pub owner: Pubkey,
    /// offset 40.
    pub market: Pubkey,
    pub shares: u64,
    /// Lifetime quote deposited and withdrawn, for the LP's own accounting. precision: QUOTE_PRECISION.
    pub deposited: u64,
    pub withdrawn: u64,
    pub bump: u8,
    pub _padding: [u8; 7],
    pub reserved: [u8; 64],
}

const_assert_eq!(core::mem::size_of::<LpPosition>(), 2 * 32 + 4 * 8 + 64);
const_assert_eq!(core::mem::size_of::<LpPosition>() % 8, 0);
