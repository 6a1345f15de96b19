//! The in-process bank (solana-program-test) as a [`Chain`], so the real keeper runs in the simulator and the tests
//! exactly as it runs against an RPC node. It also watches every `cover_bankruptcy` it carries, for the audit.
//!
//! Reads can be cached ([`InProcessChain::cache_reads`]): an account changes only in a transaction that names it,
//! so a read stays exact until a transaction naming the account is sent, and the cache forgets exactly those (a
//! keeper subscribed to its accounts over a websocket is told of the same changes, later and less reliably; this one
//! sees them exactly). Each read through the bank client costs
//! ~13 µs; a 10,000-trader replay reads every account twice a step (the keeper's scan, the audit's), and all but
//! the few a step touched are unchanged.

use crate::simulation::reconcile::{CoverObservation, CoverSnapshot};
use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use anchor_lang::Discriminator;
use backstop::state::MarginAccount;
use backstop_app::chain::{Chain, ChainResult};
use backstop_app::Error;
use backstop_client::read::read;
use backstop_tests::{Actor, Env};
use std::collections::HashMap;

/// An account as read: its data and owner (`None`: no account there).
type Read = Option<(Vec<u8>, Pubkey)>;

/// The in-process bank (solana-program-test) as a [`Chain`]. A bank has no program-account index, so the
/// margin accounts to scan are registered as they are created.
pub struct InProcessChain {
    pub env: Env,
    pub keeper: Actor,
    pub accounts: Vec<Pubkey>,
    /// Every cover sent through this chain, observed around the instruction, with its market (drained by the
    /// simulation's audit).
    pub covers: Vec<(Pubkey, CoverObservation)>,
    /// Accounts as last read, kept until a transaction names them (`None`: every read goes to the bank).
    cache: Option<HashMap<Pubkey, Read>>,
}

impl InProcessChain {
    pub fn new(env: Env, keeper: Actor, accounts: Vec<Pubkey>) -> Self {
        Self { env, keeper, accounts, covers: Vec::new(), cache: None }
    }

    /// From now on reads are kept until a transaction names the account. Only for a caller that sends every
    /// transaction through [`Chain::send`] or [`InProcessChain::send_signed`] and writes accounts outside a
    /// transaction only through [`InProcessChain::forget`] (the simulator's bank engine).
    pub fn cache_reads(&mut self) {
        self.cache = Some(HashMap::new());
    }

    /// Forgets what was read of `address` (written outside a transaction: an oracle the simulation publishes).
    pub fn forget(&mut self, address: &Pubkey) {
        if let Some(cache) = self.cache.as_mut() {
            cache.remove(address);
        }
    }

    /// Forgets every account `instructions` name (the programs' too), and the payer, whose lamports pay the fee.
    fn forget_named(&mut self, instructions: &[Instruction]) {
        let payer = self.env.payer();
        if let Some(cache) = self.cache.as_mut() {
            cache.remove(&payer);
            for instruction in instructions {
                cache.remove(&instruction.program_id);
                for meta in &instruction.accounts {
                    cache.remove(&meta.pubkey);
                }
            }
        }
    }

    /// Sends `instructions` signed by the payer and `signers`, through the cache.
    pub async fn send_signed(
        &mut self,
        instructions: &[Instruction],
        signers: &[&solana_keypair::Keypair],
    ) -> Result<(), solana_program_test::BanksClientError> {
        let result = self.env.send_now(instructions, signers).await;
        self.forget_named(instructions);
        result
    }

    /// The margin account a `cover_bankruptcy` names (its second account), if `instruction` is one (also what the
    /// RPC suite's watched chain observes).
    pub fn covered_account(instruction: &Instruction) -> Option<Pubkey> {
        let is_cover = instruction.program_id == backstop::ID
            && instruction.data.starts_with(backstop::instruction::CoverBankruptcy::DISCRIMINATOR);
        is_cover.then(|| instruction.accounts.get(1).map(|meta| meta.pubkey)).flatten()
    }

