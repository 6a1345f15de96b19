//! The in-process bank (solana-program-test) as a [`Chain`], so the real keeper runs in the simulator and the tests
//! exactly as it runs against an RPC node.

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use backstop::state::MarginAccount;
use backstop_app::chain::{Chain, ChainResult};
use backstop_app::Error;
use backstop_client::read::read;
use backstop_tests::{Actor, Env};

/// The in-process bank (solana-program-test) as a [`Chain`]. A bank has no program-account index, so the
/// margin accounts to scan are registered as they are created.
pub struct InProcessChain {
    pub env: Env,
    pub keeper: Actor,
    pub accounts: Vec<Pubkey>,
}

impl Chain for InProcessChain {
    async fn now(&mut self) -> ChainResult<i64> {
        Ok(self.env.now)
    }

    async fn account(&mut self, address: Pubkey) -> ChainResult<Option<(Vec<u8>, Pubkey)>> {
        Ok(self.env.account(address).await.map(|a| (a.data, a.owner)))
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
        let keeper = self.keeper.keypair.insecure_clone();
        let key = self.keeper();
        // The bank's payer pays; the keeper signs only where an instruction asks for its signature.
        let needs_keeper =
            instructions.iter().flat_map(|ix| ix.accounts.iter()).any(|m| m.is_signer && m.pubkey == key);
        let signers: Vec<&solana_keypair::Keypair> = if needs_keeper { vec![&keeper] } else { vec![] };
        self.env.send(instructions, &signers).await.map_err(|error| classify(error, instructions))
    }

    fn keeper(&self) -> Pubkey {
        solana_signer::Signer::pubkey(&self.keeper.keypair)
    }
}

/// A bank refusal as the RPC client would have reported it: a program error by name, anything else by kind.
fn classify(error: solana_program_test::BanksClientError, instructions: &[Instruction]) -> Error {
    use solana_program_test::BanksClientError;
    match error {
        BanksClientError::TransactionError(failure) => Error::from_transaction_error(&failure, &[], instructions),
        BanksClientError::SimulationError { err, logs, .. } => Error::from_transaction_error(&err, &logs, instructions),
        other => Error::Transport(other.to_string()),
    }
}
