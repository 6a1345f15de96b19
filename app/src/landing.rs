//! How a transaction lands over RPC, never twice: it is signed once, broadcast, and the *same* signed transaction is
//! broadcast again while it is not confirmed (one signature: the cluster executes it at most once), until it is
//! confirmed, fails on chain, or its blockhash has expired with it unlanded. Only that last case, proven by the
//! block height passing the blockhash's last valid height before a status read that still finds nothing, tells the
//! caller it may sign the instructions again (a transient [`Error::Transaction`]). A refusal can end it only
//! before anything may have reached a node: once a broadcast may have left, what a later answer says (an expired
//! blockhash in preflight, "already processed", a duplicate refused without data) is not trusted over the
//! signature's status.

use crate::chain::ChainResult;
use crate::error::Error;
use crate::rpc::{classify, classify_for, RpcChain};
use anchor_lang::solana_program::instruction::Instruction;
use solana_commitment_config::CommitmentConfig;
use solana_keypair::Keypair;
use solana_rpc_client_api::config::RpcSendTransactionConfig;
use solana_signer::Signer;
use solana_transaction::Transaction;
use std::time::{Duration, Instant};

/// How long a sent transaction is polled for before it is reported unconfirmed (its blockhash lives ~60-90 s).
pub(crate) const CONFIRM_TIMEOUT: Duration = Duration::from_secs(90);
/// The first wait before asking again whether a sent transaction is confirmed, doubled each time up to
/// [`POLL_MAX`]: a node that confirms within a slot answers within a few polls, and a slow one is not asked more
/// than twice a second.
const POLL_FIRST: Duration = Duration::from_millis(20);
const POLL_MAX: Duration = Duration::from_millis(500);
/// How often the same signed transaction is broadcast again while it is not confirmed (a leader may drop it).
const REBROADCAST_EVERY: Duration = Duration::from_secs(2);

/// A signed transaction and the last block height its blockhash is valid at.
pub struct Signed {
    pub tx: Transaction,
    pub last_valid_block_height: u64,
}

impl RpcChain {
    /// `instructions` in one transaction, paid and signed by the keypair (and `cosigners`) at the latest blockhash.
    pub(crate) async fn signed(&self, instructions: &[Instruction], cosigners: &[&Keypair]) -> ChainResult<Signed> {
        let confirmed = CommitmentConfig::confirmed();
        let (blockhash, last_valid_block_height) =
            self.read(|| self.client.get_latest_blockhash_with_commitment(confirmed)).await?;
        let mut signers = vec![&self.payer];
        signers.extend_from_slice(cosigners);
        let mut tx = Transaction::new_with_payer(instructions, Some(&self.payer.pubkey()));
        tx.try_sign(&signers, blockhash).map_err(|e| Error::Input(format!("signing: {e}")))?;
        Ok(Signed { tx, last_valid_block_height })
    }

    /// Lands `signed` (see the module): its signature once confirmed. A program refusal in the first broadcast's
    /// preflight is the program's error by name; a failure on chain is too; an unknown fate after
    /// `confirm_timeout` is [`Error::Unconfirmed`] with the signature.
    pub(crate) async fn land(&self, signed: &Signed, instructions: &[Instruction]) -> ChainResult<String> {
        let signature = signed.tx.signatures[0];
        let unconfirmed = |reason: String| Error::Unconfirmed { signature: signature.to_string(), reason };
        if let Err(error) = self.client.send_transaction(&signed.tx).await {
            let already =
                error.get_transaction_error() == Some(solana_transaction_error::TransactionError::AlreadyProcessed);
            match classify_for(error, instructions) {
                // It may have reached a node: only its status can say.
                Error::Transport(reason) => tracing::debug!(%reason, "broadcast failed; polling its signature"),
                // The same bytes were sent before (a caller's second try on an unchanged blockhash): its status says.
                _ if already => {}
                refused => return Err(refused),
            }
        }
        let started = Instant::now();
        let (mut wait, mut broadcast_at) = (POLL_FIRST, Instant::now());
        let mut last_error = String::from("not seen by the node yet");
        while started.elapsed() < self.confirm_timeout {
            // The height first: a status read after it that finds nothing, with the height past the blockhash's last
            // valid one, proves the transaction can no longer land.
            let height = self.client.get_block_height_with_commitment(CommitmentConfig::confirmed()).await.ok();
            match self.client.get_signature_status_with_commitment(&signature, CommitmentConfig::confirmed()).await {
                Ok(Some(Ok(()))) => return Ok(signature.to_string()),
                Ok(Some(Err(failure))) => return Err(Error::from_transaction_error(&failure, &[], instructions)),
                Ok(None) if height.is_some_and(|h| h > signed.last_valid_block_height) => {
                    let reason = "its blockhash expired before it landed".to_string();
                    return Err(Error::Transaction { reason, transient: true });
                }
                Ok(None) => {}
                Err(error) => last_error = classify(error).to_string(),
            }
            if broadcast_at.elapsed() >= REBROADCAST_EVERY {
                // The same bytes, no preflight: whatever the node answers, the status decides.
                let config = RpcSendTransactionConfig { skip_preflight: true, ..RpcSendTransactionConfig::default() };
                let _ = self.client.send_transaction_with_config(&signed.tx, config).await;
                broadcast_at = Instant::now();
            }
            tokio::time::sleep(wait).await;
            wait = (wait * 2).min(POLL_MAX);
        }
        Err(unconfirmed(last_error))
    }
}
