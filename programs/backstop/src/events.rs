//! Every event Backstop emits, emitted as a self-CPI (Anchor's `emit_cpi!` format) so logs cannot truncate them.
//! Each carries the same header and before/after values where a balance moves.

use anchor_lang::prelude::*;
use anchor_lang::solana_program::instruction::{AccountMeta, Instruction};
use anchor_lang::solana_program::program::invoke_signed;

use crate::seeds::EVENT_AUTHORITY as EVENT_AUTHORITY_SEED;

/// Emits `event` exactly as Anchor's `emit_cpi!` does: an instruction to this program, signed by the event
/// authority, carrying the event tag, the event's discriminator and its Borsh bytes. Built in one buffer (~1,600
/// compute units per event on SBF, ~1,240 of them the invocation); the macro collects the bytes through a
/// byte-by-byte iterator, thousands of units more.
pub fn emit<E: anchor_lang::Event>(event_authority: &AccountInfo, event: &E) -> Result<()> {
    let tag = anchor_lang::event::EVENT_IX_TAG_LE;
    let mut data = Vec::with_capacity(tag.len() + E::DISCRIMINATOR.len() + 256);
    data.extend_from_slice(tag);
    data.extend_from_slice(E::DISCRIMINATOR);
    event.serialize(&mut data).map_err(|_| crate::error::BackstopError::Overflow)?;
    let instruction = Instruction {
        program_id: crate::ID,
        accounts: vec![AccountMeta::new_readonly(*event_authority.key, true)],
        data,
    };
    let bump = [crate::EVENT_AUTHORITY_AND_BUMP.1];
    invoke_signed(&instruction, core::slice::from_ref(event_authority), &[&[EVENT_AUTHORITY_SEED, &bump]])?;
    Ok(())
}

/// When an event happened.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct EventHeader {
    pub slot: u64,
    pub unix_timestamp: i64,
}

impl EventHeader {
    pub fn now(clock: &Clock) -> Self {
        Self { slot: clock.slot, unix_timestamp: clock.unix_timestamp }
    }
}

#[event]
pub struct ExchangeInitialized {
    pub header: EventHeader,
    pub authority: Pubkey,
    pub guardian: Pubkey,
    pub treasury: Pubkey,
    pub timelock_delay_secs: i64,
}

#[event]
pub struct InsuranceFundInitialized {
    pub header: EventHeader,
    pub fund: Pubkey,
    pub fund_id: u16,
    pub mint: Pubkey,
    pub vault: Pubkey,
}

#[event]
pub struct MarketInitialized {
    pub header: EventHeader,
    pub market: Pubkey,
    pub market_id: u16,
    pub collateral_mint: Pubkey,
    pub oracle: Pubkey,
    pub insurance_fund: Pubkey,
    /// The market opens (`activate_market`) no earlier than this.
    pub listing_eta: i64,
}

/// A deposit into or withdrawal from a margin account. precision of amounts: QUOTE_PRECISION.
#[event]
pub struct CollateralRecord {
    pub header: EventHeader,
    pub market: Pubkey,
    pub owner: Pubkey,
    pub direction: CollateralDirection,
    pub amount: u64,
    pub collateral_before: i64,
    pub collateral_after: i64,
}

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum CollateralDirection {
    Deposit,
    Withdraw,
}

/// A dormant account's share of socialized losses applied by anyone (`touch_account`). precision of amounts:
/// QUOTE_PRECISION.
#[event]
pub struct AccountTouched {
    pub header: EventHeader,
    pub market: Pubkey,
    pub owner: Pubkey,
    /// Its share of the losses socialized since its last touch, taken from its collateral (nothing else moves).
    pub social_loss_applied: u64,
    pub collateral_before: i64,
    pub collateral_after: i64,
}

/// One fill against the pool.
#[event]
pub struct TradeRecord {
    pub header: EventHeader,
    pub market: Pubkey,
    pub owner: Pubkey,
    /// precision: BASE_PRECISION; > 0 bought.
    pub base_delta: i64,
    /// precision: PRICE_PRECISION.
    pub oracle_price: i64,
    pub oracle_conf: i64,
    pub fill_price: i64,
    /// precision: QUOTE_PRECISION.
    pub fill_notional: u64,
    pub realized_pnl: i64,
    pub fee_due: u64,
    pub fee_to_fund: u64,
    pub fee_to_lp: u64,
    pub fee_to_treasury: u64,
    pub base_before: i64,
    pub base_after: i64,
    pub collateral_before: i64,
    pub collateral_after: i64,
    pub unsettled_pnl_after: u64,
    /// Funding settled on this touch, before the fill (positive: the account paid). precision: QUOTE_PRECISION.
    pub funding_settled: i64,
    pub funding: FundingUpdate,
}

