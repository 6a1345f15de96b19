//! Insurance fund staking (SPEC §2, §3): shares priced at the fund's vested value, a cooldown, the lesser of the
//! value at request and at withdrawal, revenue that vests linearly, and a redemption gate that lets at most a
//! fraction of the fund leave per window, first come first served.
//!
//! Share value is the fund's own accounting (`balance`), never its vault's token balance, so a donation to the
//! vault changes nothing; the virtual offset of [`crate::lp`] protects the first staker; every rounding favours
//! the fund (mint down, redeem down).

use crate::constants::BPS_DENOMINATOR;
use crate::error::{MathError, MathResult};
use crate::lp::{amount_for_shares, shares_for_deposit};
use crate::safe_math::{add_u64, mul_div_floor, sub_u64, to_u64};

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
    pub gate_window_secs: u32,
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

    /// Loosening: a shorter cooldown, a shorter vesting, a wider gate or a shorter gate window.
    pub fn applies_at_once(&self, new: &FundParams) -> bool {
        new.cooldown_secs >= self.cooldown_secs
            && new.vesting_period_secs >= self.vesting_period_secs
            && new.gate_bps <= self.gate_bps
            && new.gate_window_secs >= self.gate_window_secs
    }
}

/// The fund's staking books. Stored in the fund account. precision of amounts: QUOTE_PRECISION.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct FundBook {
    /// What the fund owes out of its vault: stakers' capital, swept revenue (vested or not).
    pub balance: u64,
    pub total_shares: u64,
    /// Revenue still vesting: `vesting_amount` at `vesting_start`, released linearly until `vesting_end`.
    pub vesting_amount: u64,
    pub vesting_start: i64,
    pub vesting_end: i64,
    /// Shares locked in unstake requests, and the value they were worth at request.
    pub locked_shares: u64,
    pub locked_value: u64,
    /// Redemption gate: cumulative value requested (in request order) and released, and the current window.
    pub queue_requested: u64,
    pub queue_released: u64,
    pub gate_window_start: i64,
    /// The current window's budget (set when it opens) and what unstakes took from it: a hard cap.
    pub window_budget: u64,
    pub window_used: u64,
    /// Bumped at each reverse split (covers left each share worth less than [`MAX_SHARES_PER_ATOM`] allows:
    /// every share becomes 1/[`SHARE_SPLIT`] of a share worth [`SHARE_SPLIT`] times as much) and when a drained
    /// fund voids its shares. Positions convert lazily ([`StakeBook::in_epoch_of`]).
    pub share_epoch: u64,
    /// The epoch a drain voided every share in (0: never): positions from before it hold nothing.
    pub void_epoch: u64,
}

