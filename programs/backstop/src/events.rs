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
    /// Slot of the instruction that emitted the event.
    pub slot: u64,
    /// Cluster time at that slot, Unix seconds.
    pub unix_timestamp: i64,
}

impl EventHeader {
    pub fn now(clock: &Clock) -> Self {
        Self { slot: clock.slot, unix_timestamp: clock.unix_timestamp }
    }
}

/// The exchange was created (`initialize_exchange`).
#[event]
pub struct ExchangeInitialized {
    /// Slot and time of the instruction that emitted the event.
    pub header: EventHeader,
    /// Governance authority it was created with (in practice a multisig vault PDA).
    pub authority: Pubkey,
    /// Guardian it was created with: may only make things safer at once (reduce-only, pause).
    pub guardian: Pubkey,
    /// Owner of the treasury's fee share.
    pub treasury: Pubkey,
    /// Delay before a queued loosening change may be applied, in seconds.
    pub timelock_delay_secs: i64,
}

/// An insurance fund was created (`initialize_insurance_fund`).
#[event]
pub struct InsuranceFundInitialized {
    /// Slot and time of the instruction that emitted the event.
    pub header: EventHeader,
    /// The fund account, PDA `[INSURANCE_FUND, fund_id (u16 LE)]`.
    pub fund: Pubkey,
    /// The fund's id: the exchange's `fund_count` before it (ids are dense from 0).
    pub fund_id: u16,
    /// Mint of the token the fund holds and pays out (QUOTE_DECIMALS decimals).
    pub mint: Pubkey,
    /// The fund's vault: a token account of `mint` owned by the fund, PDA `[FUND_VAULT, fund]`.
    pub vault: Pubkey,
}

/// A market was listed (`initialize_market`): created in Listing status, it opens no earlier than
/// `listing_eta`.
#[event]
pub struct MarketInitialized {
    /// Slot and time of the instruction that emitted the event.
    pub header: EventHeader,
    /// The market account, PDA `[MARKET, market_id (u16 LE)]`.
    pub market: Pubkey,
    /// The market's id: the exchange's `market_count` before it (ids are dense from 0).
    pub market_id: u16,
    /// Mint of the collateral token (QUOTE_DECIMALS decimals), the insurance fund's mint too.
    pub collateral_mint: Pubkey,
    /// The oracle account the market reads its price from.
    pub oracle: Pubkey,
    /// The insurance fund that backs the market (a market never changes fund).
    pub insurance_fund: Pubkey,
    /// The market opens (`activate_market`) no earlier than this.
    pub listing_eta: i64,
}

/// A deposit into or withdrawal from a margin account. precision of amounts: QUOTE_PRECISION.
#[event]
pub struct CollateralRecord {
    /// Slot and time of the instruction that emitted the event.
    pub header: EventHeader,
    /// The margin account's market.
    pub market: Pubkey,
    /// Owner of the margin account.
    pub owner: Pubkey,
    /// Deposit (`deposit`) or withdrawal (`withdraw`).
    pub direction: CollateralDirection,
    /// Tokens moved into or out of the market vault.
    pub amount: u64,
    /// The account's collateral as loaded, before funding, socialized loss and claims were settled.
    pub collateral_before: i64,
    /// The account's collateral after those settlements and the transfer.
    pub collateral_after: i64,
}

/// Which way a [`CollateralRecord`] or an [`LpRecord`] moved tokens.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum CollateralDirection {
    /// Into the market vault.
    Deposit,
    /// Out of the market vault.
    Withdraw,
}

/// A dormant account's share of socialized losses applied by anyone (`touch_account`). precision of amounts:
/// QUOTE_PRECISION.
#[event]
pub struct AccountTouched {
    /// Slot and time of the instruction that emitted the event.
    pub header: EventHeader,
    /// The account's market.
    pub market: Pubkey,
    /// Owner of the touched margin account (not the caller: anyone may touch).
    pub owner: Pubkey,
    /// Its share of the losses socialized since its last touch, taken from its collateral (nothing else moves).
    pub social_loss_applied: u64,
    /// The account's collateral before the touch.
    pub collateral_before: i64,
    /// The account's collateral after it: lower by `social_loss_applied`.
    pub collateral_after: i64,
}

