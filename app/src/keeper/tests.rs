//! The keeper's sends against a scripted cluster: retries by kind, and the compute budget each send carries.

use super::*;
use crate::error::Error;
use anchor_lang::solana_program::instruction::Instruction;
use backstop::state::MarginAccount;

/// A cluster whose sends fail with the scripted errors first, then succeed; it counts the sends and keeps what
/// each carried, and reports `fees` as its recent prioritization fees (`None`: unreadable).
pub(super) struct Flaky {
    pub failures: Vec<Error>,
    pub sends: usize,
    pub sent: Vec<Vec<Instruction>>,
    pub fees: Option<Vec<u64>>,
    /// The accounts it holds (data, owner); every other address is empty.
    pub accounts: std::collections::HashMap<Pubkey, (Vec<u8>, Pubkey)>,
    /// Fees paid to write a set that includes one of these accounts (else `fees`).
    pub fees_by_account: std::collections::HashMap<Pubkey, Vec<u64>>,
    /// Its clock.
    pub now: i64,
}

impl Flaky {
    pub fn new(failures: Vec<Error>) -> Self {
        let (accounts, fees_by_account) = Default::default();
        Self { failures, sends: 0, sent: Vec::new(), fees: None, accounts, fees_by_account, now: 0 }
    }
}

impl Chain for Flaky {
    async fn now(&mut self) -> Result<i64> {
        Ok(self.now)
    }
    async fn account(&mut self, address: Pubkey) -> Result<Option<(Vec<u8>, Pubkey)>> {
        Ok(self.accounts.get(&address).cloned())
    }
    async fn margin_accounts(&mut self, _: Pubkey) -> Result<Vec<(Pubkey, MarginAccount)>> {
        Ok(Vec::new())
    }
    async fn send(&mut self, instructions: &[Instruction]) -> Result<()> {
        self.sends += 1;
        self.sent.push(instructions.to_vec());
        if self.failures.is_empty() {
            Ok(())
        } else {
            Err(self.failures.remove(0))
        }
    }
    fn keeper(&self) -> Pubkey {
        Pubkey::default()
    }
    async fn recent_prioritization_fees(&mut self, accounts: &[Pubkey]) -> Result<Vec<u64>> {
        if let Some(fees) = accounts.iter().find_map(|account| self.fees_by_account.get(account)) {
            return Ok(fees.clone());
        }
        self.fees.clone().ok_or_else(|| Error::Transport("fees unavailable".to_string()))
    }
}

pub(super) fn keeper() -> Keeper {
    let accounts = KeeperAccounts {
        market: Pubkey::new_unique(),
        insurance_fund: Pubkey::new_unique(),
        fund_vault: Pubkey::new_unique(),
        vault: Pubkey::new_unique(),
        book: Pubkey::new_unique(),
        mint: Pubkey::new_unique(),
        oracle: Pubkey::new_unique(),
    };
    Keeper { backoff: std::time::Duration::from_millis(1), ..Keeper::new(accounts) }
}

fn dropped() -> Error {
    Error::Transport("connection reset".to_string())
}

#[tokio::test]
async fn transient_failures_are_sent_again_with_backoff_up_to_the_retry_limit() {
    let keeper = keeper();
    let mut chain = Flaky::new(vec![dropped(), dropped()]);
    assert!(keeper.send_with_retries(&mut chain, &[]).await.is_ok());
    assert_eq!(chain.sends, 3, "two failures, then the send that landed");

    let mut down = Flaky::new(vec![dropped(), dropped(), dropped(), dropped(), dropped()]);
    let error = keeper.send_with_retries(&mut down, &[]).await.expect_err("gives up");
    assert_eq!(error.kind(), "transport");
    assert_eq!(down.sends, 1 + keeper.retries as usize, "the first send and `retries` more");
}

#[tokio::test]
async fn a_refusal_by_the_program_is_never_sent_again() {
    let keeper = keeper();
    let refused = Error::Program { code: 6000, name: "NotLiquidatable".into(), message: "healthy".into() };
    let mut chain = Flaky::new(vec![refused]);
    let error = keeper.send_with_retries(&mut chain, &[]).await.expect_err("refused");
    assert_eq!(error.kind(), "program");
    assert_eq!(chain.sends, 1);
}

#[tokio::test]
async fn each_send_asks_for_its_measured_units_and_bids_the_rounds_price() {
    let mut keeper = keeper();
    let liquidate =
        keeper.accounts.liquidate_accounts(Pubkey::new_unique(), Pubkey::new_unique(), Pubkey::new_unique());
    // No bid configured (the laboratory): the instruction alone.
    let mut chain = Flaky::new(Vec::new());
    keeper.send(&mut chain, "liquidate", liquidate.clone()).await.expect("sent");
    assert_eq!(chain.sent[0], vec![liquidate.clone()]);

    // The median of the recent fees, under the cap.
    keeper.unit_price = Some(UnitPrice::Recent { percentile: 50, max: 1_000 });
    chain.fees = Some(vec![40, 10, 30, 20]);
    keeper.price = keeper.round_price(&mut chain).await;
    assert_eq!(keeper.price, 20);
    keeper.send(&mut chain, "liquidate", liquidate.clone()).await.expect("sent");
    let limit = compute::unit_limit(&["liquidate"]).expect("measured");
    let mut expected = compute::budget(limit, 20);
    expected.push(liquidate.clone());
    assert_eq!(chain.sent[1], expected);

    // Fees the cluster will not give: the cap. A fixed price: itself.
    chain.fees = None;
    assert_eq!(keeper.round_price(&mut chain).await, 1_000);
    keeper.unit_price = Some(UnitPrice::Fixed(7));
    assert_eq!(keeper.round_price(&mut chain).await, 7);
}

#[tokio::test]
async fn each_action_bids_what_writing_its_own_account_has_cost() {
    let mut keeper = keeper();
    let (contested, quiet) = (Pubkey::new_unique(), Pubkey::new_unique());
    let mut chain = Flaky::new(Vec::new());
    chain.fees = Some(vec![10, 20, 30]);
    // The owner of `contested` keeps it write-locked with high-fee transactions.
    chain.fees_by_account.insert(contested, vec![400, 500, 600]);
    keeper.unit_price = Some(UnitPrice::Recent { percentile: 50, max: 550 });
    assert_eq!(keeper.action_prices(&mut chain, &[contested, quiet]).await, vec![500, 20]);
    keeper.unit_price = Some(UnitPrice::Recent { percentile: 100, max: 550 });
    assert_eq!(keeper.action_prices(&mut chain, &[contested]).await, vec![550], "never above the cap");
    // Unreadable fees bid the cap; a fixed price is the round's.
    chain.fees = None;
    assert_eq!(keeper.action_prices(&mut chain, &[quiet]).await, vec![550]);
    keeper.unit_price = Some(UnitPrice::Fixed(7));
    keeper.price = 7;
    assert_eq!(keeper.action_prices(&mut chain, &[contested, quiet]).await, vec![7, 7]);
}
