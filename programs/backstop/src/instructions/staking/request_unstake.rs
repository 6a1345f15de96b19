use crate::error::{BackstopError, OrReject};
use crate::events::{EventHeader, StakeAction, StakeRecord};
use crate::state::{InsuranceFund, StakePosition};
use anchor_lang::prelude::*;
use backstop_math::staking::{self, OtherAssets, StakeBook};

#[event_cpi]
#[derive(Accounts)]
pub struct RequestUnstake<'info> {
    /// The insurance fund staked in (PDA `[INSURANCE_FUND, fund_id u16 LE]`): the request joins its unstake queue.
    #[account(mut)]
    pub insurance_fund: AccountLoader<'info, InsuranceFund>,
    /// The owner's stake position in `insurance_fund` (PDA `[STAKE_POSITION, insurance_fund, owner]`): `shares` are
    /// locked and their value now recorded.
    #[account(
        mut,
        has_one = owner @ BackstopError::AccountOwnerMismatch,
        constraint = stake_position.load()?.fund == insurance_fund.key() @ BackstopError::FundMismatch
    )]
    pub stake_position: AccountLoader<'info, StakePosition>,
    /// Signer: the stake position's owner.
    pub owner: Signer<'info>,
}

/// Locks `shares` for the cooldown. Their value now is recorded: a bankruptcy covered meanwhile lowers what
/// they pay, revenue swept meanwhile does not raise it (the min rule), so nobody can run from a loss they see
/// coming or ride revenue they were leaving.
pub fn handle_request_unstake(ctx: Context<RequestUnstake>, shares: u64) -> Result<()> {
    let clock = Clock::get()?;
    let now = clock.unix_timestamp;
    let mut fund = ctx.accounts.insurance_fund.load_mut()?;
    let mut position = ctx.accounts.stake_position.load_mut()?;
    let stake_book = apply_request_unstake(&mut fund, &mut position, shares, now)?;
    let record = StakeRecord {
        header: EventHeader::now(&clock),
        fund: ctx.accounts.insurance_fund.key(),
        staker: ctx.accounts.owner.key(),
        action: StakeAction::RequestUnstake,
        amount: stake_book.request_value,
        shares,
        fund_balance_after: fund.book.balance,
        total_shares_after: fund.book.total_shares,
        locked_shares_after: stake_book.locked_shares,
    };
    drop((fund, position));
    crate::events::emit(&ctx.accounts.event_authority, &record)?;
    Ok(())
}

/// Everything a request decides and stores, on the loaded accounts (nothing moves until `unstake`). The crash
/// laboratory's core engine runs this same function in memory.
pub fn apply_request_unstake(
    fund: &mut InsuranceFund,
    position: &mut StakePosition,
    shares: u64,
    now: i64,
) -> Result<StakeBook> {
    let params = fund.params;
    let (book, stake_book) =
        staking::request_unstake(&fund.book, &position.book, shares, now, &params, &OtherAssets::NONE).or_reject()?;
    fund.book = book;
    position.book = stake_book;
    Ok(stake_book)
}
