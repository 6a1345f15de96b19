//! Builders of the governance and guardian instructions.

use crate::{build, event_accounts, pda};
use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use backstop::instructions::ExchangeChange;
use backstop::state::OracleConfig;
use backstop_math::params::MarketParams;

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
        backstop::accounts::ProposeExchangeChange { exchange: pda::exchange(), authority, event_authority, program },
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
        backstop::accounts::ApplyOracleChange {
            exchange: pda::exchange(),
            market,
            new_oracle,
            caller,
            event_authority,
            program,
        },
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

/// Permissionless: shows the market its oracle and refreshes the fund's share of fees that trades read (the keeper's
/// first action each round; a trader may put it in front of a trade whose market's refresh has gone stale).
pub fn refresh_market(market: Pubkey, oracle: Pubkey, insurance_fund: Pubkey) -> Instruction {
    let (event_authority, program) = event_accounts();
    build(
        backstop::accounts::RefreshMarket {
            market,
            market_book: pda::market_book(&market),
            insurance_fund,
            oracle,
            event_authority,
            program,
        },
        backstop::instruction::RefreshMarket {},
    )
}
