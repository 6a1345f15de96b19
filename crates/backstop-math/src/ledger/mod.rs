//! The market's books and every flow that moves value inside one market vault: deposits, withdrawals, trades and
//! LP flows. Each flow is a pure function from (trader, market) to their new state, so the program, the keeper
//! and the property tests run exactly the same decision.
//!
//! Conservation: the market vault must hold at least [`MarketLedger::vault_liability`], which counts every
//! trader's collateral (negative for a deficit awaiting cover), the LP pool and the accrued fees. Flows inside the
//! market only move value between these terms; only deposits and withdrawals change their sum, by the amount
//! transferred.

use crate::error::{MathError, MathResult};
use crate::margin::{margin_requirement, TraderBalances};
use crate::oracle::OraclePrice;
use crate::position::value_floor;
use crate::safe_math::{add_i64, add_u64, sub_u64, to_u64};

mod bankruptcy;
mod flows;
mod funding;
mod liquidation;
mod social;
mod views;

pub use bankruptcy::*;
pub use flows::*;
pub use funding::*;
pub use liquidation::*;
pub use social::{pending_social_loss, SOCIAL_INDEX_ONE};
pub use views::*;

crate::idl_struct! {
    /// The market-wide totals the math needs. precision of every amount: QUOTE_PRECISION; of open interest:
    /// BASE_PRECISION.
    #[repr(C)]
    #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, bytemuck::Pod, bytemuck::Zeroable)]
    pub struct MarketLedger {
        /// Σ size of long positions.
        pub open_interest_long: u64,
        /// Σ |size| of short positions.
        pub open_interest_short: u64,
        /// Σ traders' entry notional (signed): with the net size it gives traders' aggregate unrealized PnL.
        pub net_entry_notional: i64,
        /// Σ traders' collateral, signed.
        pub total_collateral: i64,
        /// Σ of negative collateral balances: losses the pool was credited but no trader has paid yet.
        pub pending_deficit: u64,
        /// Σ traders' realized profit the pool still owes.
        pub total_unsettled_pnl: u64,
        /// LP pool cash, including `pending_deficit` (credited, not yet received).
        pub pool_balance: u64,
        /// LP shares outstanding (a first deposit mints `VIRTUAL_SHARES`, 1 000, per quote atom).
        pub lp_shares: u64,
        /// Insurance fund's fee share, held in the market vault until swept.
        pub fund_fee_accrued: u64,
        /// Treasury's fee share, held in the market vault.
        pub treasury_fee_accrued: u64,
        /// Insurance fund's share of liquidation penalties, held in the market vault until swept.
        pub fund_penalty_accrued: u64,
        /// Σ of positive collateral balances: the base over which a socialized loss is spread. May exceed the exact
        /// sum by rounding dust from earlier socialized losses (dust stays in the vault, in the protocol's favour).
        pub total_positive_collateral: u64,
        /// Socialized-loss index: positive balances are worth `balance × index / index at last touch`.
        /// precision: SOCIAL_INDEX_ONE (1e18); 0 stands for SOCIAL_INDEX_ONE.
        pub social_loss_index: u64,
        /// Bumped when a loss takes every positive balance, or when the index falls below
        /// `SOCIAL_INDEX_REBASE_BELOW`, resetting the index.
        pub social_loss_epoch: u64,
        /// What the index had fallen to when the current epoch began: balances last touched in the previous epoch
        /// convert at it. 0 when that epoch ended in a wipe (they read as zero). precision: SOCIAL_INDEX_ONE.
        pub social_loss_carry_index: u64,
        /// The part of `pending_deficit` owed by flat accounts: bankruptcies `cover_bankruptcy` can take now. (An
        /// account with a position open can be below zero in cash, from funding or a reducing trade, while its
        /// unrealized profit keeps it solvent: no loss, and nothing to cover.)
        pub bankrupt_deficit: u64,
        /// What funding accruals truncated from the index so far, carried into the next (numerator units: rate ppb ×
        /// price × seconds), so frequent touches do not round a small rate away.
        pub funding_carry: i64,
        /// Cumulative funding per base unit paid by longs (received by shorts). precision: FUNDING_INDEX_PRECISION.
        pub cumulative_funding_index: i64,
        /// Unix seconds of the last funding accrual.
        pub last_funding_time: i64,
        /// The hourly rate of the last accrual, in ppb (positive: longs pay). For views.
        pub funding_rate_ppb: i64,
        /// Σ size × funding index at each account's last settlement, as an i128 in two words: with the index and the
        /// net size it gives the funding accounts owe the pool but have not settled.
        pub funding_basis_lo: u64,
        /// The basis's high word (`funding_basis_lo` is the low one).
        pub funding_basis_hi: u64,
    }
}

