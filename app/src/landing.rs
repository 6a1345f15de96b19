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
use solana_rpc_client_api::client_error::{Error as ClientError, ErrorKind};
use solana_rpc_client_api::config::RpcSendTransactionConfig;
use solana_rpc_client_api::request::RpcError;
use solana_signer::Signer;
use solana_transaction::Transaction;
use solana_transaction_error::TransactionError;
use std::time::{Duration, Instant};

/// The first wait before asking again whether a sent transaction is confirmed, doubled each time up to
/// [`POLL_MAX`]: a node that confirms within a slot answers within a few polls, and a slow one is not asked more
/// than twice a second.
const POLL_FIRST: Duration = Duration::from_millis(20);
const POLL_MAX: Duration = Duration::from_millis(500);
/// How often the same signed transaction is broadcast again while it is not confirmed (a leader may drop it).
const REBROADCAST_EVERY: Duration = Duration::from_secs(2);

/// What a signature's status says.
enum Landing {
    Confirmed,
    Failed(TransactionError),
    /// Its blockhash's last valid height is behind the confirmed tip, and the node that answered for the
    /// signature had seen that tip and searched its whole history: it can no longer land.
    Expired,
    Pending,
}

/// A refusal that never left the endpoint: a malformed or unverifiable transaction, or the endpoint refusing the
/// request itself (authorisation, size). Anything else after a broadcast may have been forwarded.
fn refused_before_forwarding(error: &ClientError) -> bool {
    match error.kind() {
        ErrorKind::RpcError(RpcError::RpcResponseError { code, .. }) => {
            matches!(code, -32602 | -32003 | -32013 | -32015)
        }
        ErrorKind::Reqwest(inner) => inner.status().is_some_and(|s| matches!(s.as_u16(), 401 | 403 | 413)),
        _ => false,
    }
}

/// A signed transaction and the last block height its blockhash is valid at.
pub struct Signed {
    pub tx: Transaction,
    pub last_valid_block_height: u64,
}

impl RpcChain {
    /// The status of `signed`'s signature, and whether it is proven unable to land: the confirmed tip (slot and
    /// block height read together) is past its last valid block height, and the status answer, searched through the node's whole
    /// history, comes from a node that had seen that tip (a lagging node behind a load balancer proves nothing).
    async fn status(&self, signed: &Signed) -> ChainResult<Landing> {
        let tip = self.client.get_epoch_info_with_commitment(CommitmentConfig::confirmed()).await.ok();
        let answer = self.client.get_signature_statuses_with_history(&signed.tx.signatures[..1]).await;
        let answer = answer.map_err(classify)?;
        // An empty answer (a malformed node) reads as not found.
        match answer.value.first().cloned().flatten() {
            Some(status) if status.satisfies_commitment(CommitmentConfig::confirmed()) => {
                // Later reads must see the state this transaction left, landed or failed (no later than the
                // confirmed tip another node reported: one node's answer cannot set it beyond the cluster's).
                self.saw_slot(tip.as_ref().map_or(status.slot, |tip| status.slot.min(tip.absolute_slot)));
                Ok(match status.status {
                    Ok(()) => Landing::Confirmed,
                    Err(failure) => Landing::Failed(failure),
                })
            }
            Some(_) => Ok(Landing::Pending),
            None => {
                let expired = tip.is_some_and(|tip| {
                    tip.block_height > signed.last_valid_block_height && answer.context.slot >= tip.absolute_slot
                });
                Ok(if expired { Landing::Expired } else { Landing::Pending })
            }
        }
    }

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
            match error.get_transaction_error() {
                // The same bytes were sent before (a caller's second try on an unchanged blockhash): its status says.
                Some(TransactionError::AlreadyProcessed) => {}
                // Refused in preflight: nothing was forwarded (an expired blockhash is transient: sign again).
                Some(_) => return Err(classify_for(error, instructions)),
                None if refused_before_forwarding(&error) => return Err(classify_for(error, instructions)),
                // Anything else may have left: only its status can say.
                None => tracing::debug!(%error, "broadcast failed; polling its signature"),
            }
        }
        let started = Instant::now();
        let (mut wait, mut broadcast_at) = (POLL_FIRST, Instant::now());
        let mut last_error = String::from("not seen by the node yet");
        while started.elapsed() < self.confirm_timeout {
            match self.status(signed).await {
                Ok(Landing::Confirmed) => return Ok(signature.to_string()),
                Ok(Landing::Failed(failure)) => return Err(Error::from_transaction_error(&failure, &[], instructions)),
                Ok(Landing::Expired) => {
                    let reason = "its blockhash expired before it landed".to_string();
                    return Err(Error::Transaction { reason, transient: true });
                }
                Ok(Landing::Pending) => {}
                Err(error) => last_error = error.to_string(),
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