/// One fill against the pool.
#[event]
pub struct TradeRecord {
    /// Slot and time of the instruction that emitted the event.
    pub header: EventHeader,
    /// The market traded.
    pub market: Pubkey,
    /// Owner of the margin account that traded.
    pub owner: Pubkey,
    /// precision: BASE_PRECISION; > 0 bought.
    pub base_delta: i64,
    /// precision: PRICE_PRECISION.
    pub oracle_price: i64,
    /// Confidence (±) of `oracle_price`. precision: PRICE_PRECISION.
    pub oracle_conf: i64,
    /// The price filled at: `oracle_price` moved against the taker by `oracle_conf` ×
    /// `exec_conf_scale_bps`. precision: PRICE_PRECISION.
    pub fill_price: i64,
    /// precision: QUOTE_PRECISION.
    pub fill_notional: u64,
    /// PnL realized on the part of the old position the fill closed. precision: QUOTE_PRECISION.
    pub realized_pnl: i64,
    /// Taker fee due on `fill_notional` at the trade's fee rate, rounded up. precision: QUOTE_PRECISION.
    pub fee_due: u64,
    /// The insurance fund's part of the fee charged (`fee_due`, or the account's collateral if less),
    /// accrued in the market until swept. precision: QUOTE_PRECISION.
    pub fee_to_fund: u64,
    /// The LP pool's part of the fee charged (what the fund and treasury parts leave). precision: QUOTE_PRECISION.
    pub fee_to_lp: u64,
    /// The treasury's part of the fee charged, accrued in the market until swept. precision: QUOTE_PRECISION.
    pub fee_to_treasury: u64,
    /// The account's position before the fill. precision: BASE_PRECISION.
    pub base_before: i64,
    /// The account's position after the fill. precision: BASE_PRECISION.
    pub base_after: i64,
    /// The account's collateral as loaded, before funding, socialized loss and claims were settled.
    /// precision: QUOTE_PRECISION.
    pub collateral_before: i64,
    /// The account's collateral after the settlements, the fill's PnL and the fee. precision: QUOTE_PRECISION.
    pub collateral_after: i64,
    /// Realized profit the pool still owes the account after the trade. precision: QUOTE_PRECISION.
    pub unsettled_pnl_after: u64,
    /// Funding settled on this touch, before the fill (positive: the account paid). precision: QUOTE_PRECISION.
    pub funding_settled: i64,
    /// The market's funding as this instruction left it.
    pub funding: FundingUpdate,
}

/// A deposit into or withdrawal from the LP pool.
#[event]
pub struct LpRecord {
    /// Slot and time of the instruction that emitted the event.
    pub header: EventHeader,
    /// The market whose LP pool it is.
    pub market: Pubkey,
    /// Owner of the LP position.
    pub owner: Pubkey,
    /// Deposit (`lp_deposit`) or withdrawal (`lp_withdraw`).
    pub direction: CollateralDirection,
    /// precision: QUOTE_PRECISION.
    pub amount: u64,
    /// LP shares minted (deposit) or burned (withdrawal).
    pub shares: u64,
    /// The pool's cash (`MarketLedger::pool_balance`) before the flow. precision: QUOTE_PRECISION.
    pub pool_balance_before: u64,
    /// The pool's cash after the flow. precision: QUOTE_PRECISION.
    pub pool_balance_after: u64,
    /// The market's LP shares outstanding after the flow.
    pub lp_shares_after: u64,
}

/// One liquidation.
#[event]
pub struct LiquidationRecord {
    /// Slot and time of the instruction that emitted the event.
    pub header: EventHeader,
    /// The market.
    pub market: Pubkey,
    /// Owner of the liquidated margin account.
    pub liquidatee: Pubkey,
    /// The keeper that liquidated: owner of the margin account the reward was paid into.
    pub liquidator: Pubkey,
    /// Health before, at the conservative price. precision: QUOTE_PRECISION.
    pub maintenance_equity_before: i64,
    /// Maintenance requirement before: |size| × oracle price × maintenance ratio, rounded up.
    /// precision: QUOTE_PRECISION.
    pub maintenance_requirement_before: u64,
    /// precision: BASE_PRECISION; signed like the move of the liquidated position.
    pub base_closed: i64,
    /// The liquidatee's position after. precision: BASE_PRECISION.
    pub base_after: i64,
    /// precision: PRICE_PRECISION.
    pub fill_price: i64,
    /// PnL the liquidatee realized on the closed part, at `fill_price`. precision: QUOTE_PRECISION.
    pub realized_pnl: i64,
    /// Penalty at `liquidation_penalty_bps` on the closed notional at the oracle price, rounded up.
    /// precision: QUOTE_PRECISION.
    pub penalty_due: u64,
    /// What the account paid of `penalty_due`: at most its remaining collateral. precision: QUOTE_PRECISION.
    pub penalty_charged: u64,
    /// The liquidator's part of `penalty_charged` (`liquidator_reward_share_bps`), paid into its margin
    /// account. precision: QUOTE_PRECISION.
    pub liquidator_reward: u64,
    /// The insurance fund's part (the rest), accrued in the market until swept. precision: QUOTE_PRECISION.
    pub fund_penalty: u64,
    /// The liquidatee's collateral after (negative: a deficit awaiting `cover_bankruptcy`). precision: QUOTE_PRECISION.
    pub collateral_after: i64,
    /// Whether the whole position was closed (false: a partial close restored maintenance margin).
    pub full: bool,
    /// Whether the account ended flat with negative collateral: it now waits for `cover_bankruptcy`.
    pub bankrupt: bool,
    /// The market's funding as this instruction left it.
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
    /// Slot and time of the instruction that emitted the event.
    pub header: EventHeader,
    /// The market.
    pub market: Pubkey,
    /// Owner of the bankrupt margin account.
    pub account: Pubkey,
    /// The layer that bore `amount`.
    pub layer: WaterfallLayer,
    /// What this layer bore. precision: QUOTE_PRECISION.
    pub amount: u64,
    /// Deficit still open after this layer.
    pub remaining: u64,
}