/// A deposit into or withdrawal from the LP pool.
#[event]
pub struct LpRecord {
    pub header: EventHeader,
    pub market: Pubkey,
    pub owner: Pubkey,
    pub direction: CollateralDirection,
    /// precision: QUOTE_PRECISION.
    pub amount: u64,
    pub shares: u64,
    pub pool_balance_before: u64,
    pub pool_balance_after: u64,
    pub lp_shares_after: u64,
}

/// One liquidation.
#[event]
pub struct LiquidationRecord {
    pub header: EventHeader,
    pub market: Pubkey,
    pub liquidatee: Pubkey,
    pub liquidator: Pubkey,
    /// Health before, at the conservative price. precision: QUOTE_PRECISION.
    pub maintenance_equity_before: i64,
    pub maintenance_requirement_before: u64,
    /// precision: BASE_PRECISION; signed like the move of the liquidated position.
    pub base_closed: i64,
    pub base_after: i64,
    /// precision: PRICE_PRECISION.
    pub fill_price: i64,
    pub realized_pnl: i64,
    pub penalty_due: u64,
    pub penalty_charged: u64,
    pub liquidator_reward: u64,
    pub fund_penalty: u64,
    pub collateral_after: i64,
    pub full: bool,
    pub bankrupt: bool,
    pub funding: FundingUpdate,
}

/// Which waterfall layer a [`WaterfallStep`] reports.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum WaterfallLayer {
    InsuranceFund,
    LpClawback,
    SocializedLoss,
    Uncovered,
}

/// One layer of a bankruptcy cover that bore part of the deficit, emitted in waterfall order.
#[event]
pub struct WaterfallStep {
    pub header: EventHeader,
    pub market: Pubkey,
    pub account: Pubkey,
    pub layer: WaterfallLayer,
    /// What this layer bore. precision: QUOTE_PRECISION.
    pub amount: u64,
    /// Deficit still open after this layer.
    pub remaining: u64,
}

/// A completed bankruptcy cover.
#[event]
pub struct BankruptcyCovered {
    pub header: EventHeader,
    pub market: Pubkey,
    pub account: Pubkey,
    pub keeper: Pubkey,
    pub deficit: u64,
    pub paid_by_fund: u64,
    pub clawed_back_from_lps: u64,
    pub socialized: u64,
    pub uncovered: u64,
    pub fund_balance_after: u64,
    pub social_loss_index_after: u64,
}

/// Fee and penalty revenue moved from a market vault into its insurance fund.
#[event]
pub struct FundRevenueSwept {
    pub header: EventHeader,
    pub market: Pubkey,
    pub fund: Pubkey,
    pub fees: u64,
    pub penalties: u64,
    pub fund_balance_before: u64,
    pub fund_balance_after: u64,
    /// Revenue still vesting after this sweep, released linearly until `vesting_end`.
    pub unvested_after: u64,
    pub vesting_end: i64,
}

/// An LP asked to leave: `lp_withdraw` may serve it from `unlocks_at`, at the lesser of `value_at_request` and
/// the value then.
#[event]
pub struct LpExitRequested {
    pub header: EventHeader,
    pub market: Pubkey,
    pub owner: Pubkey,
    pub shares: u64,
    pub value_at_request: u64,
    pub unlocks_at: i64,
}

/// The treasury's accrued fee share paid out to the treasury's token account.
#[event]
pub struct TreasuryFeesSwept {
    pub header: EventHeader,
    pub market: Pubkey,
    pub destination: Pubkey,
    pub amount: u64,
}

/// A fund's health at one moment, as computed by `fund_health`, with each market's figures.
#[event]
pub struct FundHealthReport {
    pub header: EventHeader,
    pub health: crate::instructions::FundHealth,
    pub markets: Vec<crate::instructions::MarketDraw>,
}

/// The market's funding as the instruction left it (carried in the trade and liquidation records: a separate event
/// per accrual would cost another self-CPI).
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct FundingUpdate {
    /// Hourly rate applied, in ppb of notional (positive: longs pay).
    pub rate_ppb: i64,
    /// Long minus short open interest. precision: BASE_PRECISION.
    pub skew: i64,
    /// Seconds accrued by this instruction (0: the market was already touched this second).
    pub elapsed: i64,
    /// precision: FUNDING_INDEX_PRECISION.
    pub index_after: i64,
}

