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