/// A completed bankruptcy cover.
#[event]
pub struct BankruptcyCovered {
    /// Slot and time of the instruction that emitted the event.
    pub header: EventHeader,
    /// The market.
    pub market: Pubkey,
    /// Owner of the bankrupt margin account.
    pub account: Pubkey,
    /// Who sent the cover (anyone may).
    pub keeper: Pubkey,
    /// The deficit covered: the account's negative collateral once touched (its own claim on the pool
    /// netted first). precision: QUOTE_PRECISION.
    pub deficit: u64,
    /// Paid by the insurance fund, in tokens from its vault into the market vault. precision: QUOTE_PRECISION.
    pub paid_by_fund: u64,
    /// Absorbed by the LP pool: the credit it took for the loss, written off. precision: QUOTE_PRECISION.
    pub clawed_back_from_lps: u64,
    /// Spread over every positive balance in the market (each applies its share at its next touch).
    /// precision: QUOTE_PRECISION.
    pub socialized: u64,
    /// What nobody could absorb: a shortfall of the pool towards its creditors. precision: QUOTE_PRECISION.
    pub uncovered: u64,
    /// The fund's balance (`FundBook::balance`) after paying. precision: QUOTE_PRECISION.
    pub fund_balance_after: u64,
    /// The market's socialized-loss index after the cover. precision: SOCIAL_INDEX_ONE (1e18).
    pub social_loss_index_after: u64,
}

/// Fee and penalty revenue moved from a market vault into its insurance fund.
#[event]
pub struct FundRevenueSwept {
    /// Slot and time of the instruction that emitted the event.
    pub header: EventHeader,
    /// The market whose vault paid.
    pub market: Pubkey,
    /// The insurance fund that received it.
    pub fund: Pubkey,
    /// The fund's fee share accrued in the market, swept. precision: QUOTE_PRECISION.
    pub fees: u64,
    /// The fund's share of liquidation penalties accrued in the market, swept. precision: QUOTE_PRECISION.
    pub penalties: u64,
    /// The fund's balance (`FundBook::balance`) before the sweep. precision: QUOTE_PRECISION.
    pub fund_balance_before: u64,
    /// The fund's balance after the sweep. precision: QUOTE_PRECISION.
    pub fund_balance_after: u64,
    /// Revenue still vesting after this sweep, released linearly until `vesting_end`.
    pub unvested_after: u64,
    /// Unix seconds at which the revenue still vesting is fully vested.
    pub vesting_end: i64,
}

/// An LP asked to leave: `lp_withdraw` may serve it from `unlocks_at`, at the lesser of `value_at_request` and
/// the value then.
#[event]
pub struct LpExitRequested {
    /// Slot and time of the instruction that emitted the event.
    pub header: EventHeader,
    /// The market whose LP pool it is.
    pub market: Pubkey,
    /// Owner of the LP position.
    pub owner: Pubkey,
    /// LP shares to burn.
    pub shares: u64,
    /// Their value now, at the pool's withdrawal value: the most the exit can pay. precision: QUOTE_PRECISION.
    pub value_at_request: u64,
    /// Unix seconds from which `lp_withdraw` may serve it: now plus the market's `lp_exit_delay_secs`.
    pub unlocks_at: i64,
}

/// The treasury's accrued fee share paid out to the treasury's token account.
#[event]
pub struct TreasuryFeesSwept {
    /// Slot and time of the instruction that emitted the event.
    pub header: EventHeader,
    /// The market whose vault paid.
    pub market: Pubkey,
    /// The token account paid: owned by the exchange's treasury, of the market's mint.
    pub destination: Pubkey,
    /// The treasury's whole accrued fee share. precision: QUOTE_PRECISION.
    pub amount: u64,
}