/// What a governance or guardian instruction did.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum GovernanceAction {
    AuthorityProposed,
    AuthorityAccepted,
    ExchangeChangeQueued,
    ExchangeChangeApplied,
    ExchangeChangeCancelled,
    MarketListed,
    MarketActivated,
    ParamsQueued,
    ParamsCancelled,
    OracleChangeQueued,
    OracleChangeApplied,
    OracleChangeCancelled,
}

/// A governance action on the exchange or a market, with the moment it can take effect.
#[event]
pub struct GovernanceRecord {
    pub header: EventHeader,
    pub target: Pubkey,
    pub action: GovernanceAction,
    pub signer: Pubkey,
    /// When a queued change may be applied (0 for actions that take effect at once).
    pub eta: i64,
}

/// A market's parameters changed (at once when tightening, or when a queued change was applied).
#[event]
pub struct ParamsChanged {
    pub header: EventHeader,
    pub market: Pubkey,
    pub old: backstop_math::params::MarketParams,
    pub new: backstop_math::params::MarketParams,
}

/// A market's status changed (guardian, governance or the circuit breaker).
#[event]
pub struct StatusChanged {
    pub header: EventHeader,
    pub market: Pubkey,
    pub old_status: u8,
    pub new_status: u8,
    pub signer: Pubkey,
}

/// The circuit breaker tripped or cleared.
#[event]
pub struct BreakerTransition {
    pub header: EventHeader,
    pub market: Pubkey,
    pub tripped: bool,
    /// Move over the window and confidence ratio that were observed, bps.
    pub move_bps: u64,
    pub conf_bps: u64,
}

/// The exchange's guardian, treasury or timelock changed (a queued change was applied).
#[event]
pub struct ExchangeChanged {
    pub header: EventHeader,
    pub old_guardian: Pubkey,
    pub new_guardian: Pubkey,
    pub old_treasury: Pubkey,
    pub new_treasury: Pubkey,
    pub old_timelock_delay_secs: i64,
    pub new_timelock_delay_secs: i64,
    pub old_oracle_receiver: Pubkey,
    pub new_oracle_receiver: Pubkey,
}

/// A market's oracle changed (a queued change was applied).
#[event]
pub struct OracleChanged {
    pub header: EventHeader,
    pub market: Pubkey,
    pub old_oracle: Pubkey,
    pub new_oracle: Pubkey,
    pub old_config: crate::state::OracleConfig,
    pub new_config: crate::state::OracleConfig,
}

/// What a staking instruction did.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum StakeAction {
    Stake,
    RequestUnstake,
    CancelUnstake,
    /// `complete` false: the gate served part of the request; the rest stays queued at the front.
    Unstake {
        complete: bool,
    },
}

/// One staking flow, with the fund's state after it.
#[event]
pub struct StakeRecord {
    pub header: EventHeader,
    pub fund: Pubkey,
    pub staker: Pubkey,
    pub action: StakeAction,
    /// Tokens in (stake) or out (unstake); value at request for a request. precision: QUOTE_PRECISION.
    pub amount: u64,
    pub shares: u64,
    pub fund_balance_after: u64,
    pub total_shares_after: u64,
    /// Shares still locked in this position's request.
    pub locked_shares_after: u64,
}

/// A fund's staking rules changed.
#[event]
pub struct FundParamsChanged {
    pub header: EventHeader,
    pub fund: Pubkey,
    pub old: backstop_math::staking::FundParams,
    pub new: backstop_math::staking::FundParams,
}

impl From<&backstop_math::ledger::FundingAccrual> for FundingUpdate {
    fn from(accrual: &backstop_math::ledger::FundingAccrual) -> Self {
        Self {
            rate_ppb: accrual.rate_ppb,
            skew: accrual.skew,
            elapsed: accrual.elapsed,
            index_after: accrual.index_after,
        }
    }
}

impl BreakerTransition {
    pub fn new(header: EventHeader, market: Pubkey, observation: &backstop_math::breaker::BreakerObservation) -> Self {
        Self {
            header,
            market,
            tripped: observation.tripped_now,
            move_bps: observation.move_bps,
            conf_bps: observation.conf_bps,
        }
    }
}
