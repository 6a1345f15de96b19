use crate::error::BackstopError;
use crate::error::OrReject;
use crate::events::{EventHeader, InsuranceFundInitialized};
use crate::seeds;
use crate::state::{Exchange, InsuranceFund};
use anchor_lang::prelude::*;
use anchor_spl::token::{Mint, Token, TokenAccount};
use backstop_math::constants::QUOTE_DECIMALS;
use backstop_math::staking::FundParams;

#[event_cpi]
#[derive(Accounts)]
#[instruction(fund_id: u16, params: FundParams)]
pub struct InitializeInsuranceFund<'info> {
    #[account(mut, seeds = [seeds::EXCHANGE], bump = exchange.load()?.bump, has_one = authority @ BackstopError::Unauthorized)]
    pub exchange: AccountLoader<'info, Exchange>,
    pub authority: Signer<'info>,
    /// fund_id must be the exchange's next id. checked at #1
    #[account(
        init,
        payer = payer,
        space = 8 + core::mem::size_of::<InsuranceFund>(),
        seeds = [seeds::INSURANCE_FUND, &fund_id.to_le_bytes()],
        bump
    )]
    pub insurance_fund: AccountLoader<'info, InsuranceFund>,
    #[account(
        init,
        payer = payer,
        seeds = [seeds::FUND_VAULT, insurance_fund.key().as_ref()],
        bump,
        token::mint = mint,
        token::authority = insurance_fund,
        token::token_program = token_program
    )]
    pub vault: Box<Account<'info, TokenAccount>>,
    #[account(constraint = mint.decimals == QUOTE_DECIMALS @ BackstopError::InvalidCollateralMint)]
    pub mint: Box<Account<'info, Mint>>,
    #[account(mut)]
    pub payer: Signer<'info>,
    pub token_program: Program<'info, Token>,
    pub system_program: Program<'info, System>,
}

impl InitializeInsuranceFund<'_> {
    pub fn validate(&self, fund_id: u16, params: &FundParams) -> Result<()> {
        // #1 Ids are dense, so every fund's address is predictable from the exchange.
        require_eq!(fund_id, self.exchange.load()?.fund_count, BackstopError::InvalidId);
        params.validate().or_reject()
    }
}

#[access_control(ctx.accounts.validate(fund_id, &params))]
pub fn handle_initialize_insurance_fund(
    ctx: Context<InitializeInsuranceFund>,
    fund_id: u16,
    params: FundParams,
) -> Result<()> {
    let mut exchange = ctx.accounts.exchange.load_mut()?;
    exchange.fund_count = exchange.fund_count.checked_add(1).ok_or(BackstopError::Overflow)?;
    drop(exchange);

    let mut fund = ctx.accounts.insurance_fund.load_init()?;
    fund.mint = ctx.accounts.mint.key();
    fund.vault = ctx.accounts.vault.key();
    fund.fund_id = fund_id;
    fund.params = params;
    fund.bump = ctx.bumps.insurance_fund;
    fund.vault_bump = ctx.bumps.vault;
    drop(fund);

    emit_cpi!(InsuranceFundInitialized {
        header: EventHeader::now(&Clock::get()?),
        fund: ctx.accounts.insurance_fund.key(),
        fund_id,
        mint: ctx.accounts.mint.key(),
        vault: ctx.accounts.vault.key(),
    });
    Ok(())
}
