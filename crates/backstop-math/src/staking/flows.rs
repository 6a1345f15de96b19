//! The staker's flows over the fund's books: stake, request, cancel and unstake. Each is a pure function from
//! (fund, position, what the fund holds besides quote) to their new state.

use super::{FundBook, FundParams, OtherAssets, StakeBook};
use crate::error::{MathError, MathResult};
use crate::lp::{amount_for_shares, shares_for_deposit};
use crate::safe_math::{add_u64, mul_div_floor, sub_u64, to_u64};

/// Stakes `amount` of quote: shares at what the fund is worth to a newcomer, rounded down. A position with a
/// pending request cannot stake.
pub fn stake(
    fund: &FundBook,
    position: &StakeBook,
    amount: u64,
    now: i64,
    others: &OtherAssets,
) -> MathResult<(FundBook, StakeBook, u64)> {
    let (mut fund, position, shares) = mint_shares(fund, position, amount, now, others)?;
    fund.balance = add_u64(fund.balance, amount)?;
    Ok((fund, position, shares))
}

/// Stakes a non-quote asset whose claim value is `value` ([`crate::assets::Holding::claim_value`]: the low
/// side of its band less haircut). Shares are minted as for quote; the tokens join the fund's holding of that
/// asset, which the caller keeps, and not its quote balance.
pub fn stake_asset(
    fund: &FundBook,
    position: &StakeBook,
    value: u64,
    now: i64,
    others: &OtherAssets,
) -> MathResult<(FundBook, StakeBook, u64)> {
    mint_shares(fund, position, value, now, others)
}

/// Shares for a stake worth `value`, against the fund at its vested quote value plus its other assets at their
/// buy-in value (the high side, no haircut): the stake is valued low and what it buys into high, so a newcomer
/// never buys a claim worth more than they brought.
fn mint_shares(
    fund: &FundBook,
    position: &StakeBook,
    value: u64,
    now: i64,
    others: &OtherAssets,
) -> MathResult<(FundBook, StakeBook, u64)> {
    if value == 0 {
        return Err(MathError::InvalidAmount);
    }
    others.require_complete()?;
    // A split a cover deferred during an oracle outage happens now, before new shares are priced.
    let mut fund = *fund;
    fund.reprice_shares(now, others)?;
    let mut position = position.in_epoch_of(&fund);
    if position.locked_shares > 0 {
        return Err(MathError::UnstakePending);
    }
    let worth = add_u64(fund.value(now)?, others.buy_in)?;
    let shares = shares_for_deposit(value, i128::from(worth), fund.total_shares)?;
    if shares == 0 {
        return Err(MathError::InvalidAmount);
    }
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
    others: &OtherAssets,
) -> MathResult<(FundBook, StakeBook)> {
    if shares == 0 {
        return Err(MathError::InvalidAmount);
    }
    others.require_complete()?;
    let position = &position.in_epoch_of(fund);
    if position.locked_shares > 0 {
        return Err(MathError::UnstakePending);
    }
    if shares > position.shares {
        return Err(MathError::InsufficientShares);
    }
    let (mut fund, mut position) = (*fund, *position);
    fund.roll_gate(now, params, others)?;
    let value = fund.share_value(shares, now, others)?;
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
    /// What the payout is worth at claim value: what the gate and the lesser-of rule count. precision:
    /// QUOTE_PRECISION.
    pub value: u64,
    /// Quote tokens paid out of the quote vault.
    pub quote: u64,
    /// The part of each other asset's holding paid in kind ([`InKind::of`]).
    pub in_kind: InKind,
    pub shares_burned: u64,
    /// True when the whole request was served; false when the gate served part of it (the rest stays queued at
    /// the front, for the next window).
    pub complete: bool,
}

/// How much of each non-quote holding an unstake pays: the same fraction of every asset, whatever its price (so
/// a manipulated print changes what is paid only in the redeemer's disfavour, never the mix), after setting aside
/// what the pending covers will sell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InKind {
    /// What the pending covers leave of the assets: `kept.0 / kept.1` of every holding.
    pub kept: (u64, u64),
    /// The payout's share of what is left: `paid.0 / paid.1`.
    pub paid: (u64, u64),
}

impl InKind {
    /// Tokens paid out of a holding of `holding` tokens, rounded down twice (against the redeemer).
    pub fn of(&self, holding: u64) -> MathResult<u64> {
        let kept = ratio_of(holding, self.kept)?;
        ratio_of(kept, self.paid)
    }
}

fn ratio_of(amount: u64, (num, den): (u64, u64)) -> MathResult<u64> {
    if den == 0 {
        return Ok(0);
    }
    to_u64(mul_div_floor(i128::from(amount), i128::from(num), i128::from(den))?)
}

/// Serves a request after the cooldown, as far as the redemption gate allows: pays `min(value at request, value
/// now)` for the shares it burns (the difference stays with the remaining stakers). Value now is net of
/// `exposure`: what the fund is about to pay for the bankruptcies already recognised in the markets it backs
/// and not yet covered; a staker who leaves between a liquidation and its cover bears their share of it.
/// A request larger than a window's budget is served in parts, keeping its place at the front of the queue.
///
/// The payout is in kind: the same fraction of the quote balance and of every other holding (each net of what
/// the pending covers take from it: quote first, then the other assets).
pub fn unstake(
    fund: &FundBook,
    position: &StakeBook,
    now: i64,
    params: &FundParams,
    exposure: u64,
    others: &OtherAssets,
) -> MathResult<Unstaked> {
    let position = &position.in_epoch_of(fund);
    if position.locked_shares == 0 {
        return Err(MathError::NoUnstakeRequest);
    }
    if now < position.unlocks_at {
        return Err(MathError::CooldownNotElapsed);
    }
    others.require_complete()?;
    let (mut fund, mut position) = (*fund, *position);
    fund.roll_gate(now, params, others)?;
    let locked = position.locked_shares;
    let worth = fund.worth_net_of(now, exposure, others)?;
    let owed = position.request_value.min(amount_for_shares(locked, i128::from(worth), fund.total_shares)?);
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
    let mut value =
        if complete { owed } else { to_u64(mul_div_floor(i128::from(owed), i128::from(burned), i128::from(locked))?)? };
    let consumed = if complete {
        position.request_value
    } else {
        to_u64(mul_div_floor(i128::from(position.request_value), i128::from(burned), i128::from(locked))?)?
    };
    // Covers take unvested revenue and then the quote balance first; the assets only for what quote cannot pay.
    let spent = fund.unvested(now)?.max(exposure);
    let quote_net = fund.balance.saturating_sub(spent);
    let others_net = worth.saturating_sub(quote_net);
    // The payout's share of each vault: its value's part of what the fund is worth, and never more than the
    // burned shares' part (the virtual offset can price a share a hair above it when shares are cheap; then the
    // payout is the shares' part, an atom less, and the gate counts that).
    let paid = if u128::from(value) * u128::from(fund.total_shares) <= u128::from(burned) * u128::from(worth) {
        (value, worth)
    } else {
        value = ratio_of(worth, (burned, fund.total_shares))?;
        (burned, fund.total_shares)
    };
    let quote = ratio_of(quote_net, paid)?;
    let kept = if others.claim > 0 { (others_net, others.claim) } else { (u64::from(spent <= fund.balance), 1) };
    let in_kind = InKind { kept, paid };
    fund.window_used = add_u64(fund.window_used, value)?;
    fund.balance = sub_u64(fund.balance, quote)?;
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
    Ok(Unstaked { fund, position, value, quote, in_kind, shares_burned: burned, complete })
}
