use crate::error::{BackstopError, OrReject};
use crate::events::{EventHeader, StakeAction, StakeRecord};
use crate::state::{InsuranceFund, StakePosition};
use anchor_lang::prelude::*;
use backstop_math::staking;

#[event_cpi]
#[derive(Accounts)]
pub struct CancelUnstake<'info> {
    /// The insurance fund staked in (PDA `[INSURANCE_FUND, fund_id u16 LE]`): the request leaves its unstake queue.
    #[account(mut)]
    pub insurance_fund: AccountLoader<'info, InsuranceFund>,
    /// The owner's stake position in `insurance_fund` (PDA `[STAKE_POSITION, insurance_fund, owner]`): its pending
    /// unstake request is unlocked.
    #[account(
        mut,
        has_one = owner @ BackstopError::AccountOwnerMismatch,
        constraint = stake_position.load()?.fund == insurance_fund.key() @ BackstopError::FundMismatch
    )]
    pub stake_position: AccountLoader<'info, StakePosition>,
    /// Signer: the stake position's owner.
    pub owner: Signer<'info>,
}

pub fn handle_cancel_unstake(ctx: Context<CancelUnstake>) -> Result<()> {
    let mut fund = ctx.accounts.insurance_fund.load_mut()?;
    let mut position = ctx.accounts.stake_position.load_mut()?;
    let shares = position.book.locked_shares;
    let (book, stake_book) = staking::cancel_unstake(&fund.book, &position.book).or_reject()?;
    fund.book = book;
    position.book = stake_book;
    let record = StakeRecord {
        header: EventHeader::now(&Clock::get()?),
        fund: ctx.accounts.insurance_fund.key(),
        staker: ctx.accounts.owner.key(),
        action: StakeAction::CancelUnstake,
        amount: 0,
        shares,
        fund_balance_after: fund.book.balance,
        total_shares_after: fund.book.total_shares,
        locked_shares_after: 0,
    };
    drop((fund, position));
    crate::events::emit(&ctx.accounts.event_authority, &record)?;
    Ok(())
}
