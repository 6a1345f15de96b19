//! The staker's flows over the fund's books: stake, request, cancel and unstake. Each is a pure function from
//! (fund, position) to their new state.

use super::{FundBook, FundParams, StakeBook};
use crate::error::{MathError, MathResult};
use crate::lp::shares_for_deposit;
use crate::safe_math::{add_u64, mul_div_floor, sub_u64, to_u64};

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
