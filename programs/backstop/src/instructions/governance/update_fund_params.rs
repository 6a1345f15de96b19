use crate::error::{BackstopError, OrReject};
use crate::events::{EventHeader, FundParamsChanged, GovernanceAction, GovernanceRecord};
use crate::state::{Exchange, InsuranceFund};
use anchor_lang::prelude::*;
use backstop_math::staking::FundParams;

#[event_cpi]
#[derive(Accounts)]
pub struct UpdateFundParams<'info> {
    /// The exchange (PDA `[EXCHANGE]`): names the governance authority; read for the timelock delay.
    #[account(has_one = authority @ BackstopError::Unauthorized)]
    pub exchange: AccountLoader<'info, Exchange>,
    /// Signer: the exchange's governance authority.
    pub authority: Signer<'info>,
    /// The insurance fund (PDA `[INSURANCE_FUND, fund_id u16 LE]`): the new staking rules are queued on it.
    #[account(mut)]
    pub insurance_fund: AccountLoader<'info, InsuranceFund>,
}

/// New staking rules, queued for the timelock whatever they change: cooldown, vesting and the redemption gate
/// decide who leaves first and with what when a loss looms, so a staker must be able to leave under the rules it
/// staked on before they change (the review's F4: a cooldown or gate tightened at once froze exits in one
/// transaction; F3: an immediate change raced a queued one). Cancellable (`cancel_fund_change`).
pub fn handle_update_fund_params(ctx: Context<UpdateFundParams>, params: FundParams) -> Result<()> {
    params.validate().or_reject()?;
    let clock = Clock::get()?;
    let now = clock.unix_timestamp;
    let delay = ctx.accounts.exchange.load()?.timelock_delay_secs;
    let mut fund = ctx.accounts.insurance_fund.load_mut()?;
    require!(fund.params != params, BackstopError::NoChange);
    let when = fund.params_change.queue(now, delay).or_reject()?;
    fund.pending_params = params;
    drop(fund);
    crate::events::emit(
        &ctx.accounts.event_authority,
        &GovernanceRecord {
            header: EventHeader::now(&clock),
            target: ctx.accounts.insurance_fund.key(),
            action: GovernanceAction::ParamsQueued,
            signer: ctx.accounts.authority.key(),
            eta: when,
        },
    )?;
    Ok(())
}

#[event_cpi]
#[derive(Accounts)]
pub struct ApplyFundParams<'info> {
    /// The insurance fund (PDA `[INSURANCE_FUND, fund_id u16 LE]`): its queued staking rules take effect.
    #[account(mut)]
    pub insurance_fund: AccountLoader<'info, InsuranceFund>,
    /// Anyone: the change was public for the whole delay.
    pub caller: Signer<'info>,
}

pub fn handle_apply_fund_params(ctx: Context<ApplyFundParams>) -> Result<()> {
    let clock = Clock::get()?;
    let now = clock.unix_timestamp;
    let mut fund = ctx.accounts.insurance_fund.load_mut()?;
    fund.params_change.take_due(now).or_reject()?;
    let (old, new) = (fund.params, fund.pending_params);
    new.validate().or_reject()?;
    fund.params = new;
    fund.pending_params = FundParams::default();
    drop(fund);
    crate::events::emit(
        &ctx.accounts.event_authority,
        &FundParamsChanged { header: EventHeader::now(&clock), fund: ctx.accounts.insurance_fund.key(), old, new },
    )?;
    Ok(())
}
