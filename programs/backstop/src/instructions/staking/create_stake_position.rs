use crate::pda;
use crate::seeds;
use crate::state::{InsuranceFund, StakePosition};
use anchor_lang::prelude::*;

#[derive(Accounts)]
pub struct CreateStakePosition<'info> {
    /// The insurance fund to stake in (PDA `[INSURANCE_FUND, fund_id u16 LE]`).
    pub insurance_fund: AccountLoader<'info, InsuranceFund>,
    /// The new stake position, created here: PDA `[STAKE_POSITION, insurance_fund, owner]`.
    /// CHECK: the PDA of (fund, owner), created here even if someone already sent it lamports (`pda`)
    #[account(mut, seeds = [seeds::STAKE_POSITION, insurance_fund.key().as_ref(), owner.key().as_ref()], bump)]
    pub stake_position: UncheckedAccount<'info>,
    /// Signer: the staker who will own the position; pays its rent.
    #[account(mut)]
    pub owner: Signer<'info>,
    pub system_program: Program<'info, System>,
}

pub fn handle_create_stake_position(ctx: Context<CreateStakePosition>) -> Result<()> {
    let (fund, owner) = (ctx.accounts.insurance_fund.key(), ctx.accounts.owner.key());
    let bump = ctx.bumps.stake_position;
    let seeds: &[&[u8]] = &[seeds::STAKE_POSITION, fund.as_ref(), owner.as_ref(), &[bump]];
    let accounts = &ctx.accounts;
    pda::create_zero_copy::<StakePosition>(
        &accounts.owner,
        &accounts.stake_position,
        &accounts.system_program,
        seeds,
        |p| {
            p.owner = owner;
            p.fund = fund;
            p.bump = bump;
        },
    )
}
