use anchor_lang::prelude::*;
use backstop_math::staking::StakeBook;
use static_assertions::const_assert_eq;

/// One staker's shares in one insurance fund. PDA `[STAKE_POSITION, fund, owner]`.
#[account(zero_copy)]
pub struct StakePosition {
    /// The wallet that owns the position and alone may stake, request and unstake (offset 8, for `memcmp`).
    pub owner: Pubkey,
    /// The insurance fund the position holds shares of (offset 40, for `memcmp`).
    pub fund: Pubkey,
    /// Shares, and the pending unstake request (shares locked, value at request, time, place in the queue).
    pub book: StakeBook,
    /// Lifetime staked and unstaked. precision: QUOTE_PRECISION.
    pub staked: u64,
    /// Lifetime paid out by `unstake`. precision: QUOTE_PRECISION.
    pub unstaked: u64,
    /// Bump of this account's PDA.
    pub bump: u8,
    pub _padding: [u8; 7],
    /// Zero; room for fields added later without moving the layout.
    pub reserved: [u8; 48],
}

const_assert_eq!(core::mem::size_of::<StakeBook>(), 56);
const_assert_eq!(core::mem::size_of::<StakePosition>(), 2 * 32 + 56 + 2 * 8 + 8 + 48);
const_assert_eq!(core::mem::size_of::<StakePosition>() % 8, 0);
