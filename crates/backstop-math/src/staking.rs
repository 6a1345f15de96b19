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
        amount_for_shares(shares, i128::from(self.value(now)?), self.total_shares)
    }

    /// Swept revenue: joins the balance at once and vests into share value over `vesting_secs`. What was still
    /// vesting keeps vesting, now over the new period.
    pub fn add_revenue(&mut self, amount: u64, now: i64, vesting_secs: u32) -> MathResult<()> {
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
    /// staker has yet been credited with).
    pub fn pay_cover(&mut self, amount: u64, now: i64) -> MathResult<()> {
        let unvested = self.unvested(now)?;
        self.balance = sub_u64(self.balance, amount)?;
        let left = unvested.saturating_sub(amount);
        self.vesting_amount = left;
        self.vesting_start = now;
        if left == 0 {
            self.vesting_end = now;
        }
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
    position.queue_position = fund.queue_requested;
    fund.queue_requested = add_u64(fund.queue_requested, value)?;
    fund.locked_shares = add_u64(fund.locked_shares, shares)?;
    fund.locked_value = add_u64(fund.locked_value, value)?;
    Ok((fund, position))
}

/// Unlocks a pending request. Its place in the queue is given up.
pub fn cancel_unstake(fund: &FundBook, position: &StakeBook) -> MathResult<(FundBook, StakeBook)> {
    if position.locked_shares == 0 {
        return Err(MathError::NoUnstakeRequest);
    }
    let (mut fund, mut position) = (*fund, *position);
    fund.locked_shares = sub_u64(fund.locked_shares, position.locked_shares)?;
    fund.locked_value = sub_u64(fund.locked_value, position.request_value)?;
    position.locked_shares = 0;
    position.request_value = 0;
    position.request_time = 0;
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
/// now)` for the shares it burns (the difference stays with the remaining stakers). A request larger than a
/// window's budget is served in parts, keeping its place at the front of the queue.
pub fn unstake(fund: &FundBook, position: &StakeBook, now: i64, params: &FundParams) -> MathResult<Unstaked> {
    if position.locked_shares == 0 {
        return Err(MathError::NoUnstakeRequest);
    }
    if now < position.request_time.saturating_add(i64::from(params.cooldown_secs)) {
        return Err(MathError::CooldownNotElapsed);
    }
    let (mut fund, mut position) = (*fund, *position);
    fund.roll_gate(now, params)?;
    let locked = position.locked_shares;
    let owed = position.request_value.min(fund.share_value(locked, now)?);
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
        assert_eq!(unstake(&fund, &alice, 7 * DAY, &relaxed), Err(MathError::CooldownNotElapsed));
        fund.pay_cover(400_000, 2 * DAY).unwrap(); // a bankruptcy covered during the cooldown
        let done = unstake(&fund, &alice, 8 * DAY, &relaxed).unwrap();
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
                if let Ok(done) = unstake(&fund, staker, now, &params()) {
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
        assert_eq!(unstake(&fund, &alice, DAY * 30, &params()).unwrap_err(), MathError::NoUnstakeRequest);
        assert_eq!(
            request_unstake(&fund, &alice, alice.shares + 1, 0, &params()).unwrap_err(),
            MathError::InsufficientShares
        );
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
            for position in positions.iter_mut() {
                let (next, requested) = request_unstake(&fund, position, position.shares, now, &params()).unwrap();
                fund = next;
                *position = requested;
            }
            for _ in 0..60 {
                now += 86_400;
                for position in positions.iter_mut().filter(|p| p.locked_shares > 0) {
                    if let Ok(done) = unstake(&fund, position, now + 7 * 86_400, &params()) {
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
            prop_assert!(fund.balance <= (put_in + revenue - cover) / 1_000 + 1_000, "requests drain over time");
        }
    }
}
