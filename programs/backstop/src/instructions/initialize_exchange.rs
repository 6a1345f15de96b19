use crate::error::BackstopError;
use crate::events::{EventHeader, ExchangeInitialized};
use crate::pda;
use crate::seeds;
use crate::state::{Exchange, MAX_TIMELOCK_DELAY_SECS, MIN_TIMELOCK_DELAY_SECS};
use anchor_lang::prelude::*;

/// Arguments of `initialize_exchange`.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct InitializeExchangeArgs {
    /// Governance authority (a multisig vault in production).
    pub authority: Pubkey,
    /// May only make things safer at once (reduce-only, pause).
    pub guardian: Pubkey,
    /// Owner of the treasury's fee share.
    pub treasury: Pubkey,
    /// Delay before a queued loosening change may be applied, in seconds: 1 hour ..= 30 days.
    pub timelock_delay_secs: i64,
}

#[event_cpi]
#[derive(Accounts)]
pub struct InitializeExchange<'info> {
    /// The exchange singleton, created here: PDA `[EXCHANGE]`.
    /// CHECK: the exchange PDA, created here (`pda`); a second initialisation finds it taken
    #[account(mut, seeds = [seeds::EXCHANGE], bump)]
    pub exchange: UncheckedAccount<'info>,
    /// Must be the program's upgrade authority when the program is upgradeable.
    // checked at #1
    #[account(mut)]
    pub payer: Signer<'info>,
    pub backstop_program: Program<'info, crate::program::Backstop>,
    /// The program's ProgramData account; required when the program is upgradeable.
    // checked at #1
    pub program_data: Option<Account<'info, ProgramData>>,
    pub system_program: Program<'info, System>,
}

impl InitializeExchange<'_> {
    pub fn validate(&self, args: &InitializeExchangeArgs) -> Result<()> {
        // #1 Whoever creates the exchange names governance, so only the deployer may: otherwise anyone watching
        // the deploy could front-run it. A program loaded without an upgrade authority (a builtin in native
        // tests) has no deployer to check.
        if let Some(expected) = self.backstop_program.programdata_address()? {
            let program_data = self.program_data.as_ref().ok_or(BackstopError::InitializerNotUpgradeAuthority)?;
            require_keys_eq!(program_data.key(), expected, BackstopError::InitializerNotUpgradeAuthority);
            require!(
                program_data.upgrade_authority_address == Some(self.payer.key()),
                BackstopError::InitializerNotUpgradeAuthority
            );
        }
        require!(
            (MIN_TIMELOCK_DELAY_SECS..=MAX_TIMELOCK_DELAY_SECS).contains(&args.timelock_delay_secs),
            BackstopError::InvalidTimelockDelay
        );
        Ok(())
    }
}

#[access_control(ctx.accounts.validate(&args))]
pub fn handle_initialize_exchange(ctx: Context<InitializeExchange>, args: InitializeExchangeArgs) -> Result<()> {
    let bump = ctx.bumps.exchange;
    let accounts = &ctx.accounts;
    let seeds: &[&[u8]] = &[seeds::EXCHANGE, &[bump]];
    pda::create_zero_copy::<Exchange>(&accounts.payer, &accounts.exchange, &accounts.system_program, seeds, |e| {
        e.authority = args.authority;
        e.guardian = args.guardian;
        e.treasury = args.treasury;
        e.timelock_delay_secs = args.timelock_delay_secs;
        e.bump = bump;
    })?;
    crate::events::emit(
        &ctx.accounts.event_authority,
        &ExchangeInitialized {
            header: EventHeader::now(&Clock::get()?),
            authority: args.authority,
            guardian: args.guardian,
            treasury: args.treasury,
            timelock_delay_secs: args.timelock_delay_secs,
        },
    )?;
    Ok(())
}
