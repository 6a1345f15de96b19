//! The accounts of one market and its insurance fund. Every flow's accounts follow from these and a user: the
//! tests, the VM suite, the CLI and the keeper name a market once and derive the rest here.

use crate::{pda, Flow, KeeperAccounts, Staking};
use anchor_lang::prelude::Pubkey;

#[derive(Clone, Copy, Debug)]
pub struct MarketAccounts {
    pub market: Pubkey,
    /// The market's collateral vault.
    pub vault: Pubkey,
    /// The market's bankruptcy book.
    pub book: Pubkey,
    pub mint: Pubkey,
    pub oracle: Pubkey,
    /// The insurance fund backing the market, and its vault.
    pub fund: Pubkey,
    pub fund_vault: Pubkey,
}

impl MarketAccounts {
    /// The market and fund at these addresses, their vaults derived (each vault is its owner's PDA).
    pub fn new(market: Pubkey, fund: Pubkey, mint: Pubkey, oracle: Pubkey) -> Self {
        Self {
            market,
            vault: pda::market_vault(&market),
            book: pda::market_book(&market),
            mint,
            oracle,
            fund,
            fund_vault: pda::fund_vault(&fund),
        }
    }

    /// `owner`'s margin-account flows, paying from and to `token`.
    pub fn flow(&self, owner: Pubkey, token: Pubkey) -> Flow {
        Flow {
            market: self.market,
            position: pda::margin_account(&self.market, &owner),
            owner,
            token,
            vault: self.vault,
            book: self.book,
            mint: self.mint,
            oracle: self.oracle,
            fund: self.fund,
        }
    }

    /// `owner`'s LP flows, paying from and to `token`.
    pub fn lp_flow(&self, owner: Pubkey, token: Pubkey) -> Flow {
        Flow { position: pda::lp_position(&self.market, &owner), ..self.flow(owner, token) }
    }

    /// `owner`'s staking flows in the market's fund.
    pub fn staking(&self, owner: Pubkey, token: Pubkey) -> Staking {
        Staking {
            fund: self.fund,
            position: pda::stake_position(&self.fund, &owner),
            owner,
            token,
            vault: self.fund_vault,
            mint: self.mint,
        }
    }

    /// The keeper instructions' accounts.
    pub fn keeper(&self) -> KeeperAccounts {
        KeeperAccounts {
            market: self.market,
            insurance_fund: self.fund,
            fund_vault: self.fund_vault,
            vault: self.vault,
            book: self.book,
            mint: self.mint,
            oracle: self.oracle,
        }
    }

    /// Every account a flow of `owner` (with `token`) could change: what a rejection test watches.
    pub fn touched_by(&self, owner: Pubkey, token: Pubkey) -> Vec<Pubkey> {
        vec![
            self.market,
            self.vault,
            self.book,
            token,
            pda::margin_account(&self.market, &owner),
            pda::lp_position(&self.market, &owner),
            self.fund,
            self.fund_vault,
            pda::stake_position(&self.fund, &owner),
        ]
    }
}
