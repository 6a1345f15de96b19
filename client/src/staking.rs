//! Builders of the staking instructions, and of governance over a fund's staking rules.

use crate::{build, event_accounts, pda};
use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::{AccountMeta, Instruction};
use anchor_spl::token::spl_token;

/// The accounts of one staker's flows in one fund.
#[derive(Clone, Copy, Debug)]
pub struct Staking {
    pub fund: Pubkey,
    pub position: Pubkey,
    pub owner: Pubkey,
    pub token: Pubkey,
    pub vault: Pubkey,
    pub mint: Pubkey,
}

impl Staking {
    pub fn create(&self) -> Instruction {
        build(
            backstop::accounts::CreateStakePosition {
                insurance_fund: self.fund,
                stake_position: self.position,
                owner: self.owner,
                system_program: anchor_lang::system_program::ID,
            },
            backstop::instruction::CreateStakePosition {},
        )
    }

    pub fn stake(&self, amount: u64) -> Instruction {
        let (event_authority, program) = event_accounts();
        build(
            backstop::accounts::Stake {
                insurance_fund: self.fund,
                stake_position: self.position,
                owner: self.owner,
                owner_token: self.token,
                vault: self.vault,
                mint: self.mint,
                token_program: spl_token::ID,
                event_authority,
                program,
            },
            backstop::instruction::Stake { amount },
        )
    }

    pub fn request_unstake(&self, shares: u64) -> Instruction {
        let (event_authority, program) = event_accounts();
        build(
            backstop::accounts::RequestUnstake {
                insurance_fund: self.fund,
                stake_position: self.position,
                owner: self.owner,
                event_authority,
                program,
            },
            backstop::instruction::RequestUnstake { shares },
        )
    }

    pub fn cancel_unstake(&self) -> Instruction {
        let (event_authority, program) = event_accounts();
        build(
            backstop::accounts::CancelUnstake {
                insurance_fund: self.fund,
                stake_position: self.position,
                owner: self.owner,
                event_authority,
                program,
            },
            backstop::instruction::CancelUnstake {},
        )
    }

    /// `fund_markets`: every market the fund backs (the program nets their pending deficits).
    pub fn unstake(&self, fund_markets: &[Pubkey]) -> Instruction {
        let (event_authority, program) = event_accounts();
        let mut ix = build(
            backstop::accounts::Unstake {
                insurance_fund: self.fund,
                stake_position: self.position,
                owner: self.owner,
                destination: self.token,
                vault: self.vault,
                mint: self.mint,
                token_program: spl_token::ID,
                event_authority,
                program,
            },
            backstop::instruction::Unstake {},
        );
        ix.accounts.extend(fund_markets.iter().map(|market| AccountMeta::new_readonly(*market, false)));
        ix
    }
}

/// Governance over a fund's staking rules.
pub mod fund_governance {
    use super::*;
    use backstop_math::staking::FundParams;

    pub fn update_fund_params(authority: Pubkey, fund: Pubkey, params: FundParams) -> Instruction {
        let (event_authority, program) = event_accounts();
        build(
            backstop::accounts::UpdateFundParams {
                exchange: pda::exchange(),
                authority,
                insurance_fund: fund,
                event_authority,
                program,
            },
            backstop::instruction::UpdateFundParams { params },
        )
    }

    pub fn cancel_fund_change(authority: Pubkey, fund: Pubkey) -> Instruction {
        let (event_authority, program) = event_accounts();
        build(
            backstop::accounts::CancelFundChange {
                exchange: pda::exchange(),
                authority,
                insurance_fund: fund,
                event_authority,
                program,
            },
            backstop::instruction::CancelFundChange {},
        )
    }

    pub fn apply_fund_params(fund: Pubkey, caller: Pubkey) -> Instruction {
        let (event_authority, program) = event_accounts();
        build(
            backstop::accounts::ApplyFundParams { insurance_fund: fund, caller, event_authority, program },
            backstop::instruction::ApplyFundParams {},
        )
    }
}
