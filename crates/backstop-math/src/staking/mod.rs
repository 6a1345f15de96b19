//! Insurance fund staking: shares priced at the fund's vested value, a cooldown, the lesser of the
//! value at request and at withdrawal, revenue that vests linearly, and a redemption gate that lets at most a
//! fraction of the fund leave per window, first come first served.
//!
//! Share value is the fund's own accounting (`balance`), never its vault's token balance, so a donation to the
//! vault changes nothing; the virtual offset of [`crate::lp`] protects the first staker; every rounding favours
//! the fund (mint down, redeem down).

use crate::constants::BPS_DENOMINATOR;
use crate::error::{MathError, MathResult};
use crate::lp::amount_for_shares;
use crate::safe_math::{add_u64, mul_div_floor, sub_u64, to_u64};

mod flows;
pub use flows::*;

/// What a fund holds besides its quote balance, valued for one instruction: its non-quote assets
/// ([`crate::assets`]). Zero in a quote-only fund. precision: QUOTE_PRECISION.
///
/// Each side is chosen against whoever is paid: a claim on the fund (an unstake request, the gate, what a
/// share is worth) reads `claim`, every asset at the low side of its band less haircut; a new stake buys into
/// `buy_in`, every asset at the high side of its band with no haircut, so the new shares are never cheap.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OtherAssets {
    /// Σ amount × min(price − conf, EMA) × (1 − haircut): what a claim on the assets is worth.
    pub claim: u64,
    /// Σ amount × max(price + conf, EMA): the most the assets are worth.
    pub buy_in: u64,
    /// Whether the fund holds any token of them, priced or not: a fund that does is not empty, whatever its
    /// claim value, and its shares are never voided while one of them has no price.
    pub held: bool,
    /// Whether every asset held had a usable price. A stake, a request and an exit need it (each is priced
    /// against the whole fund, and none is urgent: anyone may post a fresh pull update); a cover does not.
    pub complete: bool,
}

impl OtherAssets {
    pub const NONE: OtherAssets = OtherAssets { claim: 0, buy_in: 0, held: false, complete: true };

    /// Refused unless every asset held was priced.
    pub fn require_complete(&self) -> MathResult<()> {
        if self.complete {
            Ok(())
        } else {
            Err(MathError::FundAssetUnpriced)
        }
    }
}

#[cfg(test)]
mod tests;

crate::idl_struct! {
    /// A fund's staking rules. Stored in the fund account.
    #[repr(C)]
    #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, bytemuck::Pod, bytemuck::Zeroable)]
    #[cfg_attr(feature = "borsh", derive(borsh::BorshSerialize, borsh::BorshDeserialize))]
    pub struct FundParams {
        /// Seconds between `request_unstake` and `unstake`.
        pub cooldown_secs: u32,
        /// Seconds over which swept revenue raises share value, linearly.
        pub vesting_period_secs: u32,
        /// Most of the fund's value that unstakes may take out per window, bps.
        pub gate_bps: u32,
        /// Length of a redemption-gate window, in seconds.
        pub gate_window_secs: u32,
    }
}

/// Bounds: cooldown 1 hour ..= 30 days; vesting 0 ..= 30 days; gate 1 ..= 10 000 bps per 1 hour ..= 30 days.
pub const MIN_COOLDOWN_SECS: u32 = 3_600;
pub const MAX_STAKING_SECS: u32 = 30 * 24 * 3_600;

impl FundParams {
    pub fn validate(&self) -> MathResult<()> {
        let ok = (MIN_COOLDOWN_SECS..=MAX_STAKING_SECS).contains(&self.cooldown_secs)
            && self.vesting_period_secs <= MAX_STAKING_SECS
            && (1..=10_000).contains(&self.gate_bps)
            && (3_600..=MAX_STAKING_SECS).contains(&self.gate_window_secs);
        if ok {
            Ok(())
        } else {
            Err(MathError::InvalidFundParams)
        }
    }
}

