use crate::error::{BackstopError, OrReject};
use crate::events::{EventHeader, FundHealthReport};
use crate::state::{InsuranceFund, Market, MarketBook};
use anchor_lang::prelude::*;
use backstop_math::book;
use backstop_math::fund::coverage_ratio_bps;
use backstop_math::funding::funding_rate_ppb;
use backstop_math::staking::OtherAssets;

/// One market's share of the fund's risk.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct MarketDraw {
    /// The market.
    pub market: Pubkey,
    /// Long + short open interest at the market's last oracle price. precision: QUOTE_PRECISION.
    pub open_interest_notional: u64,
    /// What the market may still draw from the fund in its current window.
    pub draw_remaining: u64,
    /// The market's current hourly funding rate, ppb of notional (positive: longs pay), from its open interest.
    pub funding_rate_ppb: i64,
    /// Σ of the market's negative collateral balances (`MarketLedger::pending_deficit`): the bankruptcies awaiting
    /// `cover_bankruptcy`, and accounts still holding a position that are below zero in cash. The fund's next
    /// calls on it are at most this. precision: QUOTE_PRECISION.
    pub pending_deficit: u64,
    /// Lifetime bad debt nobody could absorb (the waterfall's last layer).
    pub uncovered: u64,
    /// What the market would leave unpaid at its last price if nothing more were liquidated: positions already
    /// underwater, deficits awaiting cover, and socialized loss not yet applied (from its bankruptcy book).
    /// precision: QUOTE_PRECISION.
    pub latent_deficit: u64,
    /// The gap the market's crash deficit is measured at now: its volatility over `stress_horizon_secs`, between
    /// the governance floor and cap. bps of price.
    pub target_shock_bps: u32,
    /// The bad debt a gap of the target shock would leave before any liquidation ran (the worse direction), read
    /// from the book: never less than the accounts' own sum. precision: QUOTE_PRECISION.
    pub stressed_deficit: u64,
    /// The same at each shock of `book::REPORT_SHOCKS_BPS` (10, 20, 30, 50 %).
    pub stressed_ladder: [u64; 4],
    /// Fund balance ÷ this market's stressed deficit, bps (`u64::MAX`: nothing at stake).
    pub adequacy_bps: u64,
}

/// A fund's health, as returned by `fund_health`: the fund's own figures, and its risk summed over the markets it
/// backs. The markets' own figures are in the `FundHealthReport` event (return data holds at most 1 KiB; sixteen
/// markets' figures do not fit in it).
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, PartialEq, Eq)]
pub struct FundHealth {
    /// The insurance fund.
    pub fund: Pubkey,
    /// What the fund owes out of its vault (`FundBook::balance`). precision: QUOTE_PRECISION.
    pub balance: u64,
    /// Σ of the markets' open interest notional at their last oracle prices. precision: QUOTE_PRECISION.
    pub backed_notional: u64,
    /// balance ÷ backed notional in bps; u64::MAX when nothing is backed.
    pub coverage_ratio_bps: u64,
    /// Lifetime fee share swept in from the markets. precision: QUOTE_PRECISION.
    pub inflow_fees: u64,
    /// Lifetime liquidation-penalty share swept in from the markets. precision: QUOTE_PRECISION.
    pub inflow_penalties: u64,
    /// Lifetime staked. precision: QUOTE_PRECISION.
    pub inflow_stakes: u64,
    /// Lifetime deficits the fund paid. precision: QUOTE_PRECISION.
    pub deficits_covered: u64,
    /// Stake shares outstanding.
    pub total_shares: u64,
    /// Value of 1e9 shares now (vested value only). precision: QUOTE_PRECISION.
    pub share_value_per_billion: u64,
    /// Revenue still vesting.
    pub unvested: u64,
    /// Value of shares locked in unstake requests, at request.
    pub pending_unstake_value: u64,
    /// What unstakes may still take out in the current gate window.
    pub gate_remaining: u64,
    /// Σ of the reported markets' `pending_deficit` (negative collateral balances awaiting cover or still with a
    /// position); their uncovered bad debt is in `uncovered`, apart. precision: QUOTE_PRECISION.
    pub pending_deficits: u64,
    /// Σ of the markets' lifetime uncovered bad debt. precision: QUOTE_PRECISION.
    pub uncovered: u64,
    /// Σ of the markets' latent deficits.
    pub latent_deficit: u64,
    /// Σ of the markets' stressed deficits, each at its own target shock: every backed market gapping at once in
    /// its worse direction (the assumption: in a crash, correlations go to one).
    pub stressed_deficit: u64,
    /// Σ of the markets' stressed deficits at each shock of `book::REPORT_SHOCKS_BPS`.
    pub stressed_ladder: [u64; 4],
    /// balance ÷ `stressed_deficit`, bps (`u64::MAX`: nothing at stake). Below 10 000 the fund could not pay
    /// the crash it is sized for, and the markets' fee share to it rises.
    pub adequacy_bps: u64,
    /// Markets reported: every one the fund backs.
    pub markets_reported: u16,
}

