use crate::error::BackstopError;
use crate::error::OrReject;
use crate::events::{EventHeader, InsuranceFundInitialized};
use crate::pda;
use crate::seeds;
use crate::state::{Exchange, InsuranceFund};
use crate::vault;
use anchor_lang::prelude::*;
use anchor_spl::token::{Mint, Token};
use backstop_math::constants::QUOTE_DECIMALS;
use backstop_math::staking::FundParams;

#[event_cpi]
#[derive(Accounts)]
#[instruction(fund_id: u16, params: FundParams)]
pub struct InitializeInsuranceFund<'info> {
    /// The exchange (PDA `[EXCHANGE]`): names the governance authority and gives the fund its id (its `fund_count`,
    /// then incremented).
    #[account(mut, has_one = authority @ BackstopError::Unauthorized)]
    pub exchange: AccountLoader<'info, Exchange>,
    /// Signer: the exchange's governance authority.
    pub authority: Signer<'info>,
    /// The new insurance fund, created here: PDA `[INSURANCE_FUND, fund_id u16 LE]`.
    /// CHECK: the PDA of fund_id (the exchange's next id, checked at #1), created here (`pda`)
    #[account(mut, seeds = [seeds::INSURANCE_FUND, &fund_id.to_le_bytes()], bump)]
    pub insurance_fund: UncheckedAccount<'info>,
    /// The fund's new token vault, created here: PDA `[FUND_VAULT, insurance_fund]`, owned by the fund.
    /// CHECK: the fund's vault PDA, created here as a token account of `mint` owned by the fund
    #[account(mut, seeds = [seeds::FUND_VAULT, insurance_fund.key().as_ref()], bump)]
    pub vault: UncheckedAccount<'info>,
    /// The token the fund holds and stakers stake (6 decimals, QUOTE_DECIMALS); the markets it backs must use it
    /// as collateral.
    #[account(constraint = mint.decimals == QUOTE_DECIMALS @ BackstopError::InvalidCollateralMint)]
    pub mint: Box<Account<'info, Mint>>,
    /// Payer of the new accounts' rent (the fund and its vault).
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

    let (fund_key, vault_key, mint_key) =
        (ctx.accounts.insurance_fund.key(), ctx.accounts.vault.key(), ctx.accounts.mint.key());
    let (bump, vault_bump) = (ctx.bumps.insurance_fund, ctx.bumps.vault);
    let id = fund_id.to_le_bytes();
    let accounts = &ctx.accounts;
    let fund_seeds: &[&[u8]] = &[seeds::INSURANCE_FUND, &id, &[bump]];
    pda::create_zero_copy::<InsuranceFund>(
        &accounts.payer,
        &accounts.insurance_fund,
        &accounts.system_program,
        fund_seeds,
        |f| {
            f.mint = mint_key;
            f.vault = vault_key;
            f.fund_id = fund_id;
            f.params = params;
            f.bump = bump;
            f.vault_bump = vault_bump;
        },
    )?;
    let vault_seeds: &[&[u8]] = &[seeds::FUND_VAULT, fund_key.as_ref(), &[vault_bump]];
    vault::create(
        &accounts.payer,
        &accounts.vault,
        &accounts.mint.to_account_info(),
        &accounts.insurance_fund,
        &accounts.token_program,
        &accounts.system_program,
        vault_seeds,
    )?;

    crate::events::emit(
        &ctx.accounts.event_authority,
        &InsuranceFundInitialized {
            header: EventHeader::now(&Clock::get()?),
            fund: ctx.accounts.insurance_fund.key(),
            fund_id,
            mint: ctx.accounts.mint.key(),
            vault: ctx.accounts.vault.key(),
        },
    )?;
    Ok(())
}
