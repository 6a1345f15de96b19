//! The accounts of a trader's and an LP's flows.

use crate::{build, pda};
use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use anchor_spl::token::spl_token;

/// The accounts every collateral or LP flow names. Fields are public so a test can substitute one.
#[derive(Clone, Copy, Debug)]
pub struct Flow {
    pub market: Pubkey,
    /// Margin account or LP position.
    pub position: Pubkey,
    pub owner: Pubkey,
    /// The owner's token account (source of deposits, destination of withdrawals).
    pub token: Pubkey,
    pub vault: Pubkey,
    /// The market's bankruptcy book (margin flows move the account's term in it).
    pub book: Pubkey,
    pub mint: Pubkey,
    pub oracle: Pubkey,
    /// The market's insurance fund (trades read its coverage).
    pub fund: Pubkey,
}

impl Flow {
    pub fn deposit(&self, amount: u64) -> Instruction {
        build(
            backstop::accounts::Deposit {
                market: self.market,
                margin_account: self.position,
                market_book: self.book,
                owner: self.owner,
                owner_token: self.token,
                vault: self.vault,
                collateral_mint: self.mint,
                token_program: spl_token::ID,
                event_authority: pda::event_authority(),
                program: backstop::ID,
            },
            backstop::instruction::Deposit { amount },
        )
    }

    pub fn withdraw(&self, amount: u64) -> Instruction {
        build(
            backstop::accounts::Withdraw {
                market: self.market,
                margin_account: self.position,
                market_book: self.book,
                insurance_fund: self.fund,
                owner: self.owner,
                destination: self.token,
                vault: self.vault,
                collateral_mint: self.mint,
                oracle: self.oracle,
                token_program: spl_token::ID,
                event_authority: pda::event_authority(),
                program: backstop::ID,
            },
            backstop::instruction::Withdraw { amount },
        )
    }

    pub fn trade(&self, base_delta: i64) -> Instruction {
        build(
            backstop::accounts::Trade {
                market: self.market,
                margin_account: self.position,
                market_book: self.book,
                owner: self.owner,
                oracle: self.oracle,
                insurance_fund: self.fund,
                event_authority: pda::event_authority(),
                program: backstop::ID,
            },
            backstop::instruction::Trade { base_delta },
        )
    }

    pub fn lp_deposit(&self, amount: u64) -> Instruction {
        build(
            backstop::accounts::LpDeposit {
                market: self.market,
                lp_position: self.position,
                owner: self.owner,
                owner_token: self.token,
                vault: self.vault,
                collateral_mint: self.mint,
                oracle: self.oracle,
                token_program: spl_token::ID,
                event_authority: pda::event_authority(),
                program: backstop::ID,
            },
            backstop::instruction::LpDeposit { amount },
        )
    }

    /// Asks to leave with `shares`; `lp_withdraw` serves them after the market's LP exit delay.
    pub fn request_lp_withdraw(&self, shares: u64) -> Instruction {
        build(
            backstop::accounts::RequestLpWithdraw {
                market: self.market,
                lp_position: self.position,
                owner: self.owner,
                oracle: self.oracle,
                event_authority: pda::event_authority(),
                program: backstop::ID,
            },
            backstop::instruction::RequestLpWithdraw { shares },
        )
    }

    /// Serves `shares` of a matured exit request.
    pub fn lp_withdraw(&self, shares: u64) -> Instruction {
        build(
            backstop::accounts::LpWithdraw {
                market: self.market,
                lp_position: self.position,
                owner: self.owner,
                destination: self.token,
                vault: self.vault,
                collateral_mint: self.mint,
                oracle: self.oracle,
                token_program: spl_token::ID,
                event_authority: pda::event_authority(),
                program: backstop::ID,
            },
            backstop::instruction::LpWithdraw { shares },
        )
    }
}