/// One staker's shares and request. Stored in the stake position account.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct StakeBook {
    /// Shares held, including `locked_shares`.
    pub shares: u64,
    /// Shares in the pending request (0: none), their value at request, and the request's time and place in the
    /// redemption queue (cumulative value requested before it).
    pub locked_shares: u64,
    pub request_value: u64,
    pub request_time: i64,
    pub queue_position: u64,
    /// When the pending request may be served: its cooldown is the one in force when it was made, so a later
    /// cooldown change neither lengthens nor shortens it.
    pub unlocks_at: i64,
    /// The fund's share epoch these shares are counted in (see [`FundBook::share_epoch`]).
    pub share_epoch: u64,
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

    /// What all shares are worth at `now`: balance less unvested revenue.
    pub fn value(&self, now: i64) -> MathResult<u64> {
        Ok(self.balance.saturating_sub(self.unvested(now)?))
    }

    /// Value of `shares` at `now`, rounded down.
    pub fn share_value(&self, shares: u64, now: i64) -> MathResult<u64> {
        self.share_value_net_of(shares, now, 0)
    }

    /// Value of `shares` at `now` once the fund has paid `exposure`, rounded down: exactly what they will be worth
    /// after that cover. A cover takes unvested revenue first ([`FundBook::pay_cover`]), so it leaves
    /// `balance − max(exposure, unvested)`, not the vested value less the exposure: leaving before or after the
    /// cover pays the same.
    pub fn share_value_net_of(&self, shares: u64, now: i64, exposure: u64) -> MathResult<u64> {
        let value = self.balance.saturating_sub(self.unvested(now)?.max(exposure));
        amount_for_shares(shares, i128::from(value), self.total_shares)
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

    /// A cover paid `amount` out: share value drops at once (unvested revenue first, since it is the part no
    /// staker has yet been credited with). A cover that drains the fund voids its shares; one that leaves each
    /// share worth under 1 % of the first staker's price splits them (holders keep their value).
    pub fn pay_cover(&mut self, amount: u64, now: i64) -> MathResult<()> {
        let unvested = self.unvested(now)?;
        self.balance = sub_u64(self.balance, amount)?;
        let left = unvested.saturating_sub(amount);
        self.vesting_amount = left;
        self.vesting_start = now;
        if left == 0 {
            self.vesting_end = now;
        }
        if self.total_shares > 0 && self.balance == 0 {
            self.void_shares()?;
        }
        // At most a handful of rounds: each divides the shares by 1,000.
        while self.total_shares > 0 && self.value(now)?.saturating_mul(MAX_SHARES_PER_ATOM) < self.total_shares {
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
    pub fn roll_gate(&mut self, now: i64, params: &FundParams) -> MathResult<()> {
        let window = i64::from(params.gate_window_secs.max(1));
        if self.gate_window_start == 0 {
            self.open_window(now, now, params)?;
            self.queue_released = add_u64(self.queue_requested, self.window_budget)?;
            return Ok(());
        }
        let elapsed = now.saturating_sub(self.gate_window_start);
        if elapsed < window {
            return Ok(());
        }
        let windows = u64::try_from(elapsed / window).map_err(|_| MathError::Overflow)?;
        self.open_window(self.gate_window_start.saturating_add(elapsed / window * window), now, params)?;
        let grown = self.queue_released.saturating_add(self.window_budget.saturating_mul(windows));
        self.queue_released = grown.min(add_u64(self.queue_requested, self.window_budget)?);
        Ok(())
    }

    fn open_window(&mut self, start: i64, now: i64, params: &FundParams) -> MathResult<()> {
        self.gate_window_start = start;
        self.window_budget = self.budget(now, params)?;
        self.window_used = 0;
        Ok(())
    }

    fn budget(&self, now: i64, params: &FundParams) -> MathResult<u64> {
        to_u64(mul_div_floor(i128::from(self.value(now)?), i128::from(params.gate_bps), i128::from(BPS_DENOMINATOR))?)
    }

    /// What the gate still lets out this window.
    pub fn gate_remaining(&self) -> u64 {
        self.window_budget.saturating_sub(self.window_used)
    }
}

/// Stakes `amount`: shares at the current value, rounded down. A position with a pending request cannot stake.
pub fn stake(fund: &FundBook, position: &StakeBook, amount: u64, now: i64) -> MathResult<(FundBook, StakeBook, u64)> {
    if amount == 0 {
        return Err(MathError::InvalidAmount);
    }
    let position = &position.in_epoch_of(fund);
    if position.locked_shares > 0 {
        return Err(MathError::UnstakePending);
    }
    let shares = shares_for_deposit(amount, i128::from(fund.value(now)?), fund.total_shares)?;
    if shares == 0 {
        return Err(MathError::InvalidAmount);
    }
    let (mut fund, mut position) = (*fund, *position);
    fund.balance = add_u64(fund.balance, amount)?;
    fund.total_shares = add_u64(fund.total_shares, shares)?;
    position.shares = add_u64(position.shares, shares)?;
    Ok((fund, position, shares))
}

/// Locks `shares` for withdrawal after the cooldown, recording their value now and their place in the queue.
pub fn request_unstake(
    fund: &FundBook,
    position: &StakeBook,
    shares: u64,
    now: i64,
    params: &FundParams,
) -> MathResult<(FundBook, StakeBook)> {
    if shares == 0 {
        return Err(MathError::InvalidAmount);
    }
    let position = &position.in_epoch_of(fund);
    if position.locked_shares > 0 {
        return Err(MathError::UnstakePending);
    }
    if shares > position.shares {
        return Err(MathError::InsufficientShares);
    }
    let (mut fund, mut position) = (*fund, *position);
    fund.roll_gate(now, params)?;
    let value = fund.share_value(shares, now)?;
    position.locked_shares = shares;
    position.request_value = value;
    position.request_time = now;
    position.unlocks_at = now.checked_add(i64::from(params.cooldown_secs)).ok_or(MathError::Overflow)?;
    position.queue_position = fund.queue_requested;
    fund.queue_requested = add_u64(fund.queue_requested, value)?;
    fund.locked_shares = add_u64(fund.locked_shares, shares)?;
    fund.locked_value = add_u64(fund.locked_value, value)?;
    Ok((fund, position))
}

/// Unlocks a pending request. Its place in the queue is given up, and so is the room it took: every later
/// request waits exactly as if it had never been made.
/// (Without this, free request/cancel pairs pushed every other staker's exit back a window's budget at a time.)
pub fn cancel_unstake(fund: &FundBook, position: &StakeBook) -> MathResult<(FundBook, StakeBook)> {
    let position = &position.in_epoch_of(fund);
    if position.locked_shares == 0 {
        return Err(MathError::NoUnstakeRequest);
    }
    let (mut fund, mut position) = (*fund, *position);
    fund.locked_shares = sub_u64(fund.locked_shares, position.locked_shares)?;
    fund.locked_value = sub_u64(fund.locked_value, position.request_value)?;
    if add_u64(position.queue_position, position.request_value)? == fund.queue_requested {
        // The last request in the queue: it leaves as if never made (a request/cancel storm moves nothing).
        fund.queue_requested = sub_u64(fund.queue_requested, position.request_value)?;
    } else {
        // A request in the middle: the frontier moves past its value, so the requests behind it wait as if it
        // had never been made.
        fund.queue_released = add_u64(fund.queue_released, position.request_value)?;
    }
    fund.queue_released = fund.queue_released.min(add_u64(fund.queue_requested, fund.window_budget)?);
    position.locked_shares = 0;
    position.request_value = 0;
    position.request_time = 0;
    position.unlocks_at = 0;
    position.queue_position = 0;
    Ok((fund, position))
}

/// What one `unstake` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unstaked {
    pub fund: FundBook,
    pub position: StakeBook,
    /// Tokens paid out.
    pub amount: u64,
    pub shares_burned: u64,
    /// True when the whole request was served; false when the gate served part of it (the rest stays queued at
    /// the front, for the next window).
    pub complete: bool,
}

/// Serves a request after the cooldown, as far as the redemption gate allows: pays `min(value at request, value
/// now)` for the shares it burns (the difference stays with the remaining stakers). Value now is net of
/// `exposure`: what the fund is about to pay for the bankruptcies already recognised in the markets it backs
/// and not yet covered; a staker who leaves between a liquidation and its cover bears their share of it.
/// A request larger than a window's budget is served in parts, keeping its place at the front of the queue.
pub fn unstake(
    fund: &FundBook,
    position: &StakeBook,
    now: i64,
    params: &FundParams,
    exposure: u64,
) -> MathResult<Unstaked> {
    let position = &position.in_epoch_of(fund);
    if position.locked_shares == 0 {
        return Err(MathError::NoUnstakeRequest);
    }
    if now < position.unlocks_at {
        return Err(MathError::CooldownNotElapsed);
    }
    let (mut fund, mut position) = (*fund, *position);
    fund.roll_gate(now, params)?;
    let locked = position.locked_shares;
    let owed = position.request_value.min(fund.share_value_net_of(locked, now, exposure)?);
    if owed == 0 {
        // Burning the shares for nothing would hand them to the stakers who stay: wait for the covers instead.
        return Err(MathError::NothingToRedeem);
    }
    // The queue must have reached this request, and the window must have budget left.
    let queue_room = fund.queue_released.saturating_sub(position.queue_position);
    let room = fund.window_budget.saturating_sub(fund.window_used).min(queue_room);
    let fill = owed.min(room);
    let burned = if fill == owed {
        locked
    } else {
        to_u64(mul_div_floor(i128::from(locked), i128::from(fill), i128::from(owed.max(1)))?)?
    };
    if burned == 0 {
        return Err(MathError::RedemptionGateFull);
    }
    let complete = burned == locked;
    let amount =
        if complete { owed } else { to_u64(mul_div_floor(i128::from(owed), i128::from(burned), i128::from(locked))?)? };
    let consumed = if complete {
        position.request_value
    } else {
        to_u64(mul_div_floor(i128::from(position.request_value), i128::from(burned), i128::from(locked))?)?
    };
    fund.window_used = add_u64(fund.window_used, amount)?;
    fund.balance = sub_u64(fund.balance, amount)?;
    fund.total_shares = sub_u64(fund.total_shares, burned)?;
    fund.locked_shares = sub_u64(fund.locked_shares, burned)?;
    fund.locked_value = sub_u64(fund.locked_value, consumed)?;
    position.shares = sub_u64(position.shares, burned)?;
    position.locked_shares = locked - burned;
    position.request_value = sub_u64(position.request_value, consumed)?;
    position.queue_position = add_u64(position.queue_position, consumed)?;
    if complete {
        position.request_time = 0;
        position.unlocks_at = 0;
        position.queue_position = 0;
    }
    Ok(Unstaked { fund, position, amount, shares_burned: burned, complete })
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use proptest::prelude::*;
    use std::vec::Vec;

    const DAY: i64 = 86_400;

    fn params() -> FundParams {
        FundParams {
            cooldown_secs: 7 * 86_400,
            vesting_period_secs: 7 * 86_400,
            gate_bps: 2_000,
            gate_window_secs: 86_400,
        }
    }

    #[test]
    fn revenue_vests_linearly_and_a_late_staker_gets_only_what_vests_after() {
        let (fund, alice, _) = stake(&FundBook::default(), &StakeBook::default(), 1_000_000, 0).unwrap();
        let mut fund = fund;
        fund.add_revenue(700_000, DAY, 7 * 86_400).unwrap();
        assert_eq!(fund.value(DAY), Ok(1_000_000));
        assert_eq!(fund.value(DAY + 3 * DAY), Ok(1_300_000));
        // Bob stakes right after the sweep: his shares are priced without the unvested revenue.
        let (fund, bob, _) = stake(&fund, &StakeBook::default(), 1_000_000, DAY).unwrap();
        let at = 8 * DAY;
        let alice_value = fund.share_value(alice.shares, at).unwrap();
        let bob_value = fund.share_value(bob.shares, at).unwrap();
        // All of the revenue vests after Bob joined, so it is split pro rata: 350 000 each (less rounding).
        assert!((1_349_990..=1_350_000).contains(&alice_value), "{alice_value}");
        assert!((1_349_990..=1_350_000).contains(&bob_value), "{bob_value}");
    }

    #[test]
    fn unstake_pays_the_lesser_of_request_and_current_value() {
        let mut relaxed = params();
        relaxed.gate_bps = 10_000;
        let (fund, alice, _) = stake(&FundBook::default(), &StakeBook::default(), 1_000_000, DAY).unwrap();
        let (mut fund, alice) = request_unstake(&fund, &alice, alice.shares, DAY, &relaxed).unwrap();
        assert_eq!(alice.request_value, 1_000_000);
        assert_eq!(unstake(&fund, &alice, 7 * DAY, &relaxed, 0), Err(MathError::CooldownNotElapsed));
        fund.pay_cover(400_000, 2 * DAY).unwrap(); // a bankruptcy covered during the cooldown
        let done = unstake(&fund, &alice, 8 * DAY, &relaxed, 0).unwrap();
        assert!(done.complete);
        assert_eq!(done.amount, 600_000);
    }

    #[test]
    fn the_gate_serves_a_run_in_order_one_window_at_a_time() {
        let mut fund = FundBook::default();
        let mut stakers = Vec::new();
        for _ in 0..5 {
            let (next, position, _) = stake(&fund, &StakeBook::default(), 1_000_000, DAY).unwrap();
            fund = next;
            stakers.push(position);
        }
        // Everyone asks to leave at once: 20 % of the fund per day.
        for staker in stakers.iter_mut() {
            let (next, position) = request_unstake(&fund, staker, staker.shares, DAY, &params()).unwrap();
            fund = next;
            *staker = position;
        }
        let after_cooldown = 8 * DAY;
        let mut served_per_day = Vec::new();
        for day in 0..6 {
            let now = after_cooldown + day * DAY;
            let mut served = 0;
            for staker in stakers.iter_mut().filter(|s| s.locked_shares > 0) {
                if let Ok(done) = unstake(&fund, staker, now, &params(), 0) {
                    fund = done.fund;
                    *staker = done.position;
                    served += 1;
                }
            }
            served_per_day.push(served);
        }
        // One window's budget (20 % of what is left) per day, in request order: the first request is served
        // whole, then each day pays out at most a fifth of the fund, in parts where a request is larger.
        assert_eq!(served_per_day[0], 1, "{served_per_day:?}");
        assert!(stakers[0].locked_shares == 0 && stakers[4].locked_shares > 0, "in order");
        assert!(fund.balance >= 5_000_000 * 8 / 10 * 8 / 10 * 8 / 10 * 8 / 10 * 8 / 10 * 8 / 10 - 10);
    }

    #[test]
    fn a_pending_request_blocks_more_stakes_and_a_second_request() {
        let (fund, alice, _) = stake(&FundBook::default(), &StakeBook::default(), 1_000_000, DAY).unwrap();
        let (fund, alice) = request_unstake(&fund, &alice, 10, DAY, &params()).unwrap();
        assert_eq!(stake(&fund, &alice, 5, 0).unwrap_err(), MathError::UnstakePending);
        assert_eq!(request_unstake(&fund, &alice, 5, 0, &params()).unwrap_err(), MathError::UnstakePending);
        let (fund, alice) = cancel_unstake(&fund, &alice).unwrap();
        assert_eq!((alice.locked_shares, fund.locked_shares), (0, 0));
        assert_eq!(cancel_unstake(&fund, &alice).unwrap_err(), MathError::NoUnstakeRequest);
        assert_eq!(unstake(&fund, &alice, DAY * 30, &params(), 0).unwrap_err(), MathError::NoUnstakeRequest);
        assert_eq!(
            request_unstake(&fund, &alice, alice.shares + 1, 0, &params()).unwrap_err(),
            MathError::InsufficientShares
        );
    }

    /// Replays the review's F2: a 10 % staker makes 100 request/cancel pairs before another staker's request.
    /// Each pair used to push the frontier back by the request's value, so the other staker's first payment came
    /// ~50 windows late. Now a cancel gives its room back: the other staker is paid in the first window.
    #[test]
    fn request_cancel_storms_do_not_delay_anyone_else() {
        let (fund, attacker, _) = stake(&FundBook::default(), &StakeBook::default(), 100_000_000, 0).unwrap();
        let (mut fund, victim, _) = stake(&fund, &StakeBook::default(), 900_000_000, 0).unwrap();
        let mut attacker = attacker;
        for _ in 0..100 {
            let (f, a) = request_unstake(&fund, &attacker, attacker.shares, DAY, &params()).unwrap();
            let (f, a) = cancel_unstake(&f, &a).unwrap();
            fund = f;
            attacker = a;
        }
        let (fund, victim) = request_unstake(&fund, &victim, victim.shares / 10, DAY, &params()).unwrap();
        assert_eq!(victim.queue_position, 0, "the storm left the queue as it found it");
        let served = unstake(&fund, &victim, DAY + 7 * DAY, &params(), 0).unwrap();
        assert!(served.complete, "served in the first window after its cooldown");
        assert_eq!(served.amount, 90_000_000);
    }

    #[test]
    fn a_pending_request_keeps_the_cooldown_it_was_made_under() {
        let (fund, alice, _) = stake(&FundBook::default(), &StakeBook::default(), 1_000_000, 0).unwrap();
        let (fund, alice) = request_unstake(&fund, &alice, alice.shares, DAY, &params()).unwrap();
        let mut longer = params();
        longer.cooldown_secs = 30 * 86_400;
        let mut relaxed = longer;
        relaxed.gate_bps = 10_000;
        assert_eq!(unstake(&fund, &alice, 8 * DAY - 1, &relaxed, 0).unwrap_err(), MathError::CooldownNotElapsed);
        assert!(unstake(&fund, &alice, 8 * DAY, &relaxed, 0).unwrap().complete);
    }

    #[test]
    fn a_leaver_bears_the_deficits_the_fund_is_about_to_pay() {
        // Two $1,000 stakers and $36.080090 of deficit pending in a market the fund backs (the review's replay).
        let mut relaxed = params();
        relaxed.gate_bps = 10_000;
        let (fund, a, _) = stake(&FundBook::default(), &StakeBook::default(), 1_000_000_000, 0).unwrap();
        let (fund, b, _) = stake(&fund, &StakeBook::default(), 1_000_000_000, 0).unwrap();
        let (fund, a) = request_unstake(&fund, &a, a.shares, DAY, &relaxed).unwrap();
        let done = unstake(&fund, &a, 8 * DAY, &relaxed, 36_080_090).unwrap();
        assert_eq!(done.amount, 981_959_955);
        let mut fund = done.fund;
        fund.pay_cover(36_080_090, 8 * DAY).unwrap();
        assert_eq!(fund.share_value(b.shares, 8 * DAY), Ok(981_959_955), "the stayer: the same");
    }

    /// Replays the review's finding: a cover takes the whole fund (1e15 shares left on nothing); a $0.01 stake
    /// then minted 1e19 shares and a $100k stake failed with Overflow. Now the cover voids the old epoch.
    /// The review of the first fix: with the exposure above what the fund holds, the request was burned for
    /// nothing. It is now refused and kept; the fund never counts more than each market may still draw.
    #[test]
    fn a_request_worth_nothing_now_is_kept_not_burned() {
        let mut relaxed = params();
        relaxed.gate_bps = 10_000;
        let (fund, a, _) = stake(&FundBook::default(), &StakeBook::default(), 1_000_000, 0).unwrap();
        let (fund, a) = request_unstake(&fund, &a, a.shares, DAY, &relaxed).unwrap();
        assert_eq!(unstake(&fund, &a, 8 * DAY, &relaxed, 1_000_000).unwrap_err(), MathError::NothingToRedeem);
        assert_eq!(unstake(&fund, &a, 8 * DAY, &relaxed, 400_000).unwrap().amount, 600_000);
    }

    /// The second review: with revenue still vesting, netting the exposure off the vested value charged a leaver
    /// twice for the part of the cover the unvested revenue absorbs. Leaving before the cover now pays what
    /// leaving after it would.
    #[test]
    fn leaving_before_a_cover_pays_what_leaving_after_it_would() {
        let mut relaxed = params();
        relaxed.gate_bps = 10_000;
        let (fund, a, _) = stake(&FundBook::default(), &StakeBook::default(), 1_000_000_000, 0).unwrap();
        let (mut fund, _b, _) = stake(&fund, &StakeBook::default(), 1_000_000_000, 0).unwrap();
        let (f, a) = request_unstake(&fund, &a, a.shares, 0, &relaxed).unwrap();
        fund = f;
        fund.add_revenue(2_000_000_000, 8 * DAY, 7 * 86_400).unwrap();
        let before = unstake(&fund, &a, 8 * DAY, &relaxed, 300_000_000).unwrap().amount;
        let mut covered = fund;
        covered.pay_cover(300_000_000, 8 * DAY).unwrap();
        let after = unstake(&covered, &a, 8 * DAY, &relaxed, 0).unwrap().amount;
        // The first fix paid $850 before the cover: the $300 it will take comes out of the unvested $2,000.
        assert_eq!((before, after), (1_000_000_000, 1_000_000_000));
    }

    #[test]
    fn a_drained_fund_can_be_recapitalised() {
        let (mut fund, old, _) = stake(&FundBook::default(), &StakeBook::default(), 1_000_000_000_000, 0).unwrap();
        assert_eq!(fund.total_shares, 1_000_000_000_000_000);
        fund.pay_cover(1_000_000_000_000, DAY).unwrap();
        assert_eq!((fund.total_shares, fund.share_epoch), (0, 1));
        let (fund, cent, cent_shares) = stake(&fund, &StakeBook::default(), 10_000, DAY).unwrap();
        assert_eq!(cent_shares, 10_000_000, "the first staker's price again");
        let (fund, _, big_shares) = stake(&fund, &StakeBook::default(), 100_000_000_000, DAY).unwrap();
        assert_eq!(big_shares, 100_000_000_000_000, "1,000 shares an atom, as the first staker got");
        assert_eq!(old.in_epoch_of(&fund).shares, 0, "the drained epoch's shares are void");
        assert_eq!(cent.in_epoch_of(&fund), cent);
        assert_eq!(request_unstake(&fund, &old, 1, DAY, &params()).unwrap_err(), MathError::InsufficientShares);
    }

    /// The review of the first fix: voiding every share once the price fell below 1 % of the first staker's would
    /// have handed a refilled fund's value to whoever staked next. A reverse split keeps each holder's value.
    #[test]
    fn a_collapsed_share_price_splits_and_holders_keep_their_value() {
        let (mut fund, old, _) = stake(&FundBook::default(), &StakeBook::default(), 1_000_000_000, 0).unwrap();
        fund.pay_cover(985_000_000, DAY).unwrap(); // 1.5 % of the first price is left
        assert_eq!(fund.share_epoch, 0);
        let (fund, refill, _) = stake(&fund, &StakeBook::default(), 10_000_000_000_000, DAY).unwrap();
        let mut fund = fund;
        let before = fund.share_value(refill.shares, DAY).unwrap();
        fund.pay_cover(fund.balance * 34 / 100, DAY).unwrap();
        assert_eq!(fund.share_epoch, 1, "below 1 % of the first price: split");
        let refill_now = refill.in_epoch_of(&fund);
        let after = fund.share_value(refill_now.shares, DAY).unwrap();
        assert!(after >= before * 66 / 100 - 1_000 && after <= before * 66 / 100, "{before} -> {after}");
        assert!(fund.share_value(old.in_epoch_of(&fund).shares, DAY).unwrap() > 0);
        // A newcomer buys only what it pays for.
        let (fund, newcomer, _) = stake(&fund, &StakeBook::default(), 1_000_000_000_000, DAY).unwrap();
        let worth = fund.share_value(newcomer.shares, DAY).unwrap();
        assert!((999_999_000_000..=1_000_000_000_000).contains(&worth), "{worth}");
    }

    #[test]
    fn an_empty_sweep_does_not_restart_vesting() {
        let (mut fund, _, _) = stake(&FundBook::default(), &StakeBook::default(), 1_000_000, 0).unwrap();
        fund.add_revenue(700_000_000, 0, 7 * 86_400).unwrap();
        for hour in 1..=168 {
            fund.add_revenue(0, hour * 3_600, 7 * 86_400).unwrap();
        }
        assert_eq!(fund.unvested(7 * DAY), Ok(0), "the review saw $256.75 of $700 still unvested");
        assert_eq!(fund.value(7 * DAY), Ok(701_000_000));
    }

    proptest! {
        /// No staker gets back more than they put in plus the revenue that vested while they were in, and the
        /// fund always holds what it owes.
        #[test]
        fn staking_never_pays_out_more_than_it_holds(
            stakes in prop::collection::vec(1u64..10_000_000_000, 1..6),
            revenue in 0u64..1_000_000_000,
            cover in 0u64..1_000_000_000,
        ) {
            let mut fund = FundBook::default();
            let mut positions = Vec::new();
            for amount in &stakes {
                let (next, position, _) = stake(&fund, &StakeBook::default(), *amount, 0).unwrap();
                fund = next;
                positions.push(position);
            }
            fund.add_revenue(revenue, 1, 86_400).unwrap();
            let cover = cover.min(fund.balance);
            fund.pay_cover(cover, 2).unwrap();
            let mut paid = 0u64;
            let mut now = 3 * DAY;
            // A cover that wiped the fund voided every share: nothing to request.
            for position in positions.iter_mut() {
                let shares = position.in_epoch_of(&fund).shares;
                if shares == 0 {
                    continue;
                }
                let (next, requested) = request_unstake(&fund, position, shares, now, &params()).unwrap();
                fund = next;
                *position = requested;
            }
            for _ in 0..60 {
                now += 86_400;
                for position in positions.iter_mut().filter(|p| p.locked_shares > 0) {
                    if let Ok(done) = unstake(&fund, position, now + 7 * 86_400, &params(), 0) {
                        prop_assert!(done.amount <= done.fund.window_budget);
                        fund = done.fund;
                        *position = done.position;
                        paid += done.amount;
                    }
                }
            }
            let put_in: u64 = stakes.iter().sum();
            prop_assert!(paid <= put_in + revenue - cover);
            prop_assert_eq!(fund.balance, put_in + revenue - cover - paid);
            // A fifth of what is left per window: after 60 windows at most 0.8^60 of the fund is still queued.
            // (A cover that wiped the fund voided the requests: what is left vests to the next epoch instead.)
            prop_assert!(
                fund.share_epoch > 0 || fund.balance <= (put_in + revenue - cover) / 1_000 + 1_000,
                "requests drain over time"
            );
        }
    }
}
