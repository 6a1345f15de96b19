//! The keeper's chain in the RPC replay: the app's own [`RpcChain`] (real JSON-RPC: getProgramAccounts,
//! getAccountInfo, sendTransaction, signature polling), watched as the bank engine's chain watches it: every cover
//! is observed around its transaction for the laboratory's audit.

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use backstop::state::MarginAccount;
use backstop_app::chain::{Chain, ChainResult};
use backstop_app::rpc::RpcChain;
use backstop_app::Error;
use backstop_client::read::read;
use backstop_sim::bank::InProcessChain;
use backstop_sim::simulation::reconcile::{CoverObservation, CoverSnapshot};

pub struct WatchedChain {
    pub rpc: RpcChain,
    /// The margin accounts in the order the bank engine's chain lists them (the order they were opened in).
    /// getProgramAccounts promises no order, and a keeper covering from a fund short of cash pays whoever it
    /// covers first: the scan's accounts are put in this order so both runs cover in the same one. An account the
    /// scan finds that is not listed here comes after, by address; one listed that the scan misses is missed.
    pub order: Vec<Pubkey>,
    pub covers: Vec<(Pubkey, CoverObservation)>,
}

impl WatchedChain {
    async fn cover_snapshot(&mut self, account: Pubkey) -> ChainResult<(Pubkey, CoverSnapshot)> {
        let (data, owner) = self.account(account).await?.ok_or_else(|| Error::Account(format!("{account}")))?;
        let margin = read::<MarginAccount>(&data, &owner)?;
        let market = self.market(margin.market).await?;
        let fund = self.fund(market.insurance_fund).await?;
        let now = self.now().await?;
        Ok((margin.market, CoverSnapshot::read(&margin, &market, &fund, now)))
    }
}

impl Chain for WatchedChain {
    async fn now(&mut self) -> ChainResult<i64> {
        self.rpc.now().await
    }

    async fn account(&mut self, address: Pubkey) -> ChainResult<Option<(Vec<u8>, Pubkey)>> {
        self.rpc.account(address).await
    }

    async fn margin_accounts(&mut self, market: Pubkey) -> ChainResult<Vec<(Pubkey, MarginAccount)>> {
        let mut found = self.rpc.margin_accounts(market).await?;
        let rank = |address: &Pubkey| self.order.iter().position(|known| known == address).unwrap_or(usize::MAX);
        found.sort_by(|(a, _), (b, _)| rank(a).cmp(&rank(b)).then(a.cmp(b)));
        Ok(found)
    }

    async fn send(&mut self, instructions: &[Instruction]) -> ChainResult<()> {
        let covered: Vec<Pubkey> = instructions.iter().filter_map(InProcessChain::covered_account).collect();
        let observed = match covered.as_slice() {
            [one] => Some((*one, self.cover_snapshot(*one).await?)),
            _ => None,
        };
        self.rpc.send(instructions).await?;
        if let Some((account, (market, before))) = observed {
            let (_, after) = self.cover_snapshot(account).await?;
            let now = self.now().await?;
            self.covers.push((market, before.observe(&after, now)));
        }
        Ok(())
    }

    fn keeper(&self) -> Pubkey {
        self.rpc.keeper()
    }

    async fn recent_prioritization_fees(&mut self, accounts: &[Pubkey]) -> ChainResult<Vec<u64>> {
        self.rpc.recent_prioritization_fees(accounts).await
    }
}
