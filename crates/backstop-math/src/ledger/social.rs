//! Socialized loss: the last step of the waterfall spreads what neither the fund nor the LP pool
//! could absorb over every positive balance in the market, pro rata, through an index, so no instruction touches
//! accounts one by one. Each account applies the index change lazily on its next touch.

use super::MarketLedger;
use crate::error::{MathError, MathResult};
use crate::margin::TraderBalances;
use crate::safe_math::{add_u64, mul_div_floor, sub_u64, to_i64};

/// The index's unit: a balance touched at index I and read at index J is worth `balance × J / I`.
pub const SOCIAL_INDEX_ONE: u64 = 1_000_000_000_000_000_000;

/// Below this the index keeps too few digits to scale balances by (at 1 it could not move at all: losses left
/// the books but touched no account), so a new epoch starts at [`SOCIAL_INDEX_ONE`] and balances of the ending
/// epoch convert at the index it reached. A balance two epochs back reads zero: it has shrunk by more than 10⁻⁹
/// (the whole of the epoch after its own), so at most a billionth of it is rounded away, against the holder.
pub const SOCIAL_INDEX_REBASE_BELOW: u64 = 1_000_000_000;

fn or_one(index: u64) -> u64 {
    if index == 0 {
        SOCIAL_INDEX_ONE
    } else {
        index
    }
}

impl MarketLedger {
    /// Spreads up to `amount` over all positive collateral, moving it into the pool; returns how much it could
    /// spread (all positive collateral at most).
    pub(crate) fn socialize(&mut self, amount: u64) -> MathResult<u64> {
        let base = self.total_positive_collateral;
        let taken = amount.min(base);
        if taken == 0 {
            return Ok(0);
        }
        let remaining = base - taken;
        // Rounded down: balances shrink by at least their exact share. 0 when every positive balance is gone.
        let scaled =
            mul_div_floor(i128::from(or_one(self.social_loss_index)), i128::from(remaining), i128::from(base))?;
        let scaled = u64::try_from(scaled).map_err(|_| MathError::Overflow)?;
        if remaining == 0 || scaled < SOCIAL_INDEX_REBASE_BELOW {
            // A new epoch: balances of the old one convert at `scaled` (zero after a wipe).
            self.social_loss_epoch = self.social_loss_epoch.checked_add(1).ok_or(MathError::Overflow)?;
            self.social_loss_carry_index = if remaining == 0 { 0 } else { scaled };
            self.social_loss_index = SOCIAL_INDEX_ONE;
        } else {
            self.social_loss_index = scaled;
        }
        self.total_positive_collateral = remaining;
        let taken_signed = to_i64(i128::from(taken))?;
        self.total_collateral = self.total_collateral.checked_sub(taken_signed).ok_or(MathError::Overflow)?;
        self.pool_balance = add_u64(self.pool_balance, taken)?;
        Ok(taken)
    }

    /// Applies the losses socialized since `trader` was last touched. The market totals already count them.
    pub(crate) fn apply_social_loss(&self, trader: &mut TraderBalances) -> MathResult<()> {
        let (index, epoch) = (or_one(self.social_loss_index), self.social_loss_epoch);
        // An account already at the market's index has nothing to apply (and skips a 128-bit division).
        let current = or_one(trader.social_loss_index) == index && trader.social_loss_epoch == epoch;
        if trader.collateral > 0 && !current {
            // The index the account's epoch reached (or has reached so far), and how it has scaled since.
            let (reached, then_now) = if trader.social_loss_epoch == epoch {
                (index, SOCIAL_INDEX_ONE)
            } else if trader.social_loss_epoch.checked_add(1) == Some(epoch) {
                (self.social_loss_carry_index, index)
            } else {
                (0, SOCIAL_INDEX_ONE)
            };
            let in_epoch = mul_div_floor(
                i128::from(trader.collateral),
                i128::from(reached),
                i128::from(or_one(trader.social_loss_index)),
            )?;
            // Within one epoch (nearly always) there is nothing more to scale: one division, not two.
            let scaled = if then_now == SOCIAL_INDEX_ONE {
                in_epoch
            } else {
                mul_div_floor(in_epoch, i128::from(then_now), i128::from(SOCIAL_INDEX_ONE))?
            };
            trader.collateral = to_i64(scaled)?;
        }
        trader.social_loss_index = index;
        trader.social_loss_epoch = epoch;
        Ok(())
    }
}

