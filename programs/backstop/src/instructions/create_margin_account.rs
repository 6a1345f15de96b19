use crate::pda;
use crate::seeds;
use crate::state::{MarginAccount, Market};
use anchor_lang::prelude::*;

#[derive(Accounts)]
pub struct CreateMarginAccount<'info> {
    /// The market the margin account trades in (PDA `[MARKET, market_id u16 LE]`).
    pub market: AccountLoader<'info, Market>,
    /// The new margin account, created here: PDA `[MARGIN_ACCOUNT, market, owner]`.
    /// CHECK: the PDA of (market, owner), created here even if someone already sent it lamports (`pda`)
    #[account(mut, seeds = [seeds::MARGIN_ACCOUNT, market.key().as_ref(), owner.key().as_ref()], bump)]
    pub margin_account: UncheckedAccount<'info>,
    /// Signer: the trader who will own the account; pays its rent.
    #[account(mut)]
    pub owner: Signer<'info>,
    pub system_program: Program<'info, System>,
}

pub fn handle_create_margin_account(ctx: Context<CreateMarginAccount>) -> Result<()> {
    let (market, owner) = (ctx.accounts.market.key(), ctx.accounts.owner.key());
    let bump = ctx.bumps.margin_account;
    let seeds: &[&[u8]] = &[seeds::MARGIN_ACCOUNT, market.as_ref(), owner.as_ref(), &[bump]];
    let accounts = &ctx.accounts;
    pda::create_zero_copy::<MarginAccount>(
        &accounts.owner,
        &accounts.margin_account,
        &accounts.system_program,
        seeds,
        |account| {
            account.owner = owner;
            account.market = market;
            account.bump = bump;
        },
    )
}