    /// What the audit needs around a cover: the account, its market and the market's fund.
    async fn cover_snapshot(&mut self, account: Pubkey) -> ChainResult<(Pubkey, CoverSnapshot)> {
        let (data, owner) = self.account(account).await?.ok_or_else(|| Error::Account(format!("{account}")))?;
        let margin = read::<MarginAccount>(&data, &owner)?;
        let market = self.market(margin.market).await?;
        let fund = self.fund(market.insurance_fund).await?;
        Ok((margin.market, CoverSnapshot::read(&margin, &market, &fund, self.env.now)))
    }
}

impl Chain for InProcessChain {
    async fn now(&mut self) -> ChainResult<i64> {
        Ok(self.env.now)
    }

    async fn account(&mut self, address: Pubkey) -> ChainResult<Option<(Vec<u8>, Pubkey)>> {
        if let Some(read) = self.cache.as_ref().and_then(|cache| cache.get(&address)).cloned() {
            // Debug builds (the tests) read the bank as well and refuse a stale cache: the cache's exactness is
            // checked on every read the engine-equality tests make.
            if cfg!(debug_assertions) && self.env.account(address).await.map(|a| (a.data, a.owner)) != read {
                return Err(Error::Account(format!("{address}: the read cache is stale")));
            }
            return Ok(read);
        }
        let read: Read = self.env.account(address).await.map(|a| (a.data, a.owner));
        if let Some(cache) = self.cache.as_mut() {
            cache.insert(address, read.clone());
        }
        Ok(read)
    }

    async fn margin_accounts(&mut self, market: Pubkey) -> ChainResult<Vec<(Pubkey, MarginAccount)>> {
        let mut found = Vec::with_capacity(self.accounts.len());
        for address in self.accounts.clone() {
            if let Some((data, owner)) = self.account(address).await? {
                let account: MarginAccount = read(&data, &owner)?;
                if account.market == market {
                    found.push((address, account));
                }
            }
        }
        Ok(found)
    }

    async fn send(&mut self, instructions: &[Instruction]) -> ChainResult<()> {
        let covered: Vec<Pubkey> = instructions.iter().filter_map(Self::covered_account).collect();
        // One cover per transaction is observed; several in one would be seen by the audit's counter check only.
        let observed = match covered.as_slice() {
            [one] => Some((*one, self.cover_snapshot(*one).await?)),
            _ => None,
        };
        let keeper = self.keeper.keypair.insecure_clone();
        let key = self.keeper();
        // The bank's payer pays; the keeper signs only where an instruction asks for its signature.
        let needs_keeper =
            instructions.iter().flat_map(|ix| ix.accounts.iter()).any(|m| m.is_signer && m.pubkey == key);
        let signers: Vec<&solana_keypair::Keypair> = if needs_keeper { vec![&keeper] } else { vec![] };
        let sent = self.env.send_now(instructions, &signers).await;
        self.forget_named(instructions);
        sent.map_err(|error| classify(error, instructions))?;
        if let Some((account, (market, before))) = observed {
            let (_, after) = self.cover_snapshot(account).await?;
            self.covers.push((market, before.observe(&after, self.env.now)));
        }
        Ok(())
    }

    fn keeper(&self) -> Pubkey {
        solana_signer::Signer::pubkey(&self.keeper.keypair)
    }
}

/// A bank refusal as the RPC client would have reported it: a program error by name, anything else by kind.
fn classify(error: solana_program_test::BanksClientError, instructions: &[Instruction]) -> Error {
    use solana_program_test::BanksClientError;
    match error {
        BanksClientError::TransactionError(failure) => {
            Error::from_transaction_error(&unprefixed(failure), &[], instructions)
        }
        BanksClientError::SimulationError { err, logs, .. } => {
            Error::from_transaction_error(&unprefixed(err), &logs, instructions)
        }
        other => Error::Transport(other.to_string()),
    }
}

/// `Env::send` puts a compute-budget instruction before the caller's: an instruction error's index counts it, so
/// it is taken off to point into the caller's instructions (which program failed decides how a code is named).
fn unprefixed(error: solana_transaction_error::TransactionError) -> solana_transaction_error::TransactionError {
    use solana_transaction_error::TransactionError;
    match error {
        TransactionError::InstructionError(index, inner) if index > 0 => {
            TransactionError::InstructionError(index - 1, inner)
        }
        other => other,
    }
}
