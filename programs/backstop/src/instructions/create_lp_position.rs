use crate::pda;
use crate::seeds;
use crate::state::{LpPosition, Market};
use anchor_lang::prelude::*;

#[derive(Accounts)]
pub struct CreateLpPosition<'info> {
    /// The market whose LP pool the position is in (PDA `[MARKET, market_id u16 LE]`).
    pub market: AccountLoader<'info, Market>,
    /// The new LP position, created here: PDA `[LP_POSITION, market, owner]`.
    /// CHECK: the PDA of (market, owner), created here even if someone already sent it lamports (`pda`)
    #[account(mut, seeds = [seeds::LP_POSITION, market.key().as_ref(), owner.key().as_ref()], bump)]
    pub lp_position: UncheckedAccount<'info>,
    /// Signer: the LP who will own the position; pays its rent.
    #[account(mut)]
    pub owner: Signer<'info>,
    pub system_program: Program<'info, System>,
}

pub fn handle_create_lp_position(ctx: Context<CreateLpPosition>) -> Result<()> {
    let (market, owner) = (ctx.accounts.market.key(), ctx.accounts.owner.key());
    let bump = ctx.bumps.lp_position;
    let seeds: &[&[u8]] = &[seeds::LP_POSITION, market.as_ref(), owner.as_ref(), &[bump]];
    let accounts = &ctx.accounts;
    pda::create_zero_copy::<LpPosition>(&accounts.owner, &accounts.lp_position, &accounts.system_program, seeds, |p| {
        p.owner = owner;
        p.market = market;
        p.bump = bump;
    })
}
