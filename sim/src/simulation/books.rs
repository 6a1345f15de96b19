//! The market's books against its accounts: every total a market keeps, recomputed from every margin account
//! brought up to date. The audit runs it at every step.

use backstop_math::ledger::{self, MarketLedger};
use backstop_math::margin::TraderBalances;

/// What the market's totals get wrong against its accounts, each brought up to date (social losses apply lazily,
/// flooring each account: the total may exceed the sum by an atom per account per socialization).
pub fn books_disagree(accounts: &[TraderBalances], m: &MarketLedger, socializations: usize) -> Vec<String> {
    let mut problems = Vec::new();
    let current: Vec<i128> = accounts
        .iter()
        .map(|t| {
            let pending = ledger::pending_social_loss(t, m).unwrap_or(u64::MAX);
            i128::from(t.collateral) - i128::from(pending)
        })
        .collect();
    let collateral: i128 = current.iter().sum();
    let dust = i128::try_from(socializations.saturating_mul(accounts.len())).unwrap_or(i128::MAX);
    let total = i128::from(m.total_collateral);
    if total < collateral || total - collateral > dust {
        problems.push(format!("traders' collateral sums to {collateral}, the market's total is {total}"));
    }
    let deficit: u64 = accounts.iter().map(|t| t.collateral.min(0).unsigned_abs()).sum();
    if m.pending_deficit != deficit {
        problems.push(format!("deficits sum to {deficit}, the market's pending deficit is {}", m.pending_deficit));
    }
    let bankrupt: u64 =
        accounts.iter().filter(|t| t.position.is_flat()).map(|t| t.collateral.min(0).unsigned_abs()).sum();
    if m.bankrupt_deficit != bankrupt {
        problems.push(format!("bankrupt accounts owe {bankrupt}, the market says {}", m.bankrupt_deficit));
    }
    let long: u64 = accounts.iter().map(|t| t.position.base.max(0).unsigned_abs()).sum();
    let short: u64 = accounts.iter().map(|t| t.position.base.min(0).unsigned_abs()).sum();
    if (m.open_interest_long, m.open_interest_short) != (long, short) {
        problems.push(format!(
            "positions sum to {long} long and {short} short, the market's open interest is {} and {}",
            m.open_interest_long, m.open_interest_short
        ));
    }
    let entry: i128 = accounts.iter().map(|t| i128::from(t.position.entry_notional)).sum();
    if i128::from(m.net_entry_notional) != entry {
        problems.push(format!("entry notionals sum to {entry}, the market's is {}", m.net_entry_notional));
    }
    let claims: u128 = accounts.iter().map(|t| u128::from(t.unsettled_pnl)).sum();
    if u128::from(m.total_unsettled_pnl) != claims {
        problems.push(format!("claims sum to {claims}, the market's total is {}", m.total_unsettled_pnl));
    }
    if accounts.iter().any(|t| t.collateral < 0 && t.unsettled_pnl > 0) {
        problems.push("an account holds a claim on the pool beside a deficit".to_string());
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn books_that_disagree_with_their_accounts_are_found() {
        let long = TraderBalances {
            collateral: 500,
            position: backstop_math::position::Position { base: 3, entry_notional: 300 },
            ..Default::default()
        };
        let bankrupt = TraderBalances { collateral: -20, ..Default::default() };
        let market = MarketLedger {
            total_collateral: 480,
            pending_deficit: 20,
            bankrupt_deficit: 20,
            open_interest_long: 3,
            net_entry_notional: 300,
            ..Default::default()
        };
        assert_eq!(books_disagree(&[long, bankrupt], &market, 0), Vec::<String>::new());
        let wrong = [
            MarketLedger { total_collateral: 479, ..market },
            MarketLedger { pending_deficit: 0, ..market },
            MarketLedger { bankrupt_deficit: 0, ..market },
            MarketLedger { open_interest_short: 1, ..market },
            MarketLedger { net_entry_notional: 301, ..market },
            MarketLedger { total_unsettled_pnl: 1, ..market },
        ];
        for market in wrong {
            assert!(!books_disagree(&[long, bankrupt], &market, 0).is_empty(), "{market:?}");
        }
    }
}