/// A trader and their market after a flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Books {
    pub trader: TraderBalances,
    pub market: MarketLedger,
}

impl MarketLedger {
    /// Long plus short open interest valued at `price`: what the insurance fund backs (coverage is the fund's
    /// balance over this). Each side is valued on its own (each fits in i64 by the parameters' bounds; their sum
    /// may not), and the total saturates rather than fails, so every reader sees the same figure: only a notional
    /// beyond u64 saturates, and coverage then reads 0, the side that asks the fund for more.
    /// precision: QUOTE_PRECISION.
    pub fn open_interest_notional(&self, price: i64) -> u64 {
        let side = |base: u64| {
            i64::try_from(base).ok().and_then(|base| crate::position::notional(base, price).ok()).unwrap_or(u64::MAX)
        };
        side(self.open_interest_long).saturating_add(side(self.open_interest_short))
    }

    /// Traders' net size (the pool holds the opposite). precision: BASE_PRECISION.
    pub fn net_base(&self) -> MathResult<i64> {
        let long = i64::try_from(self.open_interest_long).map_err(|_| MathError::Overflow)?;
        let short = i64::try_from(self.open_interest_short).map_err(|_| MathError::Overflow)?;
        long.checked_sub(short).ok_or(MathError::Overflow)
    }

    /// Pool value at `price`: cash, less what it owes traders (unsettled profit and their unrealized PnL),
    /// less the pending deficit unless `count_pending` (a receivable the waterfall may or may not pay).
    fn pool_value_at(&self, price: i64, count_pending: bool) -> MathResult<i128> {
        // Funding the accounts owe the pool (negative: the pool owes them) counts like their unrealized PnL.
        let traders_pnl = value_floor(self.net_base()?, price)?
            .checked_sub(i128::from(self.net_entry_notional))
            .and_then(|v| v.checked_sub(self.unsettled_funding().ok()?))
            .ok_or(MathError::Overflow)?;
        let pending = if count_pending { 0 } else { i128::from(self.pending_deficit) };
        i128::from(self.pool_balance)
            .checked_sub(i128::from(self.total_unsettled_pnl))
            .and_then(|v| v.checked_sub(traders_pnl))
            .and_then(|v| v.checked_sub(pending))
            .ok_or(MathError::Overflow)
    }

    /// Pool value a deposit is priced at: the high side of the band, so the depositor never buys cheap.
    pub fn pool_value_for_deposit(&self, price: &OraclePrice) -> MathResult<i128> {
        self.pool_value_at(self.band_edge(price, false)?, true)
    }

    /// Pool value a withdrawal is priced at: the low side of the band, pending deficit excluded.
    pub fn pool_value_for_withdrawal(&self, price: &OraclePrice) -> MathResult<i128> {
        self.pool_value_at(self.band_edge(price, true)?, false)
    }

    /// The edge of the oracle band at which the pool is worth least (`lowest`) or most. The pool holds the
    /// opposite of traders' net position, so its value moves against theirs and is monotone in the price: one
    /// evaluation instead of both edges and a comparison.
    fn band_edge(&self, price: &OraclePrice, lowest: bool) -> MathResult<i64> {
        // Traders net long: the pool is worth least at the high edge.
        if (self.net_base()? > 0) == lowest {
            price.high()
        } else {
            price.low()
        }
    }

    /// Pool cash that neither backs a pending deficit nor is owed to traders as unsettled profit.
    pub fn pool_free_cash(&self) -> u64 {
        self.pool_cash().saturating_sub(self.total_unsettled_pnl)
    }