/// Pass every market the fund backs, each followed by its bankruptcy book, as remaining accounts (read-only).
#[event_cpi]
#[derive(Accounts)]
pub struct FundHealthView<'info> {
    /// The insurance fund reported on (PDA `[INSURANCE_FUND, fund_id u16 LE]`); read only.
    pub insurance_fund: AccountLoader<'info, InsuranceFund>,
}

pub fn handle_fund_health<'info>(ctx: Context<'info, FundHealthView<'info>>) -> Result<FundHealth> {
    let fund_key = ctx.accounts.insurance_fund.key();
    let fund = ctx.accounts.insurance_fund.load()?;
    require!(
        ctx.remaining_accounts.len() <= 2 * usize::from(crate::fund_markets::MAX_FUND_MARKETS),
        BackstopError::InvalidMarketList
    );
    let clock = Clock::get()?;
    let now = clock.unix_timestamp;
    let balance = fund.book.balance;
    let mut markets: Vec<MarketDraw> = Vec::with_capacity(ctx.remaining_accounts.len() / 2);
    let mut awaiting: Vec<u64> = Vec::with_capacity(ctx.remaining_accounts.len() / 2);
    // Every market the fund backs, each with its book: a partial list would overstate the fund's health to a
    // program reading it by CPI (the second review's L-2).
    require!(ctx.remaining_accounts.len() == 2 * usize::from(fund.markets_backed), BackstopError::InvalidMarketList);
    crate::fund_markets::visit_with_books(&fund_key, ctx.remaining_accounts, |key, market, book| {
        markets.push(market_draw(key, market, book, balance, now)?);
        awaiting.push(market.books.bankrupt_deficit);
        Ok(())
    })?;
    let sum = |field: fn(&MarketDraw) -> u64| markets.iter().fold(0u64, |total, m| total.saturating_add(field(m)));
    let backed_notional = sum(|m| m.open_interest_notional);
    // What the fund is about to pay: adequacy counts the fund as it will stand after.
    let awaiting_cover = awaiting.iter().fold(0u64, |total, a| total.saturating_add(*a));
    let stressed_deficit = sum(|m| m.stressed_deficit);
    let mut stressed_ladder = [0u64; 4];
    for (rung, total) in stressed_ladder.iter_mut().enumerate() {
        *total = markets.iter().fold(0u64, |t, m| t.saturating_add(m.stressed_ladder[rung]));
    }
    let health = FundHealth {
        fund: fund_key,
        balance,
        backed_notional,
        coverage_ratio_bps: coverage_ratio_bps(balance, backed_notional),
        inflow_fees: fund.inflow_fees,
        inflow_penalties: fund.inflow_penalties,
        inflow_stakes: fund.inflow_stakes,
        deficits_covered: fund.deficits_covered,
        total_shares: fund.book.total_shares,
        share_value_per_billion: fund.book.share_value(1_000_000_000, now, &OtherAssets::NONE).unwrap_or(0),
        unvested: fund.book.unvested(now).unwrap_or(0),
        pending_unstake_value: fund.book.locked_value,
        gate_remaining: fund.book.gate_remaining(),
        pending_deficits: sum(|m| m.pending_deficit),
        uncovered: sum(|m| m.uncovered),
        latent_deficit: sum(|m| m.latent_deficit),
        stressed_deficit,
        stressed_ladder,
        adequacy_bps: book::adequacy_bps(balance.saturating_sub(awaiting_cover), stressed_deficit),
        markets_reported: u16::try_from(markets.len()).unwrap_or(u16::MAX),
    };
    drop(fund);
    // Return data is what programs read through CPI; the event is what indexers and risk dashboards read.
    crate::events::emit(
        &ctx.accounts.event_authority,
        &FundHealthReport { header: EventHeader::now(&clock), health: health.clone(), markets },
    )?;
    Ok(health)
}

/// One market's figures for `fund_health` (also what the CLI shows per market, computed off-chain by this same
/// function from the accounts it reads).
pub fn market_draw(
    key: &Pubkey,
    market: &Market,
    book: &MarketBook,
    fund_balance: u64,
    now: i64,
) -> Result<MarketDraw> {
    let (cap, window) = (market.params.fund_draw_cap, market.params.fund_draw_window_secs);
    let target_shock_bps = book::target_shock_bps(&market.params, market.variance.rate).or_reject()?;
    let stressed_deficit = book.stressed_deficit(market, target_shock_bps)?;
    let mut stressed_ladder = [0u64; 4];
    for (rung, shock) in stressed_ladder.iter_mut().zip(book::REPORT_SHOCKS_BPS) {
        *rung = book.stressed_deficit(market, shock)?;
    }
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
        latent_deficit: book.latent_deficit(market),
        target_shock_bps,
        stressed_deficit,
        stressed_ladder,
        adequacy_bps: MarketBook::adequacy_bps(market, fund_balance, stressed_deficit),
    })
}
