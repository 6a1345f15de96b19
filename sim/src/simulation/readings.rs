//! What the simulation reads from the bank to measure and audit a step: vault balances beside the books, every
//! margin account, the fund's coverage.

use super::reconcile;
use crate::bank::InProcessChain;
use backstop_app::chain::Chain;
use backstop_math::fund::coverage_ratio_bps;
use backstop_tests::builders::pda;

/// Every margin account of the market (the traders' and the keeper's), as stored.
pub async fn all_margin_accounts(
    chain: &mut InProcessChain,
) -> Result<Vec<backstop_math::margin::TraderBalances>, String> {
    let market = chain.env.market;
    let keeper = pda::margin_account(&market, &chain.keeper());
    let mut addresses = chain.accounts.clone();
    addresses.push(keeper);
    let mut balances = Vec::with_capacity(addresses.len());
    for address in addresses {
        if let Some((data, owner)) = chain.account(address).await? {
            let account: backstop::state::MarginAccount =
                backstop_client::read::read(&data, &owner).map_err(|e| format!("{address}: {e}"))?;
            balances.push(account.balances);
        }
    }
    Ok(balances)
}

/// The fund's coverage of open interest at `price`, net of the deficits already awaiting it, in bps (capped).
pub async fn coverage_before_keeper(chain: &mut InProcessChain, price: i64) -> Result<u64, String> {
    let market = chain.market(chain.env.market).await?;
    let balance = chain.fund(chain.env.fund).await?.book.balance;
    let net = balance - balance.min(market.books.bankrupt_deficit);
    Ok(coverage_ratio_bps(net, market.books.open_interest_notional(price)).min(1_000_000))
}

/// What the bank holds and the books say: token balances read from the vaults themselves.
pub async fn holdings(chain: &mut InProcessChain) -> Result<reconcile::Holdings, String> {
    let market = chain.market(chain.env.market).await?;
    let fund = chain.fund(chain.env.fund).await?;
    let market_vault = chain.env.token_balance(market.vault).await;
    let fund_vault = chain.env.token_balance(fund.vault).await;
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