    /// Whether the pool's conservative value covers initial margin on its net position.
    pub fn pool_meets_initial(&self, price: &OraclePrice, initial_margin_bps: u32) -> MathResult<bool> {
        let requirement = margin_requirement(self.net_base()?, price.price, initial_margin_bps)?;
        Ok(self.pool_value_for_withdrawal(price)? >= i128::from(requirement))
    }

    /// What the market vault owes out, which it must hold at least.
    pub fn vault_liability(&self) -> MathResult<u64> {
        let total = i128::from(self.total_collateral)
            .checked_add(i128::from(self.pool_balance))
            .and_then(|v| v.checked_add(i128::from(self.fund_fee_accrued)))
            .and_then(|v| v.checked_add(i128::from(self.treasury_fee_accrued)))
            .and_then(|v| v.checked_add(i128::from(self.fund_penalty_accrued)))
            .ok_or(MathError::Overflow)?;
        to_u64(total)
    }

    /// Moves a trader's collateral by `delta`, keeping the market's totals in step.
    fn move_collateral(&mut self, trader: &mut TraderBalances, delta: i64) -> MathResult<()> {
        if delta == 0 {
            return Ok(());
        }
        let (deficit_before, positive_before) = (deficit_of(trader.collateral), positive_of(trader.collateral));
        trader.collateral = add_i64(trader.collateral, delta)?;
        self.total_collateral = add_i64(self.total_collateral, delta)?;
        self.pending_deficit = add_u64(sub_u64(self.pending_deficit, deficit_before)?, deficit_of(trader.collateral))?;
        if trader.position.is_flat() {
            self.bankrupt_deficit =
                add_u64(sub_u64(self.bankrupt_deficit, deficit_before)?, deficit_of(trader.collateral))?;
        }
        // Saturating: rounding dust from socialized losses can leave the total above the exact sum, never below.
        self.total_positive_collateral =
            add_u64(self.total_positive_collateral.saturating_sub(positive_before), positive_of(trader.collateral))?;
        Ok(())
    }

    /// Realizes `pnl` against the pool: losses credit the pool at once; profit (and earlier unsettled profit)
    /// first nets against the trader's own deficit, then is paid from the pool's cash, first come first served;
    /// the rest stays owed as unsettled.
    ///
    /// Netting moves no cash: the pool's credit for the deficit and its debt to the same trader cancel. Without it
    /// a trader could sit at once on a deficit (which the waterfall would cover from the fund) and on a claim
    /// (which the pool would later pay in full).
    fn settle_pnl(&mut self, trader: &mut TraderBalances, pnl: i64) -> MathResult<()> {
        if pnl < 0 {
            self.move_collateral(trader, pnl)?;
            self.pool_balance = add_u64(self.pool_balance, pnl.unsigned_abs())?;
        }
        let profit = u64::try_from(pnl.max(0)).map_err(|_| MathError::Overflow)?;
        let owed = add_u64(trader.unsettled_pnl, profit)?;
        // Nothing owed (every touch of an account without a claim): nothing to net or pay.
        if owed == 0 {
            return Ok(());
        }
        let netted = owed.min(deficit_of(trader.collateral));
        let paid = add_u64(netted, (owed - netted).min(self.pool_cash()))?;
        self.total_unsettled_pnl = add_u64(sub_u64(self.total_unsettled_pnl, trader.unsettled_pnl)?, owed - paid)?;
        trader.unsettled_pnl = owed - paid;
        self.pool_balance = sub_u64(self.pool_balance, paid)?;
        self.move_collateral(trader, i64::try_from(paid).map_err(|_| MathError::Overflow)?)
    }

    /// Pool cash that does not back a pending deficit: what claims are paid from. Claims are creditors of the
    /// pool alike, so none reserves cash against another (that stranded cash while claims stayed unpaid).
    pub fn pool_cash(&self) -> u64 {
        self.pool_balance.saturating_sub(self.pending_deficit)
    }

