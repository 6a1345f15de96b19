//! What the simulation reads from an engine to measure and audit a step: vault balances beside the books, the
//! fund's coverage.

use super::engine::Engine;
use super::reconcile;
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

/// What the chain holds and the books say for `market`: token balances read from the vaults themselves; what
/// the fund paid by the count of every market it backs.
pub async fn holdings(engine: &mut impl Engine, market: usize) -> Result<reconcile::Holdings, String> {
    let mut markets_fund_cover = 0u64;
    for m in 0..engine.markets() {
        markets_fund_cover = markets_fund_cover.saturating_add(engine.market(m).await?.cumulative_fund_cover);
    }
    let books = engine.market(market).await?;
    let fund = engine.fund().await?;
    let (market_vault, fund_vault) = engine.vault_balances(market).await?;
    Ok(reconcile::Holdings {
        market_vault,
        market_liability: books.books.vault_liability().map_err(|e| format!("market books: {e}"))?,
        fund_vault,
        fund_balance: fund.book.balance,
        markets_fund_cover,
        fund_deficits_covered: fund.deficits_covered,
        layers: [
            books.cumulative_fund_cover,
            books.cumulative_lp_clawback,
            books.cumulative_socialized,
            books.cumulative_uncovered,
        ],
    })
}
