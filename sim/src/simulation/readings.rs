//! What the simulation reads from an engine to measure and audit a step: vault balances beside the books, the
//! fund's coverage.

use super::engine::Engine;
use super::reconcile;
use backstop::state::Market;
use backstop_math::fund::coverage_ratio_bps;

/// The fund's coverage of open interest across every market it backs (each at its price in `prices`,
/// PRICE_PRECISION), net of the deficits already awaiting it, in bps (capped).
pub async fn coverage_before_keeper(engine: &mut impl Engine, prices: &[i64]) -> Result<u64, String> {
    let balance = engine.fund().await?.book.balance;
    let (mut awaiting, mut notional) = (0u64, 0u64);
    for (m, price) in prices.iter().enumerate() {
        let market = engine.market(m).await?;
        awaiting = awaiting.saturating_add(market.books.bankrupt_deficit);
        notional = notional.saturating_add(market.books.open_interest_notional(*price));
    }
    let net = balance - balance.min(awaiting);
    Ok(coverage_ratio_bps(net, notional).min(1_000_000))
}

/// What the chain holds and the books say, for every market: token balances read from the vaults themselves; what
/// the fund paid by the count of every market it backs. Each market and the fund read once; the markets as read
/// are returned beside.
pub async fn holdings(engine: &mut impl Engine) -> Result<(Vec<reconcile::Holdings>, Vec<Market>), String> {
    let mut markets = Vec::with_capacity(engine.markets());
    for m in 0..engine.markets() {
        markets.push(engine.market(m).await?);
    }
    let fund = engine.fund().await?;
    let markets_fund_cover = markets.iter().fold(0u64, |sum, market| sum.saturating_add(market.cumulative_fund_cover));
    let mut holdings = Vec::with_capacity(markets.len());
    for (m, market) in markets.iter().enumerate() {
        let (market_vault, fund_vault) = engine.vault_balances(m).await?;
        holdings.push(reconcile::Holdings {
            market_vault,
            market_liability: market.books.vault_liability().map_err(|e| format!("market books: {e}"))?,
            fund_vault,
            fund_balance: fund.book.balance,
            markets_fund_cover,
            fund_deficits_covered: fund.deficits_covered,
            layers: [
                market.cumulative_fund_cover,
                market.cumulative_lp_clawback,
                market.cumulative_socialized,
                market.cumulative_uncovered,
            ],
        });
    }
    Ok((holdings, markets))
}

/// Market `m`'s stressed deficit at its target shock now and the fund's adequacy against it (bps): the figures
/// `fund_health` reports for it, by the program's own function.
pub async fn crash_risk(
    engine: &mut impl Engine,
    m: usize,
    market: &Market,
    fund_balance: u64,
) -> Result<(u64, u64), String> {
    let book = engine.market_book(m).await?;
    let draw = backstop::instructions::market_draw(&Default::default(), market, &book, fund_balance, engine.now())
        .map_err(|e| e.to_string())?;
    Ok((draw.stressed_deficit, draw.adequacy_bps))
}

/// What market `m`'s positions would leave unpaid had its series' lowest price (`low`, PRICE_PRECISION, for the
/// longs) and highest (`high`, for the shorts) come at once, read from its bankruptcy book now.
pub async fn predicted_deficit(
    engine: &mut impl Engine,
    m: usize,
    market: &Market,
    low: i64,
    high: i64,
) -> Result<u64, String> {
    let book = engine.market_book(m).await?;
    let index = market.books.cumulative_funding_index;
    Ok(book.book.deficit_at_extremes(low, high, index, market.cumulative_socialized))
}