crate::idl_struct! {
    /// The fund's staking books. Stored in the fund account. precision of amounts: QUOTE_PRECISION.
    #[repr(C)]
    #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, bytemuck::Pod, bytemuck::Zeroable)]
    pub struct FundBook {
        /// What the fund owes out of its vault: stakers' capital, swept revenue (vested or not).
        pub balance: u64,
        /// Shares outstanding in the current `share_epoch`, locked ones included (a first stake mints
        /// `VIRTUAL_SHARES`, 1 000, per quote atom).
        pub total_shares: u64,
        /// Revenue still vesting: `vesting_amount` at `vesting_start`, released linearly until `vesting_end`.
        pub vesting_amount: u64,
        /// Unix seconds at which the current vesting began (the last sweep or cover).
        pub vesting_start: i64,
        /// Unix seconds at which the revenue still vesting is fully vested.
        pub vesting_end: i64,
        /// Shares locked in pending unstake requests.
        pub locked_shares: u64,
        /// Value of `locked_shares` at their requests: the most those requests can pay.
        pub locked_value: u64,
        /// Redemption gate: cumulative value requested by unstake requests, in request order (each request's place
        /// in the queue is this total when it was made). precision: QUOTE_PRECISION.
        pub queue_requested: u64,
        /// Cumulative value the gate has released, in request order: a request is served only as far as its
        /// place in the queue (`StakeBook::queue_position`) lies below it.
        pub queue_released: u64,
        /// Unix seconds at which the current gate window opened (0: none yet).
        pub gate_window_start: i64,
        /// The current gate window's budget, set when it opens: the most unstakes may take out in it.
        /// precision: QUOTE_PRECISION.
        pub window_budget: u64,
        /// What unstakes took from `window_budget` in the current window.
        pub window_used: u64,
        /// Bumped at each reverse split (covers left more than [`MAX_SHARES_PER_ATOM`] = 100 000 shares per atom of
        /// value: every share becomes 1/[`SHARE_SPLIT`] = 1/1 000 of a share worth 1 000 times as much) and when a
        /// drained fund voids its shares. Positions convert lazily, on their next instruction.
        pub share_epoch: u64,
        /// The epoch a drain voided every share in (0: never): positions from before it hold nothing.
        pub void_epoch: u64,
    }
}

crate::idl_struct! {
    /// One staker's shares and request. Stored in the stake position account.
    #[repr(C)]
    #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, bytemuck::Pod, bytemuck::Zeroable)]
    pub struct StakeBook {
        /// Shares held, including `locked_shares`.
        pub shares: u64,
        /// Shares in the pending request (0: none).
        pub locked_shares: u64,
        /// Value of `locked_shares` at request: the most the request can pay. precision: QUOTE_PRECISION.
        pub request_value: u64,
        /// Unix seconds of the request (0: none).
        pub request_time: i64,
        /// Cumulative value requested before this request (it grows as parts of the request are served).
        /// precision: QUOTE_PRECISION.
        pub queue_position: u64,
        /// When the pending request may be served: its cooldown is the one in force when it was made, so a later
        /// cooldown change neither lengthens nor shortens it.
        pub unlocks_at: i64,
        /// The fund's share epoch these shares are counted in (see [`FundBook::share_epoch`]).
        pub share_epoch: u64,
    }
}

/// Shares per atom of value beyond which the fund splits its shares: their value fell below 1 % of the first
/// staker's price ([`crate::constants::VIRTUAL_SHARES`] shares per atom). Past this a large stake could not be
/// minted in u64 (a $100k stake into 1e15 shares on nothing overflowed).
pub const MAX_SHARES_PER_ATOM: u64 = crate::constants::VIRTUAL_SHARES * 100;
/// A reverse split turns this many shares into one. It leaves more than 100 shares per atom, so the virtual
/// offset stays negligible beside the real shares.
pub const SHARE_SPLIT: u64 = 1_000;

impl StakeBook {
    /// This position as the fund's current share epoch sees it: shares and locked shares divided by every
    /// reverse split since (rounded down: at most one new share's value lost, which stays with the fund), or
    /// nothing if a drain voided them. A request whose locked shares round to nothing is dropped.
    pub fn in_epoch_of(&self, fund: &FundBook) -> StakeBook {
        if self.share_epoch == fund.share_epoch {
            return *self;
        }
        let empty = StakeBook { share_epoch: fund.share_epoch, ..StakeBook::default() };
        if self.share_epoch < fund.void_epoch {
            return empty;
        }
        let splits = u32::try_from(fund.share_epoch.saturating_sub(self.share_epoch)).unwrap_or(u32::MAX);
        let Some(divisor) = SHARE_SPLIT.checked_pow(splits) else { return empty };
        let locked_shares = self.locked_shares / divisor;
        let request = if locked_shares == 0 { StakeBook::default() } else { *self };
        StakeBook {
            shares: self.shares / divisor,
            locked_shares,
            request_value: request.request_value,
            request_time: request.request_time,
            queue_position: request.queue_position,
            unlocks_at: request.unlocks_at,
            share_epoch: fund.share_epoch,
        }
    }
}

