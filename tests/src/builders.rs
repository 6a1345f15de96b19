//! The builders live in `backstop-client` (shared with the keeper, the CLI and the SBF VM suite); the harness
//! adds its defaults.

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
pub use backstop_client::*;

/// `initialize_insurance_fund` with the harness's staking rules ([`crate::fixtures::default_fund_params`]).
pub fn initialize_insurance_fund(authority: Pubkey, payer: Pubkey, mint: Pubkey, fund_id: u16) -> Instruction {
    initialize_insurance_fund_with(authority, payer, mint, fund_id, crate::fixtures::default_fund_params())
}
