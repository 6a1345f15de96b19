use crate::seeds;
use crate::state::{MarginAccount, Market};
use anchor_lang::prelude::*;

#[derive(Accounts)]
pub struct CreateMarginAccount<'info> {
    pub market: AccountLoader<'info, Market>,
    #[account(
        init,
        payer = owner,
        space = 8 + core::mem::size_of::<MarginAccount>(),
        seeds = [seeds::MARGIN_ACCOUNT, market.key().as_ref(), owner.key().as_ref()],
        bump
    )]
    pub margin_account: AccountLoader<'info, MarginAccount>,
    #[account(mut)]
    pub owner: Signer<'info>,
    pub system_program: Program<'info, System>,
}

pub fn handle_create_margin_account(ctx: Context<CreateMarginAccount>) -> Result<()> {
    let mut account = ctx.accounts.margin_account.load_init()?;
    account.owner = ctx.accounts.owner.key();
    account.market = ctx.accounts.market.key();
    account.bump = ctx.bumps.margin_account;
    Ok(())
}
