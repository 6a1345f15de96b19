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
        find(&[b"__event_authority"])
    }
}

fn build(accounts: impl ToAccountMetas, data: impl InstructionData) -> Instruction {
    Instruction { program_id: backstop::ID, accounts: accounts.to_account_metas(None), data: data.data() }
}

pub fn initialize_exchange(payer: Pubkey, args: backstop::instructions::InitializeExchangeArgs) -> Instruction {
    build(
        backstop::accounts::InitializeExchange {
            exchange: pda::exchange(),
            payer,
            backstop_program: backstop::ID,
            program_data: None,
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
    pub fn instruction(&self) -> Instruction {
        let market = pda::market(self.market_id);
        build(
            backstop::accounts::InitializeMarket {
                exchange: pda::exchange(),
                authority: self.authority,
                market,
                vault: pda::market_vault(&market),
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

/// The accounts of the keeper instructions on one market.
#[derive(Clone, Copy, Debug)]
pub struct KeeperAccounts {
    pub market: Pubkey,
    pub insurance_fund: Pubkey,
    pub fund_vault: Pubkey,
    pub vault: Pubkey,
    pub mint: Pubkey,
    pub oracle: Pubkey,
}

impl KeeperAccounts {
    /// `keeper` liquidates `liquidatee`'s margin account, paid into the keeper's own.
    pub fn liquidate(&self, keeper: Pubkey, liquidatee_owner: Pubkey) -> Instruction {
        self.liquidate_accounts(
            keeper,
            pda::margin_account(&self.market, &liquidatee_owner),
            pda::margin_account(&self.market, &keeper),
        )
    }

    /// As [`KeeperAccounts::liquidate`], with the two margin accounts named outright.
    pub fn liquidate_accounts(&self, keeper: Pubkey, liquidatee: Pubkey, liquidator: Pubkey) -> Instruction {
        build(
            backstop::accounts::Liquidate {
                market: self.market,
                liquidatee,
                liquidator,
                keeper,
                oracle: self.oracle,
                event_authority: pda::event_authority(),
                program: backstop::ID,
            },
            backstop::instruction::Liquidate {},
        )
    }

    pub fn cover_bankruptcy(&self, keeper: Pubkey, bankrupt_owner: Pubkey) -> Instruction {
        build(
            backstop::accounts::CoverBankruptcy {
                market: self.market,
                bankrupt_account: pda::margin_account(&self.market, &bankrupt_owner),
                insurance_fund: self.insurance_fund,
                fund_vault: self.fund_vault,
                vault: self.vault,
                collateral_mint: self.mint,
                oracle: self.oracle,
                keeper,
                token_program: spl_token::ID,
                event_authority: pda::event_authority(),
                program: backstop::ID,
            },
            backstop::instruction::CoverBankruptcy {},
        )
    }

    pub fn settle_fund_revenue(&self) -> Instruction {
        build(
            backstop::accounts::SettleFundRevenue {
                market: self.market,
                insurance_fund: self.insurance_fund,
                fund_vault: self.fund_vault,
                vault: self.vault,
                collateral_mint: self.mint,
                token_program: spl_token::ID,
                event_authority: pda::event_authority(),
                program: backstop::ID,
            },
            backstop::instruction::SettleFundRevenue {},
        )
    }

    /// `fund_health` over the given markets.
    pub fn fund_health(&self, markets: &[Pubkey]) -> Instruction {
        let mut ix = build(
            backstop::accounts::FundHealthView {
                insurance_fund: self.insurance_fund,
                event_authority: pda::event_authority(),
                program: backstop::ID,
            },
            backstop::instruction::FundHealth {},
        );
        ix.accounts.extend(
            markets.iter().map(|m| anchor_lang::solana_program::instruction::AccountMeta::new_readonly(*m, false)),
        );
        ix
    }
}

fn event_accounts() -> (Pubkey, Pubkey) {
    (pda::event_authority(), backstop::ID)
}

pub fn activate_market(market: Pubkey, caller: Pubkey) -> Instruction {
    let (event_authority, program) = event_accounts();
    build(
        backstop::accounts::ActivateMarket { market, caller, event_authority, program },
        backstop::instruction::ActivateMarket {},
    )
}

/// Builders of the governance and guardian instructions.
pub mod governance {
    use super::*;
    use backstop::instructions::ExchangeChange;
    use backstop::state::OracleConfig;

    pub fn propose_authority(authority: Pubkey, new_authority: Pubkey) -> Instruction {
        let (event_authority, program) = event_accounts();
        build(
            backstop::accounts::ProposeAuthority { exchange: pda::exchange(), authority, event_authority, program },
            backstop::instruction::ProposeAuthority { new_authority },
        )
    }

    pub fn accept_authority(new_authority: Pubkey) -> Instruction {
        let (event_authority, program) = event_accounts();
        build(
            backstop::accounts::AcceptAuthority { exchange: pda::exchange(), new_authority, event_authority, program },
            backstop::instruction::AcceptAuthority {},
        )
    }

    pub fn propose_exchange_change(authority: Pubkey, change: ExchangeChange) -> Instruction {
        let (event_authority, program) = event_accounts();
        build(
            backstop::accounts::ProposeExchangeChange {
                exchange: pda::exchange(),
                authority,
                event_authority,
                program,
            },
            backstop::instruction::ProposeExchangeChange { change },
        )
    }

    pub fn apply_exchange_change(caller: Pubkey) -> Instruction {
        let (event_authority, program) = event_accounts();
        build(
            backstop::accounts::ApplyExchangeChange { exchange: pda::exchange(), caller, event_authority, program },
            backstop::instruction::ApplyExchangeChange {},
        )
    }

    pub fn cancel_exchange_change(authority: Pubkey) -> Instruction {
        let (event_authority, program) = event_accounts();
        build(
            backstop::accounts::CancelExchangeChange { exchange: pda::exchange(), authority, event_authority, program },
            backstop::instruction::CancelExchangeChange {},
        )
    }

    pub fn update_market_params(authority: Pubkey, market: Pubkey, params: MarketParams) -> Instruction {
        let (event_authority, program) = event_accounts();
        build(
            backstop::accounts::UpdateMarketParams {
                exchange: pda::exchange(),
                authority,
                market,
                event_authority,
                program,
            },
            backstop::instruction::UpdateMarketParams { params },
        )
    }

    pub fn apply_market_params(market: Pubkey, caller: Pubkey) -> Instruction {
        let (event_authority, program) = event_accounts();
        build(
            backstop::accounts::ApplyMarketParams { market, caller, event_authority, program },
            backstop::instruction::ApplyMarketParams {},
        )
    }

    pub fn cancel_market_change(authority: Pubkey, market: Pubkey) -> Instruction {
        let (event_authority, program) = event_accounts();
        build(
            backstop::accounts::CancelMarketChange {
                exchange: pda::exchange(),
                authority,
                market,
                event_authority,
                program,
            },
            backstop::instruction::CancelMarketChange {},
        )
    }

    pub fn propose_oracle_change(
        authority: Pubkey,
        market: Pubkey,
        new_oracle: Pubkey,
        config: OracleConfig,
    ) -> Instruction {
        let (event_authority, program) = event_accounts();
        build(
            backstop::accounts::ProposeOracleChange {
                exchange: pda::exchange(),
                authority,
                market,
                new_oracle,
                event_authority,
                program,
            },
            backstop::instruction::ProposeOracleChange { config },
        )
    }

    pub fn apply_oracle_change(market: Pubkey, new_oracle: Pubkey, caller: Pubkey) -> Instruction {
        let (event_authority, program) = event_accounts();
        build(
            backstop::accounts::ApplyOracleChange { market, new_oracle, caller, event_authority, program },
            backstop::instruction::ApplyOracleChange {},
        )
    }

    pub fn set_market_status(signer: Pubkey, market: Pubkey, status: u8) -> Instruction {
        let (event_authority, program) = event_accounts();
        build(
            backstop::accounts::SetMarketStatus { exchange: pda::exchange(), signer, market, event_authority, program },
            backstop::instruction::SetMarketStatus { status },
        )
    }

    pub fn update_circuit_breaker(market: Pubkey, oracle: Pubkey) -> Instruction {
        let (event_authority, program) = event_accounts();
        build(
            backstop::accounts::UpdateCircuitBreaker { market, oracle, event_authority, program },
            backstop::instruction::UpdateCircuitBreaker {},
        )
    }
}

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

    pub fn unstake(&self) -> Instruction {
        let (event_authority, program) = event_accounts();
        build(
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
        )
    }
}

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

    pub fn apply_fund_params(fund: Pubkey, caller: Pubkey) -> Instruction {
        let (event_authority, program) = event_accounts();
        build(
            backstop::accounts::ApplyFundParams { insurance_fund: fund, caller, event_authority, program },
            backstop::instruction::ApplyFundParams {},
        )
    }
}
