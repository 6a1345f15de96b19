use crate::seeds;
use crate::state::{LpPosition, Market};
use anchor_lang::prelude::*;

#[derive(Accounts)]
pub struct CreateLpPosition<'info> {
    pub market: AccountLoader<'info, Market>,
    #[account(
        init,
        payer = owner,
        space = 8 + core::mem::size_of::<LpPosition>(),
        seeds = [seeds::LP_POSITION, market.key().as_ref(), owner.key().as_ref()],
        bump
    )]
    pub lp_position: AccountLoader<'info, LpPosition>,
    #[account(mut)]
    pub owner: Signer<'info>,
    pub system_program: Program<'info, System>,
}

pub fn handle_create_lp_position(ctx: Context<CreateLpPosition>) -> Result<()> {
    let mut position = ctx.accounts.lp_position.load_init()?;
    position.owner = ctx.accounts.owner.key();
    position.market = ctx.accounts.market.key();
    position.bump = ctx.bumps.lp_position;
    Ok(())
}
