use crate::error::{BackstopError, OrReject};
use crate::events::{EventHeader, StakeAction, StakeRecord};
use crate::state::{InsuranceFund, StakePosition};
use crate::vault::{self, TokenAccountView};
use anchor_lang::prelude::*;
use anchor_spl::token::Token;
use backstop_math::staking::{self, OtherAssets};

#[event_cpi]
#[derive(Accounts)]
pub struct Stake<'info> {
    /// The insurance fund to stake in (PDA `[INSURANCE_FUND, fund_id u16 LE]`): its balance and shares grow by the
    /// stake.
    #[account(
        mut,
        has_one = vault @ BackstopError::VaultMismatch,
        has_one = mint @ BackstopError::MintMismatch
    )]
    pub insurance_fund: AccountLoader<'info, InsuranceFund>,
    /// The owner's stake position in `insurance_fund` (PDA `[STAKE_POSITION, insurance_fund, owner]`): credited with
    /// the new shares.
    #[account(
        mut,
        has_one = owner @ BackstopError::AccountOwnerMismatch,
        constraint = stake_position.load()?.fund == insurance_fund.key() @ BackstopError::FundMismatch
    )]
    pub stake_position: AccountLoader<'info, StakePosition>,
    /// Signer: the stake position's owner, authority of `owner_token`.
    pub owner: Signer<'info>,
    #[account(
        mut,
        constraint = TokenAccountView::read(&owner_token)?.mint == mint.key() @ BackstopError::MintMismatch,
        constraint = TokenAccountView::read(&owner_token)?.owner == owner.key() @ BackstopError::TokenOwnerMismatch
    )]
    /// The owner's token account of the fund's mint; `amount` moves from it into the fund vault.
    /// CHECK: an SPL token account of the collateral mint owned by `owner` (`TokenAccountView` above).
    pub owner_token: UncheckedAccount<'info>,
    /// The fund's token vault (PDA `[FUND_VAULT, fund]`): receives the stake.
    /// CHECK: the insurance fund's vault (`has_one` above), a token account the program created: read as bytes.
    #[account(mut)]
    pub vault: UncheckedAccount<'info>,
    /// The fund's token mint (the collateral mint of the markets it backs).
    /// CHECK: the insurance fund's collateral mint (`has_one` above); a transfer needs only its address.
    pub mint: UncheckedAccount<'info>,
    pub token_program: Program<'info, Token>,
}

pub fn handle_stake(ctx: Context<Stake>, amount: u64) -> Result<()> {
    let clock = Clock::get()?;
    let now = clock.unix_timestamp;
    let mut fund = ctx.accounts.insurance_fund.load_mut()?;
    let mut position = ctx.accounts.stake_position.load_mut()?;
    let (book, stake_book, shares) =
        staking::stake(&fund.book, &position.book, amount, now, &OtherAssets::NONE).or_reject()?;
    fund.book = book;
    fund.inflow_stakes = fund.inflow_stakes.saturating_add(amount);
    position.book = stake_book;
    position.staked = position.staked.saturating_add(amount);
    let owed = fund.book.balance;
    let record = StakeRecord {
        header: EventHeader::now(&clock),
        fund: ctx.accounts.insurance_fund.key(),
        staker: ctx.accounts.owner.key(),
        action: StakeAction::Stake,
        amount,
        shares,
        fund_balance_after: fund.book.balance,
        total_shares_after: fund.book.total_shares,
        locked_shares_after: position.book.locked_shares,
    };
    drop((fund, position));

    let accounts = &ctx.accounts;
    vault::pull(&accounts.token_program, &accounts.owner_token, &accounts.vault, &accounts.owner, amount)?;
    vault::require_covers(&ctx.accounts.vault, owed)?;
    crate::events::emit(&ctx.accounts.event_authority, &record)?;
    Ok(())
}
