//! The laboratory's own audit. After every step it reads what the bank holds (the vaults' token balances) and
//! compares it with what the books say; recomputes the market's totals from every margin account brought up to
//! date (collateral, deficits, open interest, entry notional, claims); checks that the covers it observed add up to
//! the market's waterfall counters (so a cover it did not see shows); and checks every observed cover against the
//! waterfall's rules, from state read before it: the fund pays the lesser of the deficit and what it may pay, the
//! layers add to the deficit read from the account, the fund's balance and the traders' total move by exactly their
//! share. At the end the fund's own equation must close and no deficit may wait for cover. A run with any finding
//! fails loudly (the report lists them, `backstop-sim` exits non-zero). Each check is a pure function of what was
//! read, so a test can show it fail.

use backstop::state::{InsuranceFund, MarginAccount, Market};
use backstop_math::ledger::MarketLedger;
use backstop_math::margin::TraderBalances;
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
    /// What the markets the fund backs say it paid them (lifetime, summed), and what the fund says it paid.
    pub markets_fund_cover: u64,
    pub fund_deficits_covered: u64,
    /// This market's lifetime waterfall counters: fund, LP clawback, socialized, uncovered.
    pub layers: [u64; 4],
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
    /// What the fund could pay before the cover: its balance, within the market's draw cap left.
    pub fund_available_before: u64,
    /// How the market's total of traders' collateral moved (the account's deficit closed, less what was socialized).
    pub total_collateral_delta: i128,
}

/// What the audit reads around a cover, from the accounts as stored.
#[derive(Debug, Clone, Copy)]
pub struct CoverSnapshot {
    collateral: i64,
    layers: [u64; 4],
    fund_balance: u64,
    /// What the fund may pay now: its balance within the market's draw cap left.
    fund_available: u64,
    total_collateral: i64,
}

impl CoverSnapshot {
    pub fn read(account: &MarginAccount, market: &Market, fund: &InsuranceFund, now: i64) -> Self {
        let (cap, window) = (market.params.fund_draw_cap, market.params.fund_draw_window_secs);
        Self {
            collateral: account.balances.collateral,
            layers: [
                market.cumulative_fund_cover,
                market.cumulative_lp_clawback,
                market.cumulative_socialized,
                market.cumulative_uncovered,
            ],
            fund_balance: fund.book.balance,
            fund_available: fund.book.balance.min(market.fund_draw.remaining(now, cap, window)),
            total_collateral: market.books.total_collateral,
        }
    }

    /// The cover between `self` (before) and `after`. Counters only grow: a fall shows as a mismatch
    /// (`checked_sub` None is taken as u64::MAX).
    pub fn observe(&self, after: &Self, unix_ts: i64) -> CoverObservation {
        let delta = |i: usize| after.layers[i].checked_sub(self.layers[i]).unwrap_or(u64::MAX);
        CoverObservation {
            unix_ts,
            deficit: self.collateral.min(0).unsigned_abs(),
            fund: delta(0),
            lp_clawback: delta(1),
            socialized: delta(2),
            uncovered: delta(3),
            fund_balance_drop: self.fund_balance.checked_sub(after.fund_balance).unwrap_or(u64::MAX),
            collateral_after: after.collateral,
            fund_available_before: self.fund_available,
            total_collateral_delta: i128::from(after.total_collateral) - i128::from(self.total_collateral),
        }
    }
}