    fn record_position_change(&mut self, before: &TraderBalances, after: &TraderBalances) -> MathResult<()> {
        let (old, new) = (before.position, after.position);
        // A deficit counts as a bankruptcy while its account is flat (the cash does not change with the position).
        let deficit = deficit_of(after.collateral);
        if old.is_flat() && !new.is_flat() {
            self.bankrupt_deficit = sub_u64(self.bankrupt_deficit, deficit)?;
        } else if !old.is_flat() && new.is_flat() {
            self.bankrupt_deficit = add_u64(self.bankrupt_deficit, deficit)?;
        }
        self.move_funding_basis(old.base, before.funding_index, new.base, after.funding_index)?;
        let long = |b: i64| u64::try_from(b.max(0)).unwrap_or(0);
        let short = |b: i64| b.min(0).unsigned_abs();
        self.open_interest_long = add_u64(sub_u64(self.open_interest_long, long(old.base))?, long(new.base))?;
        self.open_interest_short = add_u64(sub_u64(self.open_interest_short, short(old.base))?, short(new.base))?;
        self.net_entry_notional = add_i64(
            self.net_entry_notional.checked_sub(old.entry_notional).ok_or(MathError::Overflow)?,
            new.entry_notional,
        )?;
        Ok(())
    }
}

pub(crate) fn deficit_of(collateral: i64) -> u64 {
    if collateral < 0 {
        collateral.unsigned_abs()
    } else {
        0
    }
}

pub(crate) fn positive_of(collateral: i64) -> u64 {
    u64::try_from(collateral.max(0)).unwrap_or(0)
}

pub(crate) fn amount_as_i64(amount: u64) -> MathResult<i64> {
    if amount == 0 {
        return Err(MathError::InvalidAmount);
    }
    i64::try_from(amount).map_err(|_| MathError::InvalidAmount)
}

/// Brings an account up to date with its market before any flow: applies socialized losses since its last
/// touch, settles funding since then against the pool, then settles whatever unsettled profit the pool can now
/// pay. Run funding accrual ([`MarketLedger::accrue_funding`]) first, so the index is current.
pub fn touch(trader: &TraderBalances, market: &MarketLedger) -> MathResult<Books> {
    let (mut trader, mut market) = (*trader, *market);
    market.apply_social_loss(&mut trader)?;
    market.settle_funding(&mut trader)?;
    market.settle_pnl(&mut trader, 0)?;
    Ok(Books { trader, market })
}

