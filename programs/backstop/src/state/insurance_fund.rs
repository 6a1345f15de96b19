use anchor_lang::prelude::*;
use backstop_math::staking::{FundBook, FundParams};
use backstop_math::timelock::Timelock;
use static_assertions::const_assert_eq;

/// An insurance fund. PDA `[INSURANCE_FUND, fund_id (u16 LE)]`; its vault `[FUND_VAULT, fund]` is a token account
/// owned by the fund PDA.
#[account(zero_copy)]
pub struct InsuranceFund {
    /// Mint of the token the fund holds, takes stakes in and pays covers with (offset 8, for `memcmp`).
    pub mint: Pubkey,
    /// The fund's vault: a token account of `mint` owned by the fund, PDA `[FUND_VAULT, fund]`.
    pub vault: Pubkey,
    /// Stakers' capital and revenue (vested or not), shares, unstake requests and the redemption gate. `book.balance`
    /// is what the program owes out of the vault: never the vault's raw token balance, so a donation changes
    /// nothing. precision: QUOTE_PRECISION.
    pub book: FundBook,
    /// Cooldown, vesting period and redemption gate.
    pub params: FundParams,
    /// A queued change of `params` and when it may be applied.
    pub pending_params: FundParams,
    /// When `pending_params` may be applied (0: none queued).
    pub params_change: Timelock,
    /// Lifetime inflows by source. precision: QUOTE_PRECISION.
    pub inflow_fees: u64,
    /// Lifetime liquidation-penalty share swept in from the markets. precision: QUOTE_PRECISION.
    pub inflow_penalties: u64,
    /// Lifetime staked. precision: QUOTE_PRECISION.
    pub inflow_stakes: u64,
    /// Lifetime deficits paid by the fund, and lifetime unstaked. precision: QUOTE_PRECISION.
    pub deficits_covered: u64,
    /// Lifetime paid out to unstakers. precision: QUOTE_PRECISION.
    pub outflow_unstakes: u64,
    /// The fund's id, its PDA seed (ids are dense from 0).
    pub fund_id: u16,
    /// Bump of this account's PDA.
    pub bump: u8,
    /// Bump of the vault's PDA.
    pub vault_bump: u8,
    /// How many markets this fund backs (each listing adds one; a market never changes fund). An unstake must
    /// name every one of them, so the deficits pending in each are counted (`fund_markets`).
    pub markets_backed: u16,
    pub _padding: [u8; 2],
    /// Zero; room for fields added later without moving the layout.
    pub reserved: [u8; 240],
}

const_assert_eq!(core::mem::size_of::<FundBook>(), 14 * 8);
const_assert_eq!(core::mem::size_of::<InsuranceFund>(), 2 * 32 + 112 + 16 + 16 + 8 + 5 * 8 + 8 + 240);
const_assert_eq!(core::mem::size_of::<InsuranceFund>() % 8, 0);

impl InsuranceFund {
    /// The fund PDA's seeds, copied out so no borrow of the account is held across a CPI.
    pub fn signer(&self) -> super::PdaSigner {
        super::PdaSigner { prefix: crate::seeds::INSURANCE_FUND, id: self.fund_id.to_le_bytes(), bump: [self.bump] }
    }
}