impl FundBook {
    /// Revenue not yet vested at `now`, rounded up (never overstate value).
    pub fn unvested(&self, now: i64) -> MathResult<u64> {
        if now >= self.vesting_end || self.vesting_amount == 0 {
            return Ok(0);
        }
        let remaining = i128::from(self.vesting_end - now.max(self.vesting_start));
        let length = i128::from(self.vesting_end - self.vesting_start).max(1);
        let unvested = crate::safe_math::mul_div_ceil(i128::from(self.vesting_amount), remaining, length)?;
        Ok(to_u64(unvested)?.min(self.balance))
    }

    /// What the quote balance is worth to the shares at `now`: balance less unvested revenue.
    pub fn value(&self, now: i64) -> MathResult<u64> {
        Ok(self.balance.saturating_sub(self.unvested(now)?))
    }

    /// What all shares can claim at `now`: the vested quote balance and the other assets' claim value.
    pub fn worth(&self, now: i64, others: &OtherAssets) -> MathResult<u64> {
        add_u64(self.value(now)?, others.claim)
    }

    /// Value of `shares` at `now`, rounded down.
    pub fn share_value(&self, shares: u64, now: i64, others: &OtherAssets) -> MathResult<u64> {
        self.share_value_net_of(shares, now, 0, others)
    }

    /// What all shares can claim once the fund has paid `exposure`: exactly what they will be worth after that
    /// cover. A cover takes unvested revenue first ([`FundBook::pay_cover`]) and the quote balance before any
    /// other asset (what it cannot pay is raised by selling them, never for less than their claim value), so it
    /// leaves `balance + others − max(exposure, unvested)`, not the vested value less the exposure: leaving
    /// before or after the cover pays the same.
    pub fn worth_net_of(&self, now: i64, exposure: u64, others: &OtherAssets) -> MathResult<u64> {
        Ok(add_u64(self.balance, others.claim)?.saturating_sub(self.unvested(now)?.max(exposure)))
    }

    /// Value of `shares` at `now` once the fund has paid `exposure`, rounded down ([`FundBook::worth_net_of`]).
    pub fn share_value_net_of(&self, shares: u64, now: i64, exposure: u64, others: &OtherAssets) -> MathResult<u64> {
        amount_for_shares(shares, i128::from(self.worth_net_of(now, exposure, others)?), self.total_shares)
    }

    /// Swept revenue: joins the balance at once and vests into share value over `vesting_secs`. What was still
    /// vesting keeps vesting, now over the new period. Nothing swept changes nothing: an empty sweep must not
    /// restart the schedule (hourly empty sweeps would otherwise keep revenue from ever vesting).
    pub fn add_revenue(&mut self, amount: u64, now: i64, vesting_secs: u32) -> MathResult<()> {
        if amount == 0 {
            return Ok(());
        }
        let still = self.unvested(now)?;
        self.balance = add_u64(self.balance, amount)?;
        if vesting_secs == 0 {
            self.vesting_amount = still;
        } else {
            self.vesting_amount = add_u64(still, amount)?;
        }
        self.vesting_start = now;
        self.vesting_end = now.checked_add(i64::from(vesting_secs)).ok_or(MathError::Overflow)?;
        Ok(())
    }

    /// A cover paid `amount` of quote out: share value drops at once (unvested revenue first, since it is the
    /// part no staker has yet been credited with). `others` is what the fund holds besides, after the cover.
    pub fn pay_cover(&mut self, amount: u64, now: i64, others: &OtherAssets) -> MathResult<()> {
        let unvested = self.unvested(now)?;
        self.balance = sub_u64(self.balance, amount)?;
        let left = unvested.saturating_sub(amount);
        self.vesting_amount = left;
        self.vesting_start = now;
        if left == 0 {
            self.vesting_end = now;
        }
        self.reprice_shares(now, others)
    }