/// What the socialized loss took from an account since its last touch (for views; nothing is written).
pub fn pending_social_loss(trader: &TraderBalances, market: &MarketLedger) -> MathResult<u64> {
    let mut after = *trader;
    market.apply_social_loss(&mut after)?;
    sub_u64(super::positive_of(trader.collateral), super::positive_of(after.collateral))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::{touch, Books};

    fn holder(collateral: i64) -> TraderBalances {
        TraderBalances { collateral, social_loss_index: SOCIAL_INDEX_ONE, ..Default::default() }
    }

    #[test]
    fn a_loss_is_spread_pro_rata_and_applied_lazily() {
        let (a, b) = (holder(300), holder(700));
        let mut market =
            MarketLedger { total_collateral: 1_000, total_positive_collateral: 1_000, ..Default::default() };
        assert_eq!(market.socialize(100), Ok(100));
        assert_eq!((market.total_collateral, market.total_positive_collateral, market.pool_balance), (900, 900, 100));
        assert_eq!(touch(&a, &market).unwrap().trader.collateral, 270);
        assert_eq!(touch(&b, &market).unwrap().trader.collateral, 630);
        assert_eq!(pending_social_loss(&a, &market), Ok(30));
    }

    #[test]
    fn anyone_may_touch_a_dormant_account_once_and_never_a_bankrupt_one() {
        let a = holder(300);
        let mut market =
            MarketLedger { total_collateral: 1_000, total_positive_collateral: 1_000, ..Default::default() };
        assert_eq!(crate::ledger::touch_dormant(&a, &market), Ok(None), "nothing to apply yet");
        market.socialize(100).unwrap();
        let touched = crate::ledger::touch_dormant(&a, &market).unwrap().expect("its share applied");
        assert_eq!((touched.trader.collateral, touched.market), (270, market), "the totals already count it");
        // Only the loss: a claim stays a claim, unpaid (it would widen the next cover's base), funding unsettled.
        let claimant = TraderBalances { unsettled_pnl: 50, funding_index: 7, ..a };
        let pool = MarketLedger { pool_balance: 1_000, total_unsettled_pnl: 50, ..market };
        let touched_claimant = crate::ledger::touch_dormant(&claimant, &pool).unwrap().expect("applied");
        assert_eq!(touched_claimant.trader, TraderBalances { unsettled_pnl: 50, funding_index: 7, ..touched.trader });
        assert_eq!(touched_claimant.market, pool);
        assert_eq!(crate::ledger::touch_dormant(&touched.trader, &touched.market), Ok(None), "applied once");
        let bankrupt = TraderBalances { collateral: -5, ..holder(0) };
        assert_eq!(crate::ledger::touch_dormant(&bankrupt, &market), Err(MathError::AccountBankrupt));
    }

    #[test]
    fn a_loss_beyond_every_positive_balance_takes_them_all_and_starts_an_epoch() {
        let a = holder(10);
        let mut market = MarketLedger { total_collateral: 10, total_positive_collateral: 10, ..Default::default() };
        assert_eq!(market.socialize(25), Ok(10));
        assert_eq!(market.social_loss_epoch, 1);
        assert_eq!(touch(&a, &market).unwrap().trader.collateral, 0);
        // A balance deposited after the wipe is untouched by it.
        let fresh = TraderBalances {
            collateral: 5,
            social_loss_index: SOCIAL_INDEX_ONE,
            social_loss_epoch: 1,
            ..Default::default()
        };
        assert_eq!(touch(&fresh, &market).unwrap().trader.collateral, 5);
    }

    #[test]
    fn nothing_to_spread_over_means_nothing_is_taken() {
        let mut market = MarketLedger::default();
        assert_eq!(market.socialize(50), Ok(0));
        assert_eq!(market, MarketLedger::default());
    }

    /// Replays the review's finding: the index used to floor at 1, after which losses left the books but touched
    /// no account. Two near-total losses now start a new epoch instead, and a later loss reaches a later balance.
    #[test]
    fn near_total_losses_start_an_epoch_and_later_losses_still_reach_every_balance() {
        let whale = holder(1_000_000_000_000);
        let mut market = MarketLedger {
            total_collateral: 1_000_000_000_000,
            total_positive_collateral: 1_000_000_000_000,
            ..Default::default()
        };
        market.socialize(1_000_000_000_000 - 1_000).unwrap();
        assert_eq!((market.social_loss_index, market.social_loss_epoch), (1_000_000_000, 0), "at the floor");
        market.socialize(999).unwrap();
        assert_eq!((market.social_loss_index, market.social_loss_epoch), (SOCIAL_INDEX_ONE, 1));
        assert_eq!(market.social_loss_carry_index, 1_000_000, "the old epoch's balances convert at its index");
        assert_eq!(touch(&whale, &market).unwrap().trader.collateral, 1, "1e12 × 1e-12: one atom left");
        // Alice deposits $1,000 in the new epoch; $500,500 of losses over her and the atom: she bears it pro rata.
        let alice = touch(&holder(0), &market).unwrap().trader;
        let Books { trader: alice, mut market } = crate::ledger::deposit(&alice, &market, 1_000_000_000).unwrap();
        assert_eq!(market.socialize(500_500_000), Ok(500_500_000));
        assert_eq!(touch(&alice, &market).unwrap().trader.collateral, 499_500_000);
        assert_eq!(touch(&whale, &market).unwrap().trader.collateral, 0, "rounded against the holder");
    }

    #[test]
    fn successive_losses_compound() {
        let a = holder(1_000);
        let mut market =
            MarketLedger { total_collateral: 1_000, total_positive_collateral: 1_000, ..Default::default() };
        market.socialize(100).unwrap();
        market.socialize(90).unwrap();
        assert_eq!(touch(&a, &market).unwrap().trader.collateral, 810);
    }
}
