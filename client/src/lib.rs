//! One builder per Backstop instruction: the accounts a client passes, and the PDAs they derive from. The keeper,
//! the CLI, the native tests and the SBF VM suite all build instructions here.

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use anchor_lang::{InstructionData, ToAccountMetas};
use anchor_spl::token::spl_token;
use backstop::seeds;
use backstop_math::params::MarketParams;

pub mod pda {
    use super::*;

    fn find(seeds: &[&[u8]]) -> Pubkey {
        Pubkey::find_program_address(seeds, &backstop::ID).0
    }

    pub fn exchange() -> Pubkey {
        find(&[seeds::EXCHANGE])
    }

    /// The SPL associated token account program.
    pub const ASSOCIATED_TOKEN_PROGRAM: Pubkey = anchor_lang::pubkey!("ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL");

    /// `wallet`'s associated token account of `mint` (SPL Token): where a wallet's tokens live by default.
    pub fn associated_token_account(wallet: &Pubkey, mint: &Pubkey) -> Pubkey {
        let token_program = anchor_spl::token::ID;
        Pubkey::find_program_address(
            &[wallet.as_ref(), token_program.as_ref(), mint.as_ref()],
            &ASSOCIATED_TOKEN_PROGRAM,
        )
        .0
    }
    pub fn insurance_fund(id: u16) -> Pubkey {
        find(&[seeds::INSURANCE_FUND, &id.to_le_bytes()])
    }
    pub fn fund_vault(fund: &Pubkey) -> Pubkey {
        find(&[seeds::FUND_VAULT, fund.as_ref()])
    }
    pub fn market(id: u16) -> Pubkey {
        find(&[seeds::MARKET, &id.to_le_bytes()])
    }
    pub fn market_vault(market: &Pubkey) -> Pubkey {
        find(&[seeds::MARKET_VAULT, market.as_ref()])
    }
    pub fn market_book(market: &Pubkey) -> Pubkey {
        find(&[seeds::MARKET_BOOK, market.as_ref()])
    }
    pub fn margin_account(market: &Pubkey, owner: &Pubkey) -> Pubkey {
        find(&[seeds::MARGIN_ACCOUNT, market.as_ref(), owner.as_ref()])
    }
    pub fn stake_position(fund: &Pubkey, owner: &Pubkey) -> Pubkey {
        find(&[seeds::STAKE_POSITION, fund.as_ref(), owner.as_ref()])
    }
    pub fn lp_position(market: &Pubkey, owner: &Pubkey) -> Pubkey {
        find(&[seeds::LP_POSITION, market.as_ref(), owner.as_ref()])
    }
    pub fn event_authority() -> Pubkey {
        find(&[seeds::EVENT_AUTHORITY])
    }
}

pub(crate) fn build(accounts: impl ToAccountMetas, data: impl InstructionData) -> Instruction {
    Instruction { program_id: backstop::ID, accounts: accounts.to_account_metas(None), data: data.data() }
}

/// `initialize_exchange` on a program with no upgrade authority (a builtin in the native bank).
pub fn initialize_exchange(payer: Pubkey, args: backstop::instructions::InitializeExchangeArgs) -> Instruction {
    initialize_exchange_with(payer, args, None)
}

/// `initialize_exchange` as the deployer of an upgradeable program: `program_data` is its ProgramData account,
/// whose upgrade authority must be `payer`.
pub fn initialize_exchange_with(
    payer: Pubkey,
    args: backstop::instructions::InitializeExchangeArgs,
    program_data: Option<Pubkey>,
) -> Instruction {
    build(
        backstop::accounts::InitializeExchange {
            exchange: pda::exchange(),
            payer,
            backstop_program: backstop::ID,
            program_data,
            system_program: anchor_lang::system_program::ID,
            event_authority: pda::event_authority(),
            program: backstop::ID,
        },
        backstop::instruction::InitializeExchange { args },
    )
}

pub fn initialize_insurance_fund_with(
    authority: Pubkey,
    payer: Pubkey,
    mint: Pubkey,
    fund_id: u16,
    params: backstop_math::staking::FundParams,
) -> Instruction {
    let fund = pda::insurance_fund(fund_id);
    build(
        backstop::accounts::InitializeInsuranceFund {
            exchange: pda::exchange(),
            authority,
            insurance_fund: fund,
            vault: pda::fund_vault(&fund),
            mint,
            payer,
            token_program: spl_token::ID,
            system_program: anchor_lang::system_program::ID,
            event_authority: pda::event_authority(),
            program: backstop::ID,
        },
        backstop::instruction::InitializeInsuranceFund { fund_id, params },
    )
}

