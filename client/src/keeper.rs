//! The keeper's decision over the program's own math, and the accounts of the keeper instructions.

use crate::{build, pda};
use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use anchor_spl::token::spl_token;
use backstop::state::MarginAccount;
use backstop_math::ledger::{self, MarketLedger};
use backstop_math::oracle::OraclePrice;
use backstop_math::params::MarketParams;

/// The accounts of the keeper instructions on one market.
#[derive(Clone, Copy, Debug)]
pub struct KeeperAccounts {
    pub market: Pubkey,
    pub insurance_fund: Pubkey,
    pub fund_vault: Pubkey,
    pub vault: Pubkey,
    /// The market's bankruptcy book.
    pub book: Pubkey,
    pub mint: Pubkey,
    pub oracle: Pubkey,
}

impl KeeperAccounts {
    /// Shows the market its oracle and refreshes the fund's share of fees its trades read (the keeper's first
    /// action each round).
    pub fn refresh_market(&self) -> Instruction {
        crate::governance::refresh_market(self.market, self.oracle, self.insurance_fund)
    }

    /// `keeper` liquidates `liquidatee`'s margin account, paid into the keeper's own.
    pub fn liquidate(&self, keeper: Pubkey, liquidatee_owner: Pubkey) -> Instruction {
        self.liquidate_accounts(
            keeper,
            pda::margin_account(&self.market, &liquidatee_owner),
            pda::margin_account(&self.market, &keeper),
        )
    }

    /// As [`KeeperAccounts::liquidate`], with the two margin accounts named outright.
    pub fn liquidate_accounts(&self, keeper: Pubkey, liquidatee: Pubkey, liquidator: Pubkey) -> Instruction {
        build(
            backstop::accounts::Liquidate {
                market: self.market,
                liquidatee,
                liquidator,
                market_book: self.book,
                keeper,
                oracle: self.oracle,
                event_authority: pda::event_authority(),
                program: backstop::ID,
            },
            backstop::instruction::Liquidate {},
        )
    }

    pub fn cover_bankruptcy(&self, keeper: Pubkey, bankrupt_owner: Pubkey) -> Instruction {
        build(
            backstop::accounts::CoverBankruptcy {
                market: self.market,
                bankrupt_account: pda::margin_account(&self.market, &bankrupt_owner),
                insurance_fund: self.insurance_fund,
                fund_vault: self.fund_vault,
                vault: self.vault,
                collateral_mint: self.mint,
                oracle: self.oracle,
                keeper,
                token_program: spl_token::ID,
                event_authority: pda::event_authority(),
                program: backstop::ID,
            },
            backstop::instruction::CoverBankruptcy {},
        )
    }

    /// Anyone applies `margin_account`'s share of socialized losses (`touch_account`).
    pub fn touch_account(&self, margin_account: Pubkey) -> Instruction {
        build(
            backstop::accounts::TouchAccount {
                market: self.market,
                margin_account,
                market_book: self.book,
                event_authority: pda::event_authority(),
                program: backstop::ID,
            },
            backstop::instruction::TouchAccount {},
        )
    }

    pub fn settle_fund_revenue(&self) -> Instruction {
        build(
            backstop::accounts::SettleFundRevenue {
                market: self.market,
                insurance_fund: self.insurance_fund,
                fund_vault: self.fund_vault,
                vault: self.vault,
                collateral_mint: self.mint,
                token_program: spl_token::ID,
                event_authority: pda::event_authority(),
                program: backstop::ID,
            },
            backstop::instruction::SettleFundRevenue {},
        )
    }

    /// Pays the treasury's accrued fees to `treasury_token` (a token account of the exchange's treasury).
    pub fn sweep_treasury_fees(&self, treasury_token: Pubkey) -> Instruction {
        build(
            backstop::accounts::SweepTreasuryFees {
                exchange: pda::exchange(),
                market: self.market,
                destination: treasury_token,
                vault: self.vault,
                collateral_mint: self.mint,
                token_program: spl_token::ID,
                event_authority: pda::event_authority(),
                program: backstop::ID,
            },
            backstop::instruction::SweepTreasuryFees {},
        )
    }

    /// `fund_health` over the given markets.
    /// `fund_health` over `markets` (each followed by its book, derived here).
    pub fn fund_health(&self, markets: &[Pubkey]) -> Instruction {
        let mut ix = build(
            backstop::accounts::FundHealthView {
                insurance_fund: self.insurance_fund,
                event_authority: pda::event_authority(),
                program: backstop::ID,
            },
            backstop::instruction::FundHealth {},
        );
        ix.accounts.extend(markets.iter().flat_map(|m| {
            [*m, pda::market_book(m)]
                .map(|key| anchor_lang::solana_program::instruction::AccountMeta::new_readonly(key, false))
        }));
        ix
    }
}

/// What the keeper decides for one account, from its state alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Healthy,
    Liquidate,
    Cover,
}

/// The decision, with funding accrued to `now` and the account brought up to date first, exactly as the program
/// would before its own check.
pub fn verdict(
    account: &MarginAccount,
    books: &MarketLedger,
    params: &MarketParams,
    price: &OraclePrice,
    now: i64,
) -> Verdict {
    triage(account, books, params, price, now).0
}