/// A touch anyone may send (`touch_account`): the account's share of the losses socialized since its last touch,
/// applied (the market's totals already count it), so a dormant account stops weighing on its market's
/// bankruptcy book. Only that: funding and claims settle in the owner's own instructions. (A claim paid into
/// collateral by someone else's touch just before a cover widens the base that cover socializes over, moving loss
/// onto the claim's holder; a funding payment its payer cannot meet becomes a deficit that lowers the pool's value
/// before a cover or an LP exit: the review of this instruction, M-1 and L-1.) `None` when nothing would be
/// applied. Refused for an account awaiting its bankruptcy cover: the cover settles it.
pub fn touch_dormant(trader: &TraderBalances, market: &MarketLedger) -> MathResult<Option<Books>> {
    if trader.is_bankrupt() {
        return Err(MathError::AccountBankrupt);
    }
    let mut after = *trader;
    market.apply_social_loss(&mut after)?;
    Ok((after.collateral != trader.collateral).then_some(Books { trader: after, market: *market }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_interest_is_valued_side_by_side_and_saturates_only_beyond_u64() {
        let price = 2 * crate::constants::PRICE_PRECISION;
        let books = MarketLedger {
            open_interest_long: 3 * crate::constants::BASE_PRECISION_U64,
            open_interest_short: crate::constants::BASE_PRECISION_U64,
            ..Default::default()
        };
        assert_eq!(books.open_interest_notional(price), 8 * crate::constants::QUOTE_PRECISION.unsigned_abs());
        // Review: the two sides together pass i64 base atoms on a cheap asset while each fits and the notional is
        // small; summing the sizes first read coverage as 0 there.
        let cheap = MarketLedger { open_interest_long: i64::MAX as u64, open_interest_short: i64::MAX as u64, ..books };
        let notional = cheap.open_interest_notional(20);
        assert!(notional < u64::MAX / 1_000, "{notional}");
        let huge = MarketLedger { open_interest_long: i64::MAX as u64, ..books };
        assert_eq!(huge.open_interest_notional(i64::MAX), u64::MAX);
    }

    #[test]
    fn an_unsettled_claim_is_never_paid_from_cash_that_backs_a_pending_deficit() {
        // Found by the conservation property test: the pool holds 100, of which 80 is a credited loss nobody paid.
        let market = MarketLedger {
            pool_balance: 100,
            pending_deficit: 80,
            total_unsettled_pnl: 50,
            total_collateral: -80,
            ..Default::default()
        };
        let claimant = TraderBalances { unsettled_pnl: 50, ..Default::default() };
        let books = touch(&claimant, &market).unwrap();
        assert_eq!(books.trader.collateral, 20);
        assert_eq!(books.trader.unsettled_pnl, 30);
        assert_eq!(books.market.pool_balance, 80);
        assert_eq!(books.market.total_unsettled_pnl, 30);
    }

    proptest::proptest! {
        /// The one edge `band_edge` picks gives exactly the least (withdrawal) and most (deposit) of both edges.
        #[test]
        fn one_band_edge_is_the_extreme_of_both(
            long in 0u64..1_000_000_000_000_000,
            short in 0u64..1_000_000_000_000_000,
            entry in -1_000_000_000_000_000i64..1_000_000_000_000_000,
            price in 1i64..10_000_000_000_000,
            conf_bps in 0i64..2_000,
        ) {
            let market = MarketLedger {
                open_interest_long: long,
                open_interest_short: short,
                net_entry_notional: entry,
                pool_balance: 1_000_000_000_000,
                ..Default::default()
            };
            let price = OraclePrice { price, conf: price / 10_000 * conf_bps, publish_time: 0 };
            let (low, high) = (price.low().unwrap(), price.high().unwrap());
            let both = |pending| (market.pool_value_at(low, pending).unwrap(), market.pool_value_at(high, pending).unwrap());
            let (at_low, at_high) = both(false);
            proptest::prop_assert_eq!(market.pool_value_for_withdrawal(&price).unwrap(), at_low.min(at_high));
            let (at_low, at_high) = both(true);
            proptest::prop_assert_eq!(market.pool_value_for_deposit(&price).unwrap(), at_low.max(at_high));
        }
    }

    #[test]
    fn claims_are_paid_from_all_cash_first_come() {
        // Two claims of 50 on 60 of cash: the first is paid whole, the second gets the 10 left; nothing strands.
        let market = MarketLedger { pool_balance: 60, total_unsettled_pnl: 100, ..Default::default() };
        let claimant = TraderBalances { unsettled_pnl: 50, ..Default::default() };
        let first = touch(&claimant, &market).unwrap();
        assert_eq!((first.trader.collateral, first.trader.unsettled_pnl), (50, 0));
        let second = touch(&claimant, &first.market).unwrap();
        assert_eq!((second.trader.collateral, second.trader.unsettled_pnl), (10, 40));
        assert_eq!((second.market.pool_balance, second.market.total_unsettled_pnl), (0, 40));
    }

    #[test]
    fn a_claim_nets_against_the_claimants_own_deficit_before_any_cash_moves() {
        // The pool has no free cash at all (its 100 is the credit for this trader's own deficit of 100), yet the
        // trader's claim of 30 cancels 30 of that deficit: the credit and the debt were to the same party.
        let market = MarketLedger {
            pool_balance: 100,
            pending_deficit: 100,
            bankrupt_deficit: 100,
            total_unsettled_pnl: 30,
            total_collateral: -100,
            ..Default::default()
        };
        let trader = TraderBalances { collateral: -100, unsettled_pnl: 30, ..Default::default() };
        let books = touch(&trader, &market).unwrap();
        assert_eq!((books.trader.collateral, books.trader.unsettled_pnl), (-70, 0));
        assert_eq!((books.market.pending_deficit, books.market.bankrupt_deficit), (70, 70));
        assert_eq!((books.market.pool_balance, books.market.total_unsettled_pnl), (70, 0));
        assert_eq!(books.market.vault_liability(), market.vault_liability(), "no cash moved");
    }
}
