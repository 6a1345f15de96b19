//! What the simulation reads from an engine to measure and audit a step: vault balances beside the books, the
//! fund's coverage.

use super::engine::Engine;
use super::reconcile;
use backstop_math::fund::coverage_ratio_bps;

/// The fund's coverage of open interest at `price`, net of the deficits already awaiting it, in bps (capped).
pub async fn coverage_before_keeper(engine: &mut impl Engine, price: i64) -> Result<u64, String> {
    let market = engine.market().await?;
    let balance = engine.fund().await?.book.balance;
    let net = balance - balance.min(market.books.bankrupt_deficit);
    Ok(coverage_ratio_bps(net, market.books.open_interest_notional(price)).min(1_000_000))
}

/// What the chain holds and the books say: token balances read from the vaults themselves.
pub async fn holdings(engine: &mut impl Engine) -> Result<reconcile::Holdings, String> {
    let market = engine.market().await?;
    let fund = engine.fund().await?;
    let (market_vault, fund_vault) = engine.vault_balances().await?;
    Ok(reconcile::Holdings {
        market_vault,
        market_liability: market.books.vault_liability().map_err(|e| format!("market books: {e}"))?,
        fund_vault,
        fund_balance: fund.book.balance,
        market_fund_cover: market.cumulative_fund_cover,
        fund_deficits_covered: fund.deficits_covered,
        layers: [
            market.cumulative_fund_cover,
            market.cumulative_lp_clawback,
            market.cumulative_socialized,
            market.cumulative_uncovered,
        ],
    })
}