/// A fund's health at one moment, as computed by `fund_health`, with each market's figures.
#[event]
pub struct FundHealthReport {
    /// Slot and time of the instruction that emitted the event.
    pub header: EventHeader,
    /// The fund's figures, as `fund_health` returns them.
    pub health: crate::instructions::FundHealth,
    /// Each market the fund backs, in the order they were passed.
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
    /// Slot and time of the instruction that emitted the event.
    pub header: EventHeader,
    /// What the action is on: the exchange, a market or an insurance fund; for the authority actions, the
    /// new authority.
    pub target: Pubkey,
    /// What was done.
    pub action: GovernanceAction,
    /// Who signed: governance, the new authority accepting, or anyone applying a due change or activating
    /// a listing.
    pub signer: Pubkey,
    /// When a queued change may be applied (0 for actions that take effect at once).
    pub eta: i64,
}

/// A market's parameters changed (at once when tightening, or when a queued change was applied).
#[event]
pub struct ParamsChanged {
    /// Slot and time of the instruction that emitted the event.
    pub header: EventHeader,
    /// The market.
    pub market: Pubkey,
    /// Parameters before.
    pub old: backstop_math::params::MarketParams,
    /// Parameters in force from now.
    pub new: backstop_math::params::MarketParams,
}

/// A market's status changed (guardian, governance or the circuit breaker).
#[event]
pub struct StatusChanged {
    /// Slot and time of the instruction that emitted the event.
    pub header: EventHeader,
    /// The market.
    pub market: Pubkey,
    /// Status before, as `MarketStatus`'s byte (0 Active, 1 ReduceOnly, 2 Paused, 3 Listing).
    pub old_status: u8,
    /// Status after, as `MarketStatus`'s byte.
    pub new_status: u8,
    /// The guardian or governance that set it.
    pub signer: Pubkey,
}

/// The circuit breaker tripped or cleared.
#[event]
pub struct BreakerTransition {
    /// Slot and time of the instruction that emitted the event.
    pub header: EventHeader,
    /// The market.
    pub market: Pubkey,
    /// True: this observation tripped the breaker (reduce-only until the cooldown); false: it cleared.
    pub tripped: bool,
    /// Move over the window and confidence ratio that were observed, bps.
    pub move_bps: u64,
    /// The publishers' uncertainty it was judged on (`OracleView::uncertainty_bps`), bps of price.
    pub conf_bps: u64,
}

/// The exchange's guardian, treasury or timelock changed (a queued change was applied).
#[event]
pub struct ExchangeChanged {
    /// Slot and time of the instruction that emitted the event.
    pub header: EventHeader,
    /// Guardian before.
    pub old_guardian: Pubkey,
    /// Guardian from now.
    pub new_guardian: Pubkey,
    /// Owner of the treasury's fee share before.
    pub old_treasury: Pubkey,
    /// Owner of the treasury's fee share from now.
    pub new_treasury: Pubkey,
    /// Timelock delay before, in seconds.
    pub old_timelock_delay_secs: i64,
    /// Timelock delay from now, in seconds.
    pub new_timelock_delay_secs: i64,
    /// Receiver program allowed besides Pyth's before (default: none).
    pub old_oracle_receiver: Pubkey,
    /// Receiver program allowed besides Pyth's from now (default: none).
    pub new_oracle_receiver: Pubkey,
}

/// A market's oracle changed (a queued change was applied).
#[event]
pub struct OracleChanged {
    /// Slot and time of the instruction that emitted the event.
    pub header: EventHeader,
    /// The market.
    pub market: Pubkey,
    /// Oracle account read before.
    pub old_oracle: Pubkey,
    /// Oracle account read from now.
    pub new_oracle: Pubkey,
    /// Kind, receiver, feed id and signature minimum before.
    pub old_config: crate::state::OracleConfig,
    /// Kind, receiver, feed id and signature minimum from now.
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
    /// Slot and time of the instruction that emitted the event.
    pub header: EventHeader,
    /// The insurance fund.
    pub fund: Pubkey,
    /// Owner of the stake position.
    pub staker: Pubkey,
    /// What was done.
    pub action: StakeAction,
    /// Tokens in (stake) or out (unstake); value at request for a request. precision: QUOTE_PRECISION.
    pub amount: u64,
    /// Shares minted (stake), locked (request), unlocked (cancel) or burned (unstake).
    pub shares: u64,
    /// The fund's balance (`FundBook::balance`) after. precision: QUOTE_PRECISION.
    pub fund_balance_after: u64,
    /// Shares outstanding in the fund after.
    pub total_shares_after: u64,
    /// Shares still locked in this position's request.
    pub locked_shares_after: u64,
}

/// A fund's staking rules changed.
#[event]
pub struct FundParamsChanged {
    /// Slot and time of the instruction that emitted the event.
    pub header: EventHeader,
    /// The insurance fund.
    pub fund: Pubkey,
    /// Staking rules before.
    pub old: backstop_math::staking::FundParams,
    /// Staking rules in force from now.
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
