use crate::error::{BackstopError, OrReject};
use crate::events::{EventHeader, GovernanceAction, GovernanceRecord};
use crate::state::{Exchange, InsuranceFund};
use anchor_lang::prelude::*;
use backstop_math::staking::FundParams;

#[event_cpi]
#[derive(Accounts)]
pub struct CancelFundChange<'info> {
    /// The exchange (PDA `[EXCHANGE]`): names the governance authority.
    #[account(has_one = authority @ BackstopError::Unauthorized)]
    pub exchange: AccountLoader<'info, Exchange>,
    /// Signer: the exchange's governance authority.
    pub authority: Signer<'info>,
    /// The insurance fund (PDA `[INSURANCE_FUND, fund_id u16 LE]`): its queued staking-rule change is dropped.
    #[account(mut)]
    pub insurance_fund: AccountLoader<'info, InsuranceFund>,
}

/// Drops the staking-rule change queued on the fund (markets and the exchange have had their cancel; a fund's
/// queued loosening could only be waited out).
pub fn handle_cancel_fund_change(ctx: Context<CancelFundChange>) -> Result<()> {
    let mut fund = ctx.accounts.insurance_fund.load_mut()?;
    fund.params_change.cancel().or_reject()?;
    fund.pending_params = FundParams::default();
    drop(fund);
    crate::events::emit(
        &ctx.accounts.event_authority,
        &GovernanceRecord {
            header: EventHeader::now(&Clock::get()?),
            target: ctx.accounts.insurance_fund.key(),
            action: GovernanceAction::ParamsCancelled,
            signer: ctx.accounts.authority.key(),
            eta: 0,
        },
    )?;
    Ok(())
}
