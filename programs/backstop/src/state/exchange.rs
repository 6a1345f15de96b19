use anchor_lang::prelude::*;
use backstop_math::timelock::Timelock;
use static_assertions::const_assert_eq;

/// Longest timelock governance may set: 30 days.
pub const MAX_TIMELOCK_DELAY_SECS: i64 = 30 * 24 * 3600;
/// Shortest: 1 hour, so a compromised authority cannot slip a loosening change past watchers.
pub const MIN_TIMELOCK_DELAY_SECS: i64 = 3600;

/// The exchange singleton. PDA `[EXCHANGE]`. Instructions after `initialize_exchange` do not re-derive the
/// address (1,500 compute units each time): an account owned by this program with the `Exchange` discriminator
/// can only have been created by `initialize_exchange`, and only at this PDA, so owner and type already pin it.
#[account(zero_copy)]
pub struct Exchange {
    /// Governance: in practice a multisig vault PDA, which signs through CPI. offset 8.
    pub authority: Pubkey,
    /// Proposed next authority; must accept to take over (two-step transfer). Default when none.
    pub pending_authority: Pubkey,
    /// May only make things safer at once (reduce-only, pause).
    pub guardian: Pubkey,
    /// Owner of the treasury's fee share.
    pub treasury: Pubkey,
    /// Delay before a queued loosening change may be applied, in seconds.
    pub timelock_delay_secs: i64,
    /// Next market id; market ids are dense from 0.
    pub market_count: u16,
    /// Next insurance fund id.
    pub fund_count: u16,
    /// Bump of this account's PDA.
    pub bump: u8,
    pub _padding: [u8; 3],
    /// A queued change of guardian, treasury and timelock delay, and when it may be applied (0: none queued).
    pub pending_guardian: Pubkey,
    /// Treasury of the queued change.
    pub pending_treasury: Pubkey,
    /// Timelock delay of the queued change, in seconds.
    pub pending_timelock_delay_secs: i64,
    /// When the queued change may be applied (0: none queued).
    pub pending_change: Timelock,
    /// A receiver program, besides Pyth's own, whose PriceUpdateV2 accounts markets may be listed on (default:
    /// none). Allow-listing one is an exchange change, so it waits for the timelock; so does its queued value.
    pub oracle_receiver: Pubkey,
    /// `oracle_receiver` of the queued change (default: none allowed).
    pub pending_oracle_receiver: Pubkey,
    /// Zero; room for fields added later without moving the layout.
    pub reserved: [u8; 64],
}

impl Exchange {
    /// Forgets a queued change's values (after it applied or was cancelled), so nothing stale is left for
    /// monitors to read.
    pub fn clear_pending_change(&mut self) {
        self.pending_guardian = Pubkey::default();
        self.pending_treasury = Pubkey::default();
        self.pending_timelock_delay_secs = 0;
        self.pending_oracle_receiver = Pubkey::default();
    }
}

const_assert_eq!(core::mem::size_of::<Exchange>(), 4 * 32 + 8 + 8 + 2 * 32 + 2 * 8 + 2 * 32 + 64);
const_assert_eq!(core::mem::size_of::<Exchange>() % 8, 0);