/// The audit's result: how much was checked, what was found, and the keeper's failures by reason.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Audit {
    pub steps_checked: usize,
    pub covers_checked: usize,
    pub findings: Vec<String>,
    /// Keeper actions that failed, by the error's name (a program refusal) or kind.
    pub keeper_failures: BTreeMap<String, usize>,
    /// The layers of every observed cover, summed: fund, LP clawback, socialized, uncovered.
    pub observed_layers: [u64; 4],
    /// Observed covers that socialized a loss (each may leave an atom of rounding per account).
    pub socializations: usize,
    /// The fund's own checks (its vault, its counter against the markets', its equation) are made by another
    /// market's audit of the same run: one fund, audited once.
    pub fund_audited_elsewhere: bool,
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
        if !self.fund_audited_elsewhere {
            self.fund_step(unix_ts, now, start);
        }
        // Every cover the market counted must be one this audit saw and checked.
        let counted: Vec<Option<u64>> = (0..4).map(|i| now.layers[i].checked_sub(start.layers[i])).collect();
        if counted.iter().zip(self.observed_layers).any(|(counted, seen)| *counted != Some(seen)) {
            self.find(format!(
                "t={unix_ts}: the market's waterfall counters moved by {counted:?}, the covers observed add to {:?}",
                self.observed_layers
            ));
        }
    }

    /// The fund's vault against its balance, and what the markets say it paid them against what it says it paid.
    fn fund_step(&mut self, unix_ts: i64, now: &Holdings, start: &Holdings) {
        if now.fund_vault != now.fund_balance {
            self.find(format!(
                "t={unix_ts}: the fund vault holds {} but the fund's balance is {}",
                now.fund_vault, now.fund_balance
            ));
        }
        let market_paid = now.markets_fund_cover.checked_sub(start.markets_fund_cover);
        let fund_paid = now.fund_deficits_covered.checked_sub(start.fund_deficits_covered);
        if market_paid != fund_paid || market_paid.is_none() {
            self.find(format!(
                "t={unix_ts}: the markets count {market_paid:?} paid by the fund, the fund {fund_paid:?}"
            ));
        }
    }

    /// The market's totals against every margin account brought up to date (`accounts`: all of them).
    pub fn books(&mut self, unix_ts: i64, accounts: &[TraderBalances], market: &MarketLedger) {
        for problem in super::books::books_disagree(accounts, market, self.socializations) {
            self.find(format!("t={unix_ts}: {problem}"));
        }
    }

    /// At the end: the fund's own equation closes, and no bankrupt account waits for cover after the keeper's last
    /// round. (An account below zero in cash with a position open is solvent on its unrealized profit: the pending
    /// deficit it carries is reported, not a finding.)
    pub fn close(&mut self, fund_equation_error: i128, bankrupt_deficit: u64) {
        if fund_equation_error != 0 && !self.fund_audited_elsewhere {
            self.find(format!(
                "the fund does not reconcile: start + stakes + revenue − covers − unstakes − end = {fund_equation_error}"
            ));
        }
        if bankrupt_deficit != 0 {
            self.find(format!("bankrupt accounts still await cover at the end: {bankrupt_deficit}"));
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
        let owed_by_fund = cover.deficit.min(cover.fund_available_before);
        if cover.fund != owed_by_fund {
            self.find(format!(
                "t={}: the fund paid {} where the rule says the lesser of the deficit and what it may pay, {owed_by_fund}",
                cover.unix_ts, cover.fund
            ));
        }
        let expected_collateral = i128::from(cover.deficit) - i128::from(cover.socialized);
        if cover.total_collateral_delta != expected_collateral {
            self.find(format!(
                "t={}: traders' collateral moved by {} for a deficit of {} with {} socialized",
                cover.unix_ts, cover.total_collateral_delta, cover.deficit, cover.socialized
            ));
        }
        let layers = [cover.fund, cover.lp_clawback, cover.socialized, cover.uncovered];
        for (sum, layer) in self.observed_layers.iter_mut().zip(layers) {
            *sum = sum.saturating_add(layer);
        }
        if cover.socialized > 0 {
            self.socializations += 1;
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
            markets_fund_cover: 40,
            fund_deficits_covered: 40,
            layers: [40, 0, 0, 0],
        }
    }

    /// A cover of 100: 60 from the fund (all it may pay), 30 from the pool, 10 socialized.
    fn good_cover() -> CoverObservation {
        CoverObservation {
            deficit: 100,
            fund: 60,
            lp_clawback: 30,
            socialized: 10,
            fund_balance_drop: 60,
            fund_available_before: 60,
            total_collateral_delta: 90,
            ..Default::default()
        }
    }

    #[test]
    fn balanced_books_pass() {
        let mut audit = Audit::default();
        audit.step(0, &balanced(), &balanced());
        audit.cover(&good_cover());
        let after =
            Holdings { markets_fund_cover: 100, fund_deficits_covered: 100, layers: [100, 30, 10, 0], ..balanced() };
        audit.step(1, &after, &balanced());
        audit.close(0, 0);
        assert!(audit.passed(), "{:?}", audit.findings);
        assert_eq!((audit.steps_checked, audit.covers_checked), (2, 1));
    }

    #[test]
    fn every_check_can_fail() {
        let start = balanced();
        let broken = [
            Holdings { market_vault: 999, ..start },
            Holdings { market_vault: 1_001, ..start },
            Holdings { fund_vault: 499, ..start },
            Holdings { markets_fund_cover: 50, ..start },
            Holdings { markets_fund_cover: 30, fund_deficits_covered: 30, ..start },
        ];
        for holdings in broken {
            let mut audit = Audit::default();
            audit.step(0, &holdings, &start);
            assert!(!audit.passed(), "{holdings:?}");
        }
        let good = good_cover();
        for cover in [
            CoverObservation { uncovered: 1, ..good },
            CoverObservation { fund_balance_drop: 59, ..good },
            CoverObservation { collateral_after: -1, ..good },
            // The fund held back, or paid beyond what it may.
            CoverObservation { fund: 50, lp_clawback: 40, fund_balance_drop: 50, ..good },
            CoverObservation { fund_available_before: 70, ..good },
            CoverObservation { total_collateral_delta: 100, ..good },
        ] {
            let mut audit = Audit::default();
            audit.cover(&cover);
            assert!(!audit.passed(), "{cover:?}");
        }
        // A cover the audit never saw: the market's counters moved, the observed sums did not.
        let mut audit = Audit::default();
        audit.step(0, &Holdings { layers: [40, 5, 0, 0], ..start }, &start);
        assert!(!audit.passed());
        // The end: a fund equation that does not close, a deficit left waiting.
        for (error, bankrupt) in [(1, 0), (0, 7)] {
            let mut audit = Audit::default();
            audit.close(error, bankrupt);
            assert!(!audit.passed());
        }
        // Beside the market that audits the fund, another market's audit finds its own faults and not the fund's.
        let mut beside = Audit { fund_audited_elsewhere: true, ..Audit::default() };
        beside.step(0, &Holdings { fund_vault: 499, markets_fund_cover: 50, ..start }, &start);
        beside.close(1, 0);
        assert!(beside.passed(), "{:?}", beside.findings);
        beside.step(0, &Holdings { market_vault: 999, ..start }, &start);
        beside.close(0, 7);
        assert_eq!(beside.findings.len(), 2, "{:?}", beside.findings);
    }
}
