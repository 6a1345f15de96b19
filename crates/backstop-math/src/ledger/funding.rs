//! Funding on the books: accrual of the market index, and each account's lazy settlement against the pool.

use super::MarketLedger;
use crate::constants::BASE_PRECISION;
use crate::error::{MathError, MathResult};
use crate::funding::{funding_owed, funding_rate_ppb, index_delta_carried, FUNDING_INDEX_PRECISION};
use crate::margin::TraderBalances;
use crate::params::MarketParams;
use crate::safe_math::div_floor;

/// One accrual, for its event.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FundingAccrual {
    /// Hourly rate applied, ppb (positive: longs pay).
    pub rate_ppb: i64,
    /// Long minus short open interest the rate was computed from. precision: BASE_PRECISION.
    pub skew: i64,
    /// Seconds accrued.
    pub elapsed: i64,
    pub index_after: i64,
}

impl MarketLedger {
    /// Advances the funding index to `now` at the rate the current open interest sets, valued at `price`.
    /// Robust to long gaps (linear in elapsed time) and to zero open interest (rate zero).
    pub fn accrue_funding(&mut self, now: i64, price: i64, params: &MarketParams) -> MathResult<FundingAccrual> {
        let rate = funding_rate_ppb(
            self.open_interest_long,
            self.open_interest_short,
            params.funding_coefficient_ppm,
            params.funding_cap_ppm,
            params.funding_depth,
        )?;
        let elapsed = if self.last_funding_time == 0 { 0 } else { now.saturating_sub(self.last_funding_time).max(0) };
        let (delta, carry) = index_delta_carried(rate, price, elapsed, self.funding_carry)?;
        self.funding_carry = carry;
        self.cumulative_funding_index = self.cumulative_funding_index.checked_add(delta).ok_or(MathError::Overflow)?;
        self.last_funding_time = self.last_funding_time.max(now);
        self.funding_rate_ppb = rate;
        Ok(FundingAccrual {
            rate_ppb: rate,
            skew: self.net_base()?,
            elapsed,
            index_after: self.cumulative_funding_index,
        })
    }

    /// Σ size × index at last settlement.
    fn funding_basis(&self) -> i128 {
        ((u128::from(self.funding_basis_hi) << 64) | u128::from(self.funding_basis_lo)).cast_signed()
    }

    fn set_funding_basis(&mut self, basis: i128) {
        // Two's complement in two words, by shifts (cheaper on SBF than going through a byte array).
        let bits = basis.cast_unsigned();
        self.funding_basis_lo = u64::try_from(bits & u128::from(u64::MAX)).unwrap_or_default();
        self.funding_basis_hi = u64::try_from(bits >> 64).unwrap_or_default();
    }

    /// Replaces one account's term in the funding basis.
    pub(crate) fn move_funding_basis(
        &mut self,
        old_base: i64,
        old_index: i64,
        new_base: i64,
        new_index: i64,
    ) -> MathResult<()> {
        if old_base == new_base && old_index == new_index {
            return Ok(());
        }
        let basis = self
            .funding_basis()
            .checked_sub(i128::from(old_base) * i128::from(old_index))
            .and_then(|v| v.checked_add(i128::from(new_base) * i128::from(new_index)))
            .ok_or(MathError::Overflow)?;
        self.set_funding_basis(basis);
        Ok(())
    }

    /// Funding all accounts owe the pool and have not settled (negative: the pool owes them), rounded down.
    /// precision: QUOTE_PRECISION.
    pub fn unsettled_funding(&self) -> MathResult<i128> {
        let owed = i128::from(self.net_base()?)
            .checked_mul(i128::from(self.cumulative_funding_index))
            .and_then(|v| v.checked_sub(self.funding_basis()))
            .ok_or(MathError::Overflow)?;
        div_floor(owed, i128::from(BASE_PRECISION) * i128::from(FUNDING_INDEX_PRECISION))
    }

    /// Settles `trader`'s funding since its last touch: a payment credits the pool like a realised loss, a
    /// receipt is paid by the pool like realised profit (its free cash first, the rest owed).
    pub(crate) fn settle_funding(&mut self, trader: &mut TraderBalances) -> MathResult<i64> {
        let index = self.cumulative_funding_index;
        let owed = funding_owed(trader.position.base, trader.funding_index, index)?;
        let base = trader.position.base;
        self.move_funding_basis(base, trader.funding_index, base, index)?;
        trader.funding_index = index;
        self.settle_pnl(trader, owed.checked_neg().ok_or(MathError::Overflow)?)?;
        Ok(owed)
    }
}

/// Funding `trader` would settle now (positive: it pays), for views and the keeper's health.
pub fn pending_funding(trader: &TraderBalances, market: &MarketLedger) -> MathResult<i64> {
    funding_owed(trader.position.base, trader.funding_index, market.cumulative_funding_index)
}
