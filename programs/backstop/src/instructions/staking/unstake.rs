use crate::error::{BackstopError, OrReject};
use crate::events::{EventHeader, StakeAction, StakeRecord};
use crate::fund_markets;
use crate::state::{InsuranceFund, StakePosition};
use crate::vault::{self, TokenAccountView};
use anchor_lang::prelude::*;
use anchor_spl::token::Token;
use backstop_math::staking::{self, OtherAssets, Unstaked};

#[event_cpi]
#[derive(Accounts)]
pub struct Unstake<'info> {
    /// The insurance fund (PDA `[INSURANCE_FUND, fund_id u16 LE]`): pays the unstake out of its vault, signing the
    /// transfer.
    #[account(
        mut,
        has_one = vault @ BackstopError::VaultMismatch,
        has_one = mint @ BackstopError::MintMismatch
    )]
    pub insurance_fund: AccountLoader<'info, InsuranceFund>,
    /// The owner's stake position in `insurance_fund` (PDA `[STAKE_POSITION, insurance_fund, owner]`): its matured
    /// request's shares are burned (in part when the redemption gate limits the payout).
    #[account(
        mut,
        has_one = owner @ BackstopError::AccountOwnerMismatch,
        constraint = stake_position.load()?.fund == insurance_fund.key() @ BackstopError::FundMismatch
    )]
    pub stake_position: AccountLoader<'info, StakePosition>,
    /// Signer: the stake position's owner.
    pub owner: Signer<'info>,
    /// Any token account of the fund's mint: the staker chooses where their money goes.
    /// CHECK: an SPL token account of the collateral mint, anyone's (`TokenAccountView`).
    #[account(
        mut,
        constraint = destination.key() != vault.key() @ BackstopError::DestinationIsVault,
        constraint = TokenAccountView::read(&destination)?.mint == mint.key() @ BackstopError::MintMismatch
    )]
    pub destination: UncheckedAccount<'info>,
    /// The fund's token vault (PDA `[FUND_VAULT, fund]`): pays the unstake.
    /// CHECK: the insurance fund's vault (`has_one` above), a token account the program created: read as bytes.
    #[account(mut)]
    pub vault: UncheckedAccount<'info>,
    /// The fund's token mint (the collateral mint of the markets it backs).
    /// CHECK: the insurance fund's collateral mint (`has_one` above); a transfer needs only its address.
    pub mint: UncheckedAccount<'info>,
    pub token_program: Program<'info, Token>,
}

/// Pass every market the fund backs as remaining accounts (`fund_markets::exposure`).
pub fn handle_unstake<'info>(ctx: Context<'info, Unstake<'info>>) -> Result<()> {
    let clock = Clock::get()?;
    let now = clock.unix_timestamp;
    let fund_key = ctx.accounts.insurance_fund.key();
    let mut fund = ctx.accounts.insurance_fund.load_mut()?;
    let exposure = fund_markets::exposure(&fund_key, fund.markets_backed, ctx.remaining_accounts)?;
    let mut position = ctx.accounts.stake_position.load_mut()?;
    let done = apply_unstake(&mut fund, &mut position, exposure, now)?;
    let owed = fund.book.balance;
    let signer = fund.signer();
    let record = StakeRecord {
        header: EventHeader::now(&clock),
        fund: ctx.accounts.insurance_fund.key(),
        staker: ctx.accounts.owner.key(),
        action: StakeAction::Unstake { complete: done.complete },
        amount: done.quote,
        shares: done.shares_burned,
        fund_balance_after: fund.book.balance,
        total_shares_after: fund.book.total_shares,
        locked_shares_after: done.position.locked_shares,
    };
    drop((fund, position));

    let accounts = &ctx.accounts;
    vault::push(
        &accounts.token_program,
        &accounts.vault,
        &accounts.destination,
        accounts.insurance_fund.to_account_info(),
        &signer.seeds(),
        done.quote,
    )?;
    vault::require_covers(&ctx.accounts.vault, owed)?;
    crate::events::emit(&ctx.accounts.event_authority, &record)?;
    Ok(())
}

/// Everything an unstake decides and stores, on the loaded accounts, given the fund's `exposure` (what it is about
/// to pay in the markets it backs, [`fund_markets::exposure`]); the handler then pays `quote` out of the vault. The
/// crash laboratory's core engine runs this same function in memory.
pub fn apply_unstake(
    fund: &mut InsuranceFund,
    position: &mut StakePosition,
    exposure: u64,
    now: i64,
) -> Result<Unstaked> {
    let params = fund.params;
    let done = staking::unstake(&fund.book, &position.book, now, &params, exposure, &OtherAssets::NONE).or_reject()?;
    fund.book = done.fund;
    fund.outflow_unstakes = fund.outflow_unstakes.saturating_add(done.quote);
    position.book = done.position;
    position.unstaked = position.unstaked.saturating_add(done.quote);
    Ok(done)
}
