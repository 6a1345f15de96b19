use crate::error::{BackstopError, OrReject};
use crate::events::{BreakerTransition, EventHeader};
use crate::oracle;
use crate::state::{InsuranceFund, Market, MarketBook};
use anchor_lang::prelude::*;
use backstop_math::book;
use backstop_math::breaker::BreakerObservation;
use backstop_math::controls::RefreshedControls;
use backstop_math::dynamic;
use backstop_math::fund::coverage_ratio_bps;
use backstop_math::oracle::OracleView;

#[event_cpi]
#[derive(Accounts)]
pub struct RefreshMarket<'info> {
    /// The market to refresh (PDA `[MARKET, market_id u16 LE]`): absorbs the oracle print (funding, variance, circuit
    /// breaker) and stores the fund's fee share.
    #[account(mut, has_one = insurance_fund @ BackstopError::FundMismatch)]
    pub market: AccountLoader<'info, Market>,
    /// The market's bankruptcy book, read for the crash deficit at the target shock (adequacy).
    // checked at #book (`MarketBook::read_for`)
    pub market_book: AccountLoader<'info, MarketBook>,
    /// Read for its balance: its coverage and adequacy set its share of the fees.
    pub insurance_fund: AccountLoader<'info, InsuranceFund>,
    /// The market's configured oracle account (its `oracle`); read for the print the market absorbs.
    /// CHECK: must be the market's oracle. checked at #oracle
    pub oracle: UncheckedAccount<'info>,
}

/// Permissionless (the keeper sends it every round): shows the market its oracle, so funding accrues, the
/// volatility estimate moves and the circuit breaker trips (or clears) even when no trade comes by, and works out
/// the fund's share of fees that trades read until the next refresh (`backstop_math::controls`). A trade
/// that observes a tripping price is itself refused if it adds risk, which would roll its observation back; this
/// instruction always persists it.
pub fn handle_refresh_market(ctx: Context<RefreshMarket>) -> Result<()> {
    let clock = Clock::get()?;
    let now = clock.unix_timestamp;
    let mut market = ctx.accounts.market.load_mut()?;
    let view = oracle::read_market_oracle(&ctx.accounts.oracle, &market, now)?;
    let fund_balance = ctx.accounts.insurance_fund.load()?.book.balance;
    // #book the market's own book, whole.
    let book = MarketBook::read_for(&ctx.accounts.market_book, &ctx.accounts.market.key())?;
    let observation = apply_refresh(&mut market, &book, fund_balance, &view, now)?;
    drop((market, book));
    if observation.tripped_now || observation.cleared_now {
        crate::events::emit(
            &ctx.accounts.event_authority,
            &BreakerTransition::new(EventHeader::now(&clock), ctx.accounts.market.key(), &observation),
        )?;
    }
    Ok(())
}

/// Everything a refresh decides and stores, on the loaded accounts: the print absorbed, then the fund's share
/// worked out at it. The crash laboratory's core engine runs this same function.
pub fn apply_refresh(
    market: &mut Market,
    book: &MarketBook,
    fund_balance: u64,
    view: &OracleView,
    now: i64,
) -> Result<BreakerObservation> {
    let observation = market.absorb_oracle(view, now)?.breaker;
    refresh_controls(market, book, fund_balance, now)?;
    Ok(observation)
}

/// Works out and stores the fund's share of fees at the market's last price, reading only what its parameters let
/// move it: the coverage, and the crash deficit at the target shock against the fund (adequacy), where the share
/// can rise.
fn refresh_controls(market: &mut Market, book: &MarketBook, fund_balance: u64, now: i64) -> Result<()> {
    let params = &market.params;
    let coverage = if dynamic::fund_share_reads_coverage(params) {
        coverage_ratio_bps(fund_balance, market.books.open_interest_notional(market.last_oracle_price))
    } else {
        u64::MAX
    };
    let adequacy = if dynamic::fund_share_moves(params) {
        let shock = book::target_shock_bps(params, market.variance.rate).or_reject()?;
        MarketBook::adequacy_bps(market, fund_balance, book.stressed_deficit(market, shock)?)
    } else {
        u64::MAX
    };
    market.controls =
        RefreshedControls::worked_out(params, market.refresh_point(now), coverage, adequacy).or_reject()?;
    Ok(())
}
