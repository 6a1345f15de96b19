//! A round's liquidations and covers, sent `Keeper::concurrency` at a time.

use super::{Failure, Keeper, RoundReport};
use crate::chain::Chain;
use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use backstop::state::MarginAccount;
use backstop_client::keeper::Verdict;
use backstop_client::read::read;

/// One liquidation or cover of a round.
struct Action {
    /// The instruction's name in the compute table.
    kind: &'static str,
    /// What a failure is reported as.
    label: &'static str,
    account: Pubkey,
    instruction: Instruction,
}

impl Keeper {
    /// Acts on `plan` (indices into `scanned`): the liquidations in a window of `concurrency` in flight (the next
    /// sent as soon as any one settles, `Chain::send_window`), then covers of the accounts they left bankrupt (read
    /// back after every attempt: a rival's liquidation may have taken the account through zero); then the accounts
    /// already bankrupt, in the same window. One at a time (the laboratory), each liquidation's cover follows it.
    pub(super) async fn act<C: Chain>(
        &self,
        chain: &mut C,
        plan: &[(usize, Verdict)],
        scanned: &[&(Pubkey, MarginAccount)],
        keeper_account: Pubkey,
        report: &mut RoundReport,
    ) {
        let width = self.concurrency.max(1);
        let keeper = chain.keeper();
        let of = |verdict: Verdict| plan.iter().filter(move |(_, v)| *v == verdict).map(|(i, _)| scanned[*i]);
        let liquidations: Vec<Action> = of(Verdict::Liquidate)
            .map(|(address, _)| Action {
                kind: "liquidate",
                label: "liquidate",
                account: *address,
                instruction: self.accounts.liquidate_accounts(keeper, *address, keeper_account),
            })
            .collect();
        let group = if width == 1 { 1 } else { liquidations.len().max(1) };
        for batch in liquidations.chunks(group) {
            self.send_actions(chain, batch, report).await;
            let mut covers = Vec::new();
            for action in batch {
                match chain.account(action.account).await.and_then(|found| {
                    found.map(|(data, owner)| read::<MarginAccount>(&data, &owner).map_err(Into::into)).transpose()
                }) {
                    Ok(Some(after)) if after.balances.is_bankrupt() => {
                        covers.push(self.cover(action.account, after.owner, keeper))
                    }
                    Ok(_) => {}
                    // A failed read costs this account's cover until the next round, not the rest of the round.
                    Err(e) => {
                        tracing::warn!(account = %action.account, kind = e.kind(), error = %e, "read after liquidation failed");
                        report.failed.push(Failure::new("cover", action.account, &e));
                    }
                }
            }
            self.send_actions(chain, &covers, report).await;
        }
        let covers: Vec<Action> =
            of(Verdict::Cover).map(|(address, account)| self.cover(*address, account.owner, keeper)).collect();
        self.send_actions(chain, &covers, report).await;
    }

    fn cover(&self, account: Pubkey, owner: Pubkey, keeper: Pubkey) -> Action {
        let instruction = self.accounts.cover_bankruptcy(keeper, owner);
        Action { kind: "cover_bankruptcy", label: "cover", account, instruction }
    }

    /// Sends `actions` in a window of `concurrency`; one that fails transiently (nothing sent, or proven unable to
    /// land) is sent again on its own with retries. Each lands in the report as liquidated, covered or failed.
    async fn send_actions<C: Chain>(&self, chain: &mut C, actions: &[Action], report: &mut RoundReport) {
        if actions.is_empty() {
            return;
        }
        let accounts: Vec<Pubkey> = actions.iter().map(|action| action.account).collect();
        let prices = self.action_prices(chain, &accounts).await;
        let batch: Vec<Vec<Instruction>> = actions
            .iter()
            .zip(prices)
            .map(|(action, price)| self.budgeted_at(action.kind, action.instruction.clone(), price))
            .collect();
        let results = chain.send_window(&batch, self.concurrency.max(1)).await;
        for ((action, instructions), result) in actions.iter().zip(&batch).zip(results) {
            let result = match result {
                Err(error) if error.is_transient() => self.send_with_retries(chain, instructions).await,
                settled => settled,
            };
            let account = action.account;
            match (result, action.label) {
                (Ok(()), "liquidate") => {
                    tracing::info!(%account, "liquidated");
                    report.liquidated.push(account);
                }
                (Ok(()), _) => {
                    tracing::info!(%account, "covered");
                    report.covered.push(account);
                }
                (Err(e), label) => {
                    tracing::warn!(%account, action = label, kind = e.kind(), error = %e, "failed");
                    report.failed.push(Failure::new(label, account, &e));
                }
            }
        }
    }
}
