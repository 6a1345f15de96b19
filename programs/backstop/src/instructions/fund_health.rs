use crate::error::BackstopError;
use crate::events::{EventHeader, FundHealthReport};
use crate::state::{InsuranceFund, Market};
use anchor_lang::prelude::*;
use backstop_math::fund::coverage_ratio_bps;
use backstop_math::funding::funding_rate_ppb;

/// One market's share of the fund's risk.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct MarketDraw {
    pub market: Pubkey,
    /// Long + short open interest at the market's last oracle price. precision: QUOTE_PRECISION.
    pub open_interest_notional: u64,
    /// What the market may still draw from the fund in its current window.
    pub draw_remaining: u64,
    /// The market's current hourly funding rate, ppb of notional (positive: longs pay), from its open interest.
    pub funding_rate_ppb: i64,
    /// Deficits of liquidated accounts awaiting `cover_bankruptcy`: the fund's next calls on it.
    pub pending_deficit: u64,
    /// Lifetime bad debt nobody could absorb (the waterfall's last layer).
    pub uncovered: u64,
}

/// A fund's health, as returned by `fund_health` (and emitted as a `FundHealthReport`).
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq)]
pub struct FundHealth {
    pub fund: Pubkey,
    pub balance: u64,
    pub backed_notional: u64,
    /// balance ÷ backed notional in bps; u64::MAX when nothing is backed.
    pub coverage_ratio_bps: u64,
    pub inflow_fees: u64,
    pub inflow_penalties: u64,
    pub inflow_stakes: u64,
    pub deficits_covered: u64,
    pub total_shares: u64,
    /// Value of 1e9 shares now (vested value only). precision: QUOTE_PRECISION.
    pub share_value_per_billion: u64,
    /// Revenue still vesting.
    pub unvested: u64,
    /// Value of shares locked in unstake requests, at request.
    pub pending_unstake_value: u64,
    /// What unstakes may still take out in the current gate window.
    pub gate_remaining: u64,
    /// Σ of the markets' pending deficits and of their uncovered bad debt.
    pub pending_deficits: u64,
    pub uncovered: u64,
    pub markets: Vec<MarketDraw>,
}

/// Pass the markets the fund backs as remaining accounts (read-only).
#[event_cpi]
#[derive(Accounts)]
pub struct FundHealthView<'info> {
    pub insurance_fund: AccountLoader<'info, InsuranceFund>,
}

pub fn handle_fund_health<'info>(ctx: Context<'info, FundHealthView<'info>>) -> Result<FundHealth> {
    let fund_key = ctx.accounts.insurance_fund.key();
    let fund = ctx.accounts.insurance_fund.load()?;
    require!(
        ctx.remaining_accounts.len() <= usize::from(crate::fund_markets::MAX_FUND_MARKETS),
        BackstopError::InvalidMarketList
    );
    let clock = Clock::get()?;
    let now = clock.unix_timestamp;
    let mut markets: Vec<MarketDraw> = Vec::with_capacity(ctx.remaining_accounts.len());
    crate::fund_markets::visit(&fund_key, ctx.remaining_accounts, |key, market| {
        markets.push(market_draw(key, market, now)?);
        Ok(())
    })?;
    let backed_notional = markets.iter().fold(0u64, |sum, m| sum.saturating_add(m.open_interest_notional));
    let health = FundHealth {
        fund: fund_key,
        balance: fund.book.balance,
        backed_notional,
        coverage_ratio_bps: coverage_ratio_bps(fund.book.balance, backed_notional),
        inflow_fees: fund.inflow_fees,
        inflow_penalties: fund.inflow_penalties,
        inflow_stakes: fund.inflow_stakes,
        deficits_covered: fund.deficits_covered,
        total_shares: fund.book.total_shares,
        share_value_per_billion: fund.book.share_value(1_000_000_000, now).unwrap_or(0),
        unvested: fund.book.unvested(now).unwrap_or(0),
        pending_unstake_value: fund.book.locked_value,
        gate_remaining: fund.book.gate_remaining(),
        pending_deficits: markets.iter().fold(0u64, |sum, m| sum.saturating_add(m.pending_deficit)),
        uncovered: markets.iter().fold(0u64, |sum, m| sum.saturating_add(m.uncovered)),
        markets,
    };
    drop(fund);
    // Return data is what programs read through CPI; the event is what indexers and risk dashboards read.
    crate::events::emit(
        &ctx.accounts.event_authority,
        &FundHealthReport { header: EventHeader::now(&clock), health: health.clone() },
    )?;
    Ok(health)
}

fn market_draw(key: &Pubkey, market: &Market, now: i64) -> Result<MarketDraw> {
    let (cap, window) = (market.params.fund_draw_cap, market.params.fund_draw_window_secs);
    Ok(MarketDraw {
        market: *key,
        open_interest_notional: market.books.open_interest_notional(market.last_oracle_price),
        draw_remaining: market.fund_draw.remaining(now, cap, window),
        funding_rate_ppb: funding_rate_ppb(
            market.books.open_interest_long,
            market.books.open_interest_short,
            market.params.funding_coefficient_ppm,
            market.params.funding_cap_ppm,
            market.params.funding_depth,
        )
        .unwrap_or(0),
        pending_deficit: market.books.pending_deficit,
        uncovered: market.cumulative_uncovered,
    })
}
