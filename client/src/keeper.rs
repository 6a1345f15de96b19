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
    let mut books = *books;
    if books.accrue_funding(now, price.price, params).is_err() {
        return (Verdict::Healthy, 0);
    }
    let Ok(touched) = ledger::touch(&account.balances, &books) else { return (Verdict::Healthy, 0) };
    let trader = touched.trader;
    if trader.is_bankrupt() {
        let held = i128::from(trader.collateral) + i128::from(trader.unsettled_pnl);
        return (Verdict::Cover, u64::try_from(-held).unwrap_or(u64::MAX));
    }
    if trader.position.is_flat() {
        return (Verdict::Healthy, 0);
    }
    match trader.health(price, params) {
        Ok(health) if !health.meets_maintenance() => {
            let short = i128::from(health.maintenance_requirement) - i128::from(health.maintenance_equity);
            (Verdict::Liquidate, u64::try_from(short).unwrap_or(u64::MAX))
        }
        _ => (Verdict::Healthy, 0),
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
    let mut work: Vec<(usize, Verdict, u64)> = accounts
        .iter()
        .enumerate()
        .map(|(index, account)| {
            let (verdict, depth) = triage(account, books, params, price, now);
            (index, verdict, depth)
        })
        .filter(|(_, verdict, _)| *verdict != Verdict::Healthy)
        .collect();
    let rank = |verdict: Verdict| u8::from(verdict == Verdict::Cover);
    // A stable sort: equal depths keep the scan's order.
    work.sort_by(|a, b| rank(a.1).cmp(&rank(b.1)).then(b.2.cmp(&a.2)));
    work.into_iter().map(|(index, verdict, _)| (index, verdict)).collect()
}

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