/// The verdict and how deep underwater the account is, quote atoms: for a liquidation, how far its equity is below
/// the maintenance requirement (the deficit it drifts towards as the price runs); for a cover, the deficit itself;
/// 0 when healthy.
pub fn triage(
    account: &MarginAccount,
    books: &MarketLedger,
    params: &MarketParams,
    price: &OraclePrice,
    now: i64,
) -> (Verdict, u64) {
    match assess(account, books, params, price, now) {
        (Verdict::Healthy, _) => (Verdict::Healthy, 0),
        assessed => (assessed.0, assessed.1.unwrap_or(u64::MAX)),
    }
}

/// The verdict with its margin, quote atoms: for a liquidation or a cover, as [`triage`]'s depth; for a healthy
/// account, its cushion (how much equity a price move, funding or a loss must take before it is liquidatable, or,
/// flat, before it is bankrupt). `None` where the math refused (the account is then called healthy, as the
/// program would refuse to act on it too, and nothing may be concluded from it).
pub(crate) fn assess(
    account: &MarginAccount,
    books: &MarketLedger,
    params: &MarketParams,
    price: &OraclePrice,
    now: i64,
) -> (Verdict, Option<u64>) {
    let mut books = *books;
    if books.accrue_funding(now, price.price, params).is_err() {
        return (Verdict::Healthy, None);
    }
    let Ok(touched) = ledger::touch(&account.balances, &books) else { return (Verdict::Healthy, None) };
    let trader = touched.trader;
    let held = i128::from(trader.collateral) + i128::from(trader.unsettled_pnl);
    if trader.is_bankrupt() {
        return (Verdict::Cover, Some(u64::try_from(-held).unwrap_or(u64::MAX)));
    }
    if trader.position.is_flat() {
        return (Verdict::Healthy, u64::try_from(held).ok());
    }
    match trader.health(price, params) {
        Ok(health) => {
            let cushion = i128::from(health.maintenance_equity) - i128::from(health.maintenance_requirement);
            if health.meets_maintenance() {
                (Verdict::Healthy, u64::try_from(cushion).ok())
            } else {
                (Verdict::Liquidate, Some(u64::try_from(-cushion).unwrap_or(u64::MAX)))
            }
        }
        Err(_) => (Verdict::Healthy, None),
    }
}

/// The order a round acts in over `accounts` (as scanned): every liquidation, largest shortfall below maintenance
/// first (in quote atoms: the liquidation that takes the most risk off the books, usually a large position, not
/// necessarily the one nearest bankruptcy), then every account already bankrupt, largest deficit first; ties keep
/// the scan's order. Indices into `accounts`, with the verdict. The keeper and the
/// laboratory's core engine both act in this order.
pub fn round_plan(
    accounts: &[&MarginAccount],
    books: &MarketLedger,
    params: &MarketParams,
    price: &OraclePrice,
    now: i64,
) -> Vec<(usize, Verdict)> {
    let work = accounts.iter().enumerate().map(|(index, account)| {
        let (verdict, depth) = triage(account, books, params, price, now);
        (index, verdict, depth)
    });
    in_round_order(work.collect())
}

/// `work` (index, verdict, depth) without the healthy, liquidations before covers, each deepest first; a stable
/// sort, so equal depths keep the scan's order.
fn in_round_order(mut work: Vec<(usize, Verdict, u64)>) -> Vec<(usize, Verdict)> {
    work.retain(|(_, verdict, _)| *verdict != Verdict::Healthy);
    let rank = |verdict: Verdict| u8::from(verdict == Verdict::Cover);
    work.sort_by(|a, b| rank(a.1).cmp(&rank(b.1)).then(b.2.cmp(&a.2)));
    work.into_iter().map(|(index, verdict, _)| (index, verdict)).collect()
}

mod screen;
pub use screen::HealthScreen;

#[cfg(test)]
mod tests {
    use super::*;
    use backstop_math::constants::{BASE_PRECISION as SOL, PRICE_PRECISION, QUOTE_PRECISION as USD};
    use backstop_math::position::Position;

    fn account(collateral: i64, base: i64, entry_notional: i64) -> MarginAccount {
        let mut account: MarginAccount = bytemuck::Zeroable::zeroed();
        account.balances.collateral = collateral;
        account.balances.position = Position { base, entry_notional };
        account
    }

    #[test]
    fn a_round_acts_on_the_largest_shortfall_first_then_the_largest_deficit_ties_in_scan_order() {
        let params = crate::presets::production();
        let price = OraclePrice { price: 100 * PRICE_PRECISION, conf: 0, publish_time: 0 };
        // Longs bought at $110, now at $100: 10 SOL on $105 (equity $5) is ten times as far below its maintenance
        // requirement as 1 SOL on $10.50 (equity $0.50); two flat accounts $20 and $5 in deficit; one healthy.
        let scanned = [
            account(1_000 * USD, 0, 0),
            account(10_500_000, SOL, 110 * USD),
            account(-5 * USD, 0, 0),
            account(105 * USD, 10 * SOL, 1_100 * USD),
            account(-20 * USD, 0, 0),
            account(10_500_000, SOL, 110 * USD),
        ];
        let accounts: Vec<&MarginAccount> = scanned.iter().collect();
        let plan = round_plan(&accounts, &MarketLedger::default(), &params, &price, 0);
        let (l, c) = (Verdict::Liquidate, Verdict::Cover);
        assert_eq!(plan, [(3, l), (1, l), (5, l), (4, c), (2, c)]);
        assert_eq!(triage(&scanned[4], &MarketLedger::default(), &params, &price, 0), (c, 20_000_000));
    }
}
