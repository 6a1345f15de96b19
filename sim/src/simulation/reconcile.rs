//! The laboratory's own audit. After every step it reads what the bank holds (the vaults' token balances) and
//! compares it with what the books say, compares the market's counters with the fund's, and checks every cover's
//! waterfall against the deficit it covered, read from the bankrupt account itself before the cover. A run with any
//! finding fails loudly (the report says what, `backstop-sim` exits non-zero): a figure in a report is never one the
//! books do not back. Each check is a pure function of what was read, so a test can show it fail.

use std::collections::BTreeMap;

/// What the bank holds and the books say at one step.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Holdings {
    /// Token balance of the market's vault, and what the market's books owe from it.
    pub market_vault: u64,
    pub market_liability: u64,
    /// Token balance of the fund's vault, and the fund's own balance.
    pub fund_vault: u64,
    pub fund_balance: u64,
    /// What the market says the fund paid (lifetime), and what the fund says it paid.
    pub market_fund_cover: u64,
    pub fund_deficits_covered: u64,
}

/// One `cover_bankruptcy`, observed around the instruction: the account's deficit before, each layer's share
/// (from the market's lifetime counters), the fund's balance change and the account after.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct CoverObservation {
    pub unix_ts: i64,
    /// The bankrupt account's negative collateral before the cover, as a positive amount.
    pub deficit: u64,
    pub fund: u64,
    pub lp_clawback: u64,
    pub socialized: u64,
    pub uncovered: u64,
    /// How much the fund's balance fell.
    pub fund_balance_drop: u64,
    /// The account's collateral after the cover (0 when it is closed out).
    pub collateral_after: i64,
}

/// The audit's result: how much was checked, what was found, and the keeper's failures by reason.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Audit {
    pub steps_checked: usize,
    pub covers_checked: usize,
    pub findings: Vec<String>,
    /// Keeper actions that failed, by the error's name (a program refusal) or kind.
    pub keeper_failures: BTreeMap<String, usize>,
}

impl Audit {
    /// Whether the run reconciled: no finding at all.
    pub fn passed(&self) -> bool {
        self.findings.is_empty()
    }

    /// Vaults against books, market counters against the fund's, both since `start`. The simulation sends no
    /// tokens to a vault outside the program, so a vault must hold exactly what its books owe.
    pub fn step(&mut self, unix_ts: i64, now: &Holdings, start: &Holdings) {
        self.steps_checked += 1;
        if now.market_vault != now.market_liability {
            self.find(format!(
                "t={unix_ts}: the market vault holds {} but the books owe {}",
                now.market_vault, now.market_liability
            ));
        }
        if now.fund_vault != now.fund_balance {
            self.find(format!(
                "t={unix_ts}: the fund vault holds {} but the fund's balance is {}",
                now.fund_vault, now.fund_balance
            ));
        }
        let market_paid = now.market_fund_cover.checked_sub(start.market_fund_cover);
        let fund_paid = now.fund_deficits_covered.checked_sub(start.fund_deficits_covered);
        if market_paid != fund_paid || market_paid.is_none() {
            self.find(format!(
                "t={unix_ts}: the market counts {market_paid:?} paid by the fund, the fund {fund_paid:?}"
            ));
        }
    }

    /// The waterfall of one cover: fund + LP clawback + socialized + uncovered must be the deficit, the fund's
    /// balance must fall by exactly its layer, and the account must be left at zero.
    pub fn cover(&mut self, cover: &CoverObservation) {
        self.covers_checked += 1;
        let layers = u128::from(cover.fund)
            + u128::from(cover.lp_clawback)
            + u128::from(cover.socialized)
            + u128::from(cover.uncovered);
        if layers != u128::from(cover.deficit) {
            self.find(format!(
                "t={}: a cover's layers add to {layers} for a deficit of {} ({cover:?})",
                cover.unix_ts, cover.deficit
            ));
        }
        if cover.fund_balance_drop != cover.fund {
            self.find(format!(
                "t={}: the fund's balance fell by {} for a fund layer of {}",
                cover.unix_ts, cover.fund_balance_drop, cover.fund
            ));
        }
        if cover.collateral_after != 0 {
            self.find(format!("t={}: a covered account was left at {}", cover.unix_ts, cover.collateral_after));
        }
    }

    pub fn keeper_failure(&mut self, reason: &str) {
        *self.keeper_failures.entry(reason.to_string()).or_default() += 1;
    }

    pub fn find(&mut self, finding: String) {
        self.findings.push(finding);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn balanced() -> Holdings {
        Holdings {
            market_vault: 1_000,
            market_liability: 1_000,
            fund_vault: 500,
            fund_balance: 500,
            market_fund_cover: 40,
            fund_deficits_covered: 40,
        }
    }

    #[test]
    fn balanced_books_pass() {
        let mut audit = Audit::default();
        audit.step(0, &balanced(), &balanced());
        let cover = CoverObservation {
            deficit: 100,
            fund: 60,
            lp_clawback: 30,
            socialized: 10,
            fund_balance_drop: 60,
            ..Default::default()
        };
        audit.cover(&cover);
        assert!(audit.passed(), "{:?}", audit.findings);
        assert_eq!((audit.steps_checked, audit.covers_checked), (1, 1));
    }

    #[test]
    fn every_check_can_fail() {
        let start = balanced();
        let broken = [
            Holdings { market_vault: 999, ..start },
            Holdings { market_vault: 1_001, ..start },
            Holdings { fund_vault: 499, ..start },
            Holdings { market_fund_cover: 50, ..start },
            Holdings { market_fund_cover: 30, fund_deficits_covered: 30, ..start },
        ];
        for holdings in broken {
            let mut audit = Audit::default();
            audit.step(0, &holdings, &start);
            assert!(!audit.passed(), "{holdings:?}");
        }
        let good = CoverObservation {
            deficit: 100,
            fund: 60,
            lp_clawback: 30,
            socialized: 10,
            fund_balance_drop: 60,
            ..Default::default()
        };
        for cover in [
            CoverObservation { uncovered: 1, ..good },
            CoverObservation { fund_balance_drop: 59, ..good },
            CoverObservation { collateral_after: -1, ..good },
        ] {
            let mut audit = Audit::default();
            audit.cover(&cover);
            assert!(!audit.passed(), "{cover:?}");
        }
    }
}
