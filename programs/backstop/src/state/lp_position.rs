use anchor_lang::prelude::*;
use backstop_math::ledger::LpExitRequest;
use static_assertions::const_assert_eq;

/// One LP's shares in one market's pool. PDA `[LP_POSITION, market, owner]`.
#[account(zero_copy)]
pub struct LpPosition {
    /// The wallet that owns the position and alone may deposit into and exit it (offset 8, for `memcmp`).
    pub owner: Pubkey,
    /// The market whose LP pool the position holds shares of (offset 40, for `memcmp`).
    pub market: Pubkey,
    /// LP shares held in the market's pool, including those of a pending exit.
    pub shares: u64,
    /// Lifetime quote deposited and withdrawn, for the LP's own accounting. precision: QUOTE_PRECISION.
    pub deposited: u64,
    /// Lifetime paid out by `lp_withdraw`. precision: QUOTE_PRECISION.
    pub withdrawn: u64,
    /// Bump of this account's PDA.
    pub bump: u8,
    pub _padding: [u8; 7],
    /// The pending exit (`request_lp_withdraw`), served by `lp_withdraw` after the market's exit delay.
    pub exit: LpExitRequest,
    /// Zero; room for fields added later without moving the layout.
    pub reserved: [u8; 40],
}

const_assert_eq!(core::mem::size_of::<LpExitRequest>(), 24);
const_assert_eq!(core::mem::size_of::<LpPosition>(), 2 * 32 + 4 * 8 + 24 + 40);
const_assert_eq!(core::mem::size_of::<LpPosition>() % 8, 0);