/// Accounts of a market listing, separate from its arguments so tests can substitute any of them.
#[derive(Clone, Copy, Debug)]
pub struct ListMarket {
    pub authority: Pubkey,
    pub payer: Pubkey,
    pub collateral_mint: Pubkey,
    pub insurance_fund: Pubkey,
    pub oracle: Pubkey,
    pub oracle_config: backstop::state::OracleConfig,
    pub market_id: u16,
    pub params: MarketParams,
}

impl ListMarket {
    /// The listing with its book made whole: `initialize_market`, then `extend_market_book` as many times as the
    /// book needs (one transaction holds them all).
    pub fn instructions(&self) -> Vec<Instruction> {
        let market = pda::market(self.market_id);
        let steps = backstop::state::MarketBook::SPACE.div_ceil(backstop::state::MarketBook::CREATED_SPACE) - 1;
        let mut all = vec![self.instruction()];
        all.extend((0..steps).map(|_| extend_market_book(market, self.payer)));
        all
    }

    /// `initialize_market` alone (its book then needs [`ListMarket::instructions`]' growth steps).
    pub fn instruction(&self) -> Instruction {
        let market = pda::market(self.market_id);
        build(
            backstop::accounts::InitializeMarket {
                exchange: pda::exchange(),
                authority: self.authority,
                market,
                vault: pda::market_vault(&market),
                market_book: pda::market_book(&market),
                collateral_mint: self.collateral_mint,
                insurance_fund: self.insurance_fund,
                oracle: self.oracle,
                payer: self.payer,
                token_program: spl_token::ID,
                system_program: anchor_lang::system_program::ID,
                event_authority: pda::event_authority(),
                program: backstop::ID,
            },
            backstop::instruction::InitializeMarket {
                args: backstop::instructions::InitializeMarketArgs {
                    market_id: self.market_id,
                    oracle: self.oracle_config,
                    params: self.params,
                },
            },
        )
    }
}

pub fn create_margin_account(market: Pubkey, owner: Pubkey) -> Instruction {
    build(
        backstop::accounts::CreateMarginAccount {
            market,
            margin_account: pda::margin_account(&market, &owner),
            owner,
            system_program: anchor_lang::system_program::ID,
        },
        backstop::instruction::CreateMarginAccount {},
    )
}

pub fn create_lp_position(market: Pubkey, owner: Pubkey) -> Instruction {
    build(
        backstop::accounts::CreateLpPosition {
            market,
            lp_position: pda::lp_position(&market, &owner),
            owner,
            system_program: anchor_lang::system_program::ID,
        },
        backstop::instruction::CreateLpPosition {},
    )
}

pub(crate) fn event_accounts() -> (Pubkey, Pubkey) {
    (pda::event_authority(), backstop::ID)
}

pub fn activate_market(market: Pubkey, caller: Pubkey) -> Instruction {
    let (event_authority, program) = event_accounts();
    let market_book = pda::market_book(&market);
    build(
        backstop::accounts::ActivateMarket {
            exchange: pda::exchange(),
            market,
            market_book,
            caller,
            event_authority,
            program,
        },
        backstop::instruction::ActivateMarket {},
    )
}

/// Grows `market`'s bankruptcy book by one step, `payer` paying the rent.
pub fn extend_market_book(market: Pubkey, payer: Pubkey) -> Instruction {
    build(
        backstop::accounts::ExtendMarketBook {
            market,
            market_book: pda::market_book(&market),
            payer,
            system_program: anchor_lang::system_program::ID,
        },
        backstop::instruction::ExtendMarketBook {},
    )
}

pub mod accounts;
pub mod compute;
pub mod flows;
pub mod governance;
pub mod keeper;
mod measured_units;
pub mod oracle;
pub mod presets;
pub mod price_post;
pub mod read;
pub mod staking;
pub mod units;

pub use accounts::MarketAccounts;
pub use flows::Flow;
pub use keeper::KeeperAccounts;
pub use staking::{fund_governance, Staking};