    /// After a cover (in quote or in kind), and before a stake: a fund worth nothing voids its shares; one whose
    /// shares are each worth under 1 % of the first staker's price splits them (holders keep their value). Both
    /// wait while an asset held has no price: its claim value of nothing would void or split shares that are
    /// worth more, and the next staker would buy at the first staker's price into a fund that is not empty. (Dust
    /// that a price values at nothing does not hold the void back: it goes to the next staker.)
    pub fn reprice_shares(&mut self, now: i64, others: &OtherAssets) -> MathResult<()> {
        if !others.complete {
            return Ok(());
        }
        if self.total_shares > 0 && self.balance == 0 && others.claim == 0 {
            self.void_shares()?;
        }
        // At most a handful of rounds: each divides the shares by 1,000.
        while self.total_shares > 0 && self.worth(now, others)?.saturating_mul(MAX_SHARES_PER_ATOM) < self.total_shares
        {
            self.reverse_split()?;
        }
        Ok(())
    }

    /// Every 1,000 shares become one, worth 1,000 times as much: a holder keeps their value (less under one new
    /// share, rounded down), and new stakes mint at a price a u64 can hold. The totals round down too, so they
    /// never fall below the sum of the converted positions (the difference is dust owned by no one).
    fn reverse_split(&mut self) -> MathResult<()> {
        self.share_epoch = self.share_epoch.checked_add(1).ok_or(MathError::Overflow)?;
        self.total_shares /= SHARE_SPLIT;
        self.locked_shares /= SHARE_SPLIT;
        Ok(())
    }

    /// The fund holds nothing: every share is worth nothing and is voided, so the next staker buys at the first
    /// staker's price. Requests of the voided shares are void too, and leave the queue.
    fn void_shares(&mut self) -> MathResult<()> {
        self.share_epoch = self.share_epoch.checked_add(1).ok_or(MathError::Overflow)?;
        self.void_epoch = self.share_epoch;
        self.total_shares = 0;
        self.locked_shares = 0;
        self.locked_value = 0;
        self.queue_released = self.queue_released.max(self.queue_requested);
        Ok(())
    }

    /// Opens gate windows up to `now`: each window releases `gate_bps` of the fund's value, but unused capacity
    /// never accumulates beyond one window ahead of the queue.
    ///
    /// Two guards work together: each window has a hard budget (what unstakes may take out in it, fixed when the
    /// window opens), and the queue frontier `queue_released` advances one budget per window, so requests are
    /// served in the order they were made, a window's slice at a time.
    pub fn roll_gate(&mut self, now: i64, params: &FundParams, others: &OtherAssets) -> MathResult<()> {
        let window = i64::from(params.gate_window_secs.max(1));
        if self.gate_window_start == 0 {
            self.open_window(now, now, params, others)?;
            self.queue_released = add_u64(self.queue_requested, self.window_budget)?;
            return Ok(());
        }
        let elapsed = now.saturating_sub(self.gate_window_start);
        if elapsed < window {
            return Ok(());
        }
        let windows = u64::try_from(elapsed / window).map_err(|_| MathError::Overflow)?;
        self.open_window(self.gate_window_start.saturating_add(elapsed / window * window), now, params, others)?;
        let grown = self.queue_released.saturating_add(self.window_budget.saturating_mul(windows));
        self.queue_released = grown.min(add_u64(self.queue_requested, self.window_budget)?);
        Ok(())
    }

    fn open_window(&mut self, start: i64, now: i64, params: &FundParams, others: &OtherAssets) -> MathResult<()> {
        self.gate_window_start = start;
        self.window_budget = self.budget(now, params, others)?;
        self.window_used = 0;
        Ok(())
    }

    fn budget(&self, now: i64, params: &FundParams, others: &OtherAssets) -> MathResult<u64> {
        let worth = i128::from(self.worth(now, others)?);
        to_u64(mul_div_floor(worth, i128::from(params.gate_bps), i128::from(BPS_DENOMINATOR))?)
    }

    /// What the gate still lets out this window.
    pub fn gate_remaining(&self) -> u64 {
        self.window_budget.saturating_sub(self.window_used)
    }
}
