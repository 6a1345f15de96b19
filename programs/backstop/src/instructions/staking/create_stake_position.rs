use crate::seeds;
use crate::state::{InsuranceFund, StakePosition};
use anchor_lang::prelude::*;

#[derive(Accounts)]
pub struct CreateStakePosition<'info> {
    pub insurance_fund: AccountLoader<'info, InsuranceFund>,
    #[account(
        init,
        payer = owner,
        space = 8 + core::mem::size_of::<StakePosition>(),
        seeds = [seeds::STAKE_POSITION, insurance_fund.key().as_ref(), owner.key().as_ref()],
        bump
    )]
    pub stake_position: AccountLoader<'info, StakePosition>,
    #[account(mut)]
    pub owner: Signer<'info>,
    pub system_program: Program<'info, System>,
}

pub fn handle_create_stake_position(ctx: Context<CreateStakePosition>) -> Result<()> {
    let mut position = ctx.accounts.stake_position.load_init()?;
    position.owner = ctx.accounts.owner.key();
    position.fund = ctx.accounts.insurance_fund.key();
    position.bump = ctx.bumps.stake_position;
    Ok(())
}
