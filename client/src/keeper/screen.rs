//! Which accounts a round must assess again. A keeper watching a large market should not redo every account's
//! health on every round: most accounts did not change, and the price moved by far less than their cushion.
//!
//! An account found healthy is screened with its cushion (quote atoms above maintenance) and what that cushion was
//! measured under. Its health can move only through:
//! - its own balances (a trade, a deposit, a liquidation): any change re-assesses it;
//! - the market's rules for it: the risk parameters and the socialized-loss index (a loss applied on touch): any
//!   change re-assesses every account;
//! - the price and its confidence, and the funding index: bounded, below.
//!
//! Everything else a market holds (open interest, pool cash, claims) leaves an account's maintenance margin where it
//! was: settling a claim moves value between collateral and the claim, never out of the pair. Between two readings
//! the equity at the margin price (price ∓ conf) falls by at most |base| × (|Δprice| + |Δconf|), the requirement
//! (|base| × price × maintenance ratio) rises by at most that ratio of |base| × |Δprice|, and funding takes at most
//! |base| × |Δindex|, each rounded up. (Every rounding of the program's own math is a floor of a value or a ceiling
//! of a cost, and ceilings are subadditive, so each term bounds the program's rounded change.) An account whose
//! cushion exceeds the sum is still healthy and is skipped; any other is assessed exactly as `round_plan` does.
//! The property test below holds the screen to that: it never skips an account the program would liquidate or cover.

use super::{assess, in_round_order, Verdict};
use anchor_lang::prelude::Pubkey;
use backstop::state::MarginAccount;
use backstop_math::constants::{BASE_PRECISION, BPS_DENOMINATOR, NOTIONAL_DIVISOR};
use backstop_math::funding::FUNDING_INDEX_PRECISION;
use backstop_math::ledger::MarketLedger;
use backstop_math::margin::TraderBalances;
use backstop_math::oracle::OraclePrice;
use backstop_math::params::MarketParams;
use std::collections::HashMap;

/// The keeper's memory of the accounts it found healthy on one market.
#[derive(Default)]
pub struct HealthScreen {
    /// What every screened cushion was measured under; any change empties the screen.
    rules: Option<Rules>,
    screened: HashMap<Pubkey, Screened>,
}

/// A round's plan (as [`super::round_plan`] orders it) and how many accounts were assessed to make it.
#[derive(Debug, PartialEq, Eq)]
pub struct ScreenedRound {
    pub plan: Vec<(usize, Verdict)>,
    pub assessed: usize,
}

/// The market's state an account's cushion depends on beyond the bounded moves.
#[derive(PartialEq, Eq)]
struct Rules {
    params: MarketParams,
    social_loss_index: u64,
    social_loss_epoch: u64,
    social_loss_carry_index: u64,
}

impl Rules {
    fn of(books: &MarketLedger, params: &MarketParams) -> Self {
        Self {
            params: *params,
            social_loss_index: books.social_loss_index,
            social_loss_epoch: books.social_loss_epoch,
            social_loss_carry_index: books.social_loss_carry_index,
        }
    }
}

/// One healthy account and what its cushion was measured at.
struct Screened {
    balances: TraderBalances,
    /// precision: QUOTE_PRECISION.
    cushion: u64,
    price: i64,
    conf: i64,
    /// The market's funding index accrued to the time of the reading.
    funding_index: i64,
}

impl Screened {
    /// The most the account's margin can have lost since it was screened, quote atoms (`None` beyond u128).
    fn erosion(&self, price: &OraclePrice, funding_index: i64, params: &MarketParams) -> Option<u128> {
        let base = u128::from(self.balances.position.base.unsigned_abs());
        if base == 0 {
            // Flat: nothing but its balances or the rules can move it.
            return Some(0);
        }
        let notional = NOTIONAL_DIVISOR.unsigned_abs();
        let moved = u128::from(price.price.abs_diff(self.price));
        let widened = u128::from(price.conf.abs_diff(self.conf));
        let value = base.checked_mul(moved.checked_add(widened)?)?.div_ceil(notional);
        let requirement = base
            .checked_mul(moved)?
            .div_ceil(notional)
            .checked_mul(u128::from(params.maintenance_margin_bps))?
            .div_ceil(u128::from(BPS_DENOMINATOR.unsigned_abs()));
        let per_unit = u128::from(BASE_PRECISION.unsigned_abs()) * u128::from(FUNDING_INDEX_PRECISION.unsigned_abs());
        let funding = base.checked_mul(u128::from(funding_index.abs_diff(self.funding_index)))?.div_ceil(per_unit);
        value.checked_add(requirement)?.checked_add(funding)
    }

    fn still_healthy(&self, balances: &TraderBalances, price: &OraclePrice, index: i64, params: &MarketParams) -> bool {
        self.balances == *balances
            && self.erosion(price, index, params).is_some_and(|erosion| erosion < u128::from(self.cushion))
    }
}

impl HealthScreen {
    pub fn new() -> Self {
        Self::default()
    }

    /// How many accounts are screened as healthy now.
    pub fn len(&self) -> usize {
        self.screened.len()
    }

    pub fn is_empty(&self) -> bool {
        self.screened.is_empty()
    }

    /// The round's plan over `accounts` (as scanned), the same as [`super::round_plan`] gives, assessing only the
    /// accounts the screen cannot vouch for. Accounts no longer scanned are forgotten.
    pub fn plan(
        &mut self,
        accounts: &[(Pubkey, &MarginAccount)],
        books: &MarketLedger,
        params: &MarketParams,
        price: &OraclePrice,
        now: i64,
    ) -> ScreenedRound {
        let rules = Rules::of(books, params);
        if self.rules.as_ref() != Some(&rules) {
            self.screened.clear();
            self.rules = Some(rules);
        }
        // The funding index the program would reach now, which every position's funding is measured against.
        let mut accrued = *books;
        let index = accrued.accrue_funding(now, price.price, params).ok().map(|_| accrued.cumulative_funding_index);
        let mut kept = HashMap::with_capacity(accounts.len());
        let mut work = Vec::new();
        let mut assessed = 0;
        for (position, (address, account)) in accounts.iter().enumerate() {
            let screened = self.screened.remove(address);
            if let (Some(screened), Some(index)) = (screened, index) {
                if screened.still_healthy(&account.balances, price, index, params) {
                    kept.insert(*address, screened);
                    continue;
                }
            }
            assessed += 1;
            let (verdict, margin) = assess(account, books, params, price, now);
            match (verdict, margin, index) {
                (Verdict::Healthy, Some(cushion), Some(funding_index)) => {
                    let balances = account.balances;
                    let (price, conf) = (price.price, price.conf);
                    kept.insert(*address, Screened { balances, cushion, price, conf, funding_index });
                }
                (Verdict::Healthy, ..) => {}
                (verdict, depth, _) => work.push((position, verdict, depth.unwrap_or(u64::MAX))),
            }
        }
        self.screened = kept;
        ScreenedRound { plan: in_round_order(work), assessed }
    }
}

#[cfg(test)]
mod tests;
