//! An RPC node as a [`Chain`]: any URL, any keypair file (the Solana CLI's conventions).

use crate::chain::{Chain, ChainResult};
use crate::error::Error;
use crate::watch::AccountWatch;
use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use anchor_lang::Discriminator;
use backstop::state::MarginAccount;
use backstop_client::read::read;
use solana_account_decoder_client_types::{UiAccount, UiAccountEncoding};
use solana_commitment_config::CommitmentConfig;
use solana_keypair::Keypair;
use solana_rpc_client::nonblocking::rpc_client::RpcClient;
use solana_rpc_client_api::client_error::{Error as ClientError, ErrorKind};
use solana_rpc_client_api::config::{RpcAccountInfoConfig, RpcProgramAccountsConfig};
use solana_rpc_client_api::filter::{Memcmp, RpcFilterType};
use solana_rpc_client_api::request::{RpcError, RpcRequest, RpcResponseErrorData};
use solana_rpc_client_api::response::{OptionalContext, Response, RpcKeyedAccount};
use solana_signer::Signer;

/// The Clock sysvar's address and the offset of `unix_timestamp` in its data.
const CLOCK_SYSVAR: Pubkey = anchor_lang::pubkey!("SysvarC1ock11111111111111111111111111111111");
const UNIX_TIMESTAMP_OFFSET: usize = 32;

pub struct RpcChain {
    pub client: RpcClient,
    pub payer: Keypair,
    /// How long a sent transaction is polled for before it is reported [`Error::Unconfirmed`].
    pub confirm_timeout: std::time::Duration,
    /// Further attempts at a request that failed in transport, waiting `backoff` before the first and doubling it
    /// before each next: a read (it changes nothing), the latest blockhash, or the broadcast of the same signed
    /// transaction (one signature: it lands at most once, so a broadcast whose answer was lost is never a second
    /// action). The keeper sets it, so one dropped request does not cost a whole round in a crash. 0: none.
    pub retries: u32,
    pub backoff: std::time::Duration,
    /// The margin accounts of one market kept by a websocket subscription ([`RpcChain::subscribe`]); `None`: every
    /// scan is a `getProgramAccounts`.
    pub watch: Option<AccountWatch>,
    /// How often a subscribed scan is healed by a full snapshot all the same.
    pub snapshot_every: std::time::Duration,
    /// The websocket endpoint subscribed at, to subscribe again after the subscription ends.
    ws_url: Option<String>,
    last_subscribe: Option<std::time::Instant>,
    last_snapshot: Option<std::time::Instant>,
    /// The slot of the newest transaction of this client's own that it saw confirmed. Every account read asks for
    /// state at least that new (`minContextSlot`), so behind a load balancer a node that has not caught up yet
    /// cannot answer with the state before the keeper's own liquidation (it refuses, -32016, and the read is made
    /// again; a node that never gets there, or a slot a lying node reported, is forgotten after those attempts).
    seen_slot: std::sync::atomic::AtomicU64,
}

impl RpcChain {
    pub fn new(url: &str, payer: Keypair) -> Self {
        let client = RpcClient::new_with_commitment(url.to_string(), CommitmentConfig::confirmed());
        let backoff = std::time::Duration::from_millis(250);
        Self {
            client,
            payer,
            confirm_timeout: CONFIRM_TIMEOUT,
            retries: 0,
            backoff,
            watch: None,
            snapshot_every: std::time::Duration::from_secs(60),
            ws_url: None,
            last_subscribe: None,
            last_snapshot: None,
            seen_slot: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// Whether a read asked at `seen` failed because no node reached it (the slot was then forgotten): it is made
    /// once more at none, so a slot nobody reaches costs a read's retries, never the read.
    fn forgot(&self, seen: Option<u64>) -> bool {
        seen.is_some() && self.min_context_slot().is_none()
    }

    /// `getAccountInfo`, sent raw, answered at `min_context_slot` or later.
    async fn account_at(
        &self,
        address: Pubkey,
        min_context_slot: Option<u64>,
    ) -> ChainResult<Response<Option<UiAccount>>> {
        let config = RpcAccountInfoConfig {
            encoding: Some(UiAccountEncoding::Base64),
            commitment: Some(CommitmentConfig::confirmed()),
            min_context_slot,
            ..Default::default()
        };
        let params = serde_json::json!([address.to_string(), config]);
        self.read(|| self.client.send(RpcRequest::GetAccountInfo, params.clone())).await
    }

    /// The margin-account scan of `market`, answered at `min_context_slot` or later.
    async fn scan_at(
        &self,
        market: Pubkey,
        min_context_slot: Option<u64>,
    ) -> ChainResult<OptionalContext<Vec<RpcKeyedAccount>>> {
        let mut scan = margin_account_scan(market);
        scan.account_config.min_context_slot = min_context_slot;
        let params = serde_json::json!([backstop::ID.to_string(), scan]);
        self.read(|| self.client.send(RpcRequest::GetProgramAccounts, params.clone())).await
    }

    /// The fees recently paid by transactions writing `accounts`, one per recent slot.
    async fn fees(&self, accounts: &[Pubkey]) -> ChainResult<Vec<u64>> {
        let fees = self.read(|| self.client.get_recent_prioritization_fees(accounts)).await?;
        Ok(fees.into_iter().map(|fee| fee.prioritization_fee).collect())
    }

    /// Notes that the cluster has reached `slot` (reads from now on ask for state at least that new).
    pub(crate) fn saw_slot(&self, slot: u64) {
        self.seen_slot.fetch_max(slot, std::sync::atomic::Ordering::SeqCst);
    }

    /// The slot every read must be answered at or after (`None` before anything was seen).
    pub(crate) fn min_context_slot(&self) -> Option<u64> {
        Some(self.seen_slot.load(std::sync::atomic::Ordering::SeqCst)).filter(|slot| *slot > 0)
    }

    /// `request` again while it fails in transport, up to `retries` more times with backoff; a node not yet at the
    /// slot the read asks for (-32016) is asked again at least [`BEHIND_RETRIES`] times, whatever `retries` says:
    /// it is catching up, and a CLI must not fail, or read state older than its own transaction, for it.
    pub(crate) async fn read<T, F, Fut>(&self, request: F) -> ChainResult<T>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<T, ClientError>>,
    {
        let (mut attempt, mut wait) = (0, self.backoff);
        loop {
            let answer = request().await;
            let behind = answer.as_ref().err().is_some_and(is_behind);
            let allowed = if behind { self.retries.max(BEHIND_RETRIES) } else { self.retries };
            if behind && attempt >= allowed {
                // No node got there: the slot is forgotten, so the next read is served (a lying node's slot
                // costs one read, not the keeper).
                tracing::warn!(slot = ?self.min_context_slot(), "no node reached the slot of the last transaction: forgetting it");
                self.seen_slot.store(0, std::sync::atomic::Ordering::SeqCst);
            }
            match answer.map_err(classify) {
                Err(error @ Error::Transport(_)) if attempt < allowed => {
                    attempt += 1;
                    tracing::debug!(attempt, kind = error.kind(), %error, "read failed, retrying");
                    tokio::time::sleep(wait).await;
                    wait = wait.saturating_mul(2);
                }
                result => return result,
            }
        }
    }
}

/// What an RPC failure was: a refused transaction by the program's error name (when Backstop's instruction in
/// `instructions` raised it), a dead connection or an unhealthy node as transport (worth a retry).
pub fn classify_for(error: ClientError, instructions: &[Instruction]) -> Error {
    if let Some(failure) = error.get_transaction_error() {
        return Error::from_transaction_error(&failure, &preflight_logs(&error), instructions);
    }
    let final_refusal = |error: &ClientError| Error::Transaction { reason: error.to_string(), transient: false };
    match error.kind() {
        // An endpoint refusing the request itself (401, 403, 413, ...) will refuse it again; a rate limit (429), a
        // server error (5xx), a timeout or a dropped connection may not.
        ErrorKind::Reqwest(inner) if inner.status().is_some_and(|s| s.is_client_error() && s.as_u16() != 429) => {
            final_refusal(&error)
        }
        ErrorKind::Io(_) | ErrorKind::Reqwest(_) | ErrorKind::Middleware(_) | ErrorKind::SerdeJson(_) => {
            Error::Transport(error.to_string())
        }
        // A node unhealthy or behind (-32005), a slot or block it does not have yet (-32004, -32016): another try
        // may succeed. Any other JSON-RPC error (a malformed or unverifiable transaction, an unknown method) is final.
        ErrorKind::RpcError(RpcError::RpcResponseError { code: -32005 | -32004 | -32016, .. }) => {
            Error::Transport(error.to_string())
        }
        ErrorKind::SigningError(_) => Error::Input(error.to_string()),
        _ => final_refusal(&error),
    }
}

/// How many times a read refused by a node behind the slot it asks for is made again, at least.
pub const BEHIND_RETRIES: u32 = 5;

/// A node answering that it has not reached the read's `minContextSlot` yet.
fn is_behind(error: &ClientError) -> bool {
    matches!(error.kind(), ErrorKind::RpcError(RpcError::RpcResponseError { code: -32016, .. }))
}

/// [`classify_for`] a request that carried no transaction.
pub fn classify(error: ClientError) -> Error {
    classify_for(error, &[])
}

/// The program logs a failed simulation returned (they name a framework refusal).
fn preflight_logs(error: &ClientError) -> Vec<String> {
    match error.kind() {
        ErrorKind::RpcError(RpcError::RpcResponseError {
            data: RpcResponseErrorData::SendTransactionPreflightFailure(result),
            ..
        }) => result.logs.clone().unwrap_or_default(),
        _ => Vec::new(),
    }
}

impl RpcChain {
    /// [`RpcChain::send_returning_signature`], the transaction also signed by `cosigners` (an account created in
    /// it, an owner the keypair pays for).
    pub async fn send_cosigned(&self, instructions: &[Instruction], cosigners: &[&Keypair]) -> ChainResult<String> {
        self.land(&self.signed(instructions, cosigners).await?, instructions).await
    }

    /// Sends `instructions` in one transaction signed by the keypair; returns its signature once confirmed
    /// ([`RpcChain::land`]).
    pub async fn send_returning_signature(&self, instructions: &[Instruction]) -> ChainResult<String> {
        self.land(&self.signed(instructions, &[]).await?, instructions).await
    }

    /// Runs `instructions` in a simulation and returns what the last program returned (a view such as
    /// `fund_health`: the program's own computation, nothing sent).
    pub async fn simulate_return_data(&self, instructions: &[Instruction]) -> ChainResult<Vec<u8>> {
        let tx = self.signed(instructions, &[]).await?.tx;
        let result = self.client.simulate_transaction(&tx).await.map_err(classify)?.value;
        if let Some(failure) = result.err {
            let logs = result.logs.unwrap_or_default();
            return Err(Error::from_transaction_error(&failure.into(), &logs, instructions));
        }
        let odd = |reason: String| Error::Transaction { reason, transient: false };
        let (encoded, _) = result.return_data.ok_or_else(|| odd("the view returned nothing".into()))?.data;
        use base64::Engine;
        base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .map_err(|e| odd(format!("the view's return data is not base64: {e}")))
    }
}

/// How long a sent transaction is polled for before it is reported unconfirmed (its blockhash lives ~60-90 s).
const CONFIRM_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(90);

/// How many fee reads of a round's actions are in flight at once, and how long they may take together.
const FEE_READS_IN_FLIGHT: usize = 16;
const FEE_READS_WITHIN: std::time::Duration = std::time::Duration::from_secs(2);

/// How often a keeper whose subscription ended tries to subscribe again.
const RESUBSCRIBE_EVERY: std::time::Duration = std::time::Duration::from_secs(30);

/// The filters of a margin-account scan of `market`: size, discriminator, and the market at offset 40.
fn margin_account_scan(market: Pubkey) -> RpcProgramAccountsConfig {
    let size = 8 + core::mem::size_of::<MarginAccount>();
    RpcProgramAccountsConfig {
        filters: Some(vec![
            RpcFilterType::DataSize(size as u64),
            RpcFilterType::Memcmp(Memcmp::new_raw_bytes(0, MarginAccount::DISCRIMINATOR.to_vec())),
            RpcFilterType::Memcmp(Memcmp::new_raw_bytes(40, market.to_bytes().to_vec())),
        ]),
        account_config: RpcAccountInfoConfig {
            encoding: Some(UiAccountEncoding::Base64),
            commitment: Some(CommitmentConfig::confirmed()),
            ..Default::default()
        },
        with_context: Some(true),
        ..Default::default()
    }
}

impl RpcChain {
    /// Keeps `market`'s margin accounts by a subscription at `ws_url` from now on (the keeper's `--subscribe`).
    /// A failure leaves every scan a snapshot, and each one tries to subscribe again.
    pub async fn subscribe(&mut self, ws_url: &str, market: Pubkey) -> ChainResult<()> {
        self.ws_url = Some(ws_url.to_string());
        self.last_subscribe = Some(std::time::Instant::now());
        self.watch = None;
        let scan = margin_account_scan(market);
        self.watch = Some(AccountWatch::start(ws_url, market, scan, crate::watch::Heartbeat::default()).await?);
        self.last_snapshot = None;
        Ok(())
    }

    /// After a subscription ended, an attempt to subscribe again, at most one a [`RESUBSCRIBE_EVERY`] (failing,
    /// scans are snapshots meanwhile).
    async fn resubscribe(&mut self, market: Pubkey) {
        let ended = match &self.watch {
            Some(watch) => watch.market == market && !watch.is_live(),
            None => true,
        };
        let due = self.last_subscribe.is_none_or(|at| at.elapsed() >= RESUBSCRIBE_EVERY);
        let Some(ws_url) = self.ws_url.clone().filter(|_| ended && due) else { return };
        match self.subscribe(&ws_url, market).await {
            Ok(()) => tracing::info!(%market, "subscribed again"),
            Err(error) => tracing::warn!(%market, kind = error.kind(), %error, "could not subscribe again"),
        }
    }

    /// Every margin account of `market` and the slot they were read at (`getProgramAccounts` with its context).
    async fn snapshot(&self, market: Pubkey) -> ChainResult<(u64, Vec<(Pubkey, MarginAccount)>)> {
        let seen = self.min_context_slot();
        let answer = match self.scan_at(market, seen).await {
            Err(_) if self.forgot(seen) => self.scan_at(market, None).await?,
            answered => answered?,
        };
        let (slot, accounts) = match answer {
            OptionalContext::Context(response) => (response.context.slot, response.value),
            OptionalContext::NoContext(accounts) => (0, accounts),
        };
        let decoded = accounts.into_iter().map(|keyed| {
            let undecodable = || Error::Transport(format!("{}: the node returned undecodable data", keyed.pubkey));
            let address: Pubkey = keyed.pubkey.parse().map_err(|_| undecodable())?;
            let data = keyed.account.data.decode().ok_or_else(undecodable)?;
            let owner = keyed.account.owner.parse().map_err(|_| undecodable())?;
            Ok((address, read(&data, &owner)?))
        });
        Ok((slot, decoded.collect::<ChainResult<Vec<_>>>()?))
    }
}

impl Chain for RpcChain {
    async fn now(&mut self) -> ChainResult<i64> {
        let malformed = || Error::Account("the clock sysvar is malformed".to_string());
        let (data, _) = self.account(CLOCK_SYSVAR).await?.ok_or_else(malformed)?;
        let bytes = data.get(UNIX_TIMESTAMP_OFFSET..UNIX_TIMESTAMP_OFFSET + 8).ok_or_else(malformed)?;
        Ok(i64::from_le_bytes(bytes.try_into().map_err(|_| malformed())?))
    }

    /// getAccountInfo, sent raw: the client's own wrapper reports a dead connection as "AccountNotFound", and an
    /// operator must be able to tell the two apart.
    async fn account(&mut self, address: Pubkey) -> ChainResult<Option<(Vec<u8>, Pubkey)>> {
        let seen = self.min_context_slot();
        let response = match self.account_at(address, seen).await {
            Err(_) if self.forgot(seen) => self.account_at(address, None).await?,
            answered => answered?,
        };
        let Some(account) = response.value else { return Ok(None) };
        let undecodable = || Error::Transport(format!("{address}: the node returned undecodable data"));
        let data = account.data.decode().ok_or_else(undecodable)?;
        Ok(Some((data, account.owner.parse().map_err(|_| undecodable())?)))
    }

    /// The market's margin accounts: kept by the subscription when there is one (a snapshot every
    /// `snapshot_every` heals it), otherwise a `getProgramAccounts` filtered by size, discriminator and market.
    async fn margin_accounts(&mut self, market: Pubkey) -> ChainResult<Vec<(Pubkey, MarginAccount)>> {
        self.resubscribe(market).await;
        let watched = self.watch.as_ref().filter(|watch| watch.market == market && watch.is_live()).cloned();
        let fresh = self.last_snapshot.is_some_and(|at| at.elapsed() < self.snapshot_every);
        if let (Some(watch), true) = (&watched, fresh) {
            return Ok(watch.accounts());
        }
        let (slot, snapshot) = self.snapshot(market).await?;
        let Some(watch) = watched else { return Ok(snapshot) };
        watch.seed(slot, &snapshot);
        self.last_snapshot = Some(std::time::Instant::now());
        Ok(watch.accounts())
    }
    async fn send(&mut self, instructions: &[Instruction]) -> ChainResult<()> {
        self.send_returning_signature(instructions).await.map(|_| ())
    }

    /// Every transaction of `batch` signed, broadcast and confirmed together: one that does not land holds up
    /// none of the others.
    async fn send_batch(&mut self, batch: &[Vec<Instruction>]) -> Vec<ChainResult<()>> {
        self.send_window(batch, batch.len()).await
    }

    /// A sliding window: `width` transactions in flight, the next signed and broadcast as soon as any one settles.
    async fn send_window(&mut self, batch: &[Vec<Instruction>], width: usize) -> Vec<ChainResult<()>> {
        use futures_util::StreamExt;
        let this = &*self;
        let landing = batch.iter().enumerate().map(|(index, instructions)| async move {
            (index, this.send_returning_signature(instructions).await.map(|_| ()))
        });
        let mut settled: Vec<(usize, ChainResult<()>)> =
            futures_util::stream::iter(landing).buffer_unordered(width.max(1)).collect().await;
        settled.sort_by_key(|(index, _)| *index);
        settled.into_iter().map(|(_, result)| result).collect()
    }

    fn keeper(&self) -> Pubkey {
        self.payer.pubkey()
    }

    async fn recent_prioritization_fees(&mut self, accounts: &[Pubkey]) -> ChainResult<Vec<u64>> {
        self.fees(accounts).await
    }

    /// Every set's fees, [`FEE_READS_IN_FLIGHT`] asked at once and all within [`FEE_READS_WITHIN`]: a set not read
    /// by then is unreadable (its action bids the cap), so a round's bids never hold up its first liquidation long.
    async fn recent_prioritization_fees_each(&mut self, sets: &[Vec<Pubkey>]) -> Vec<ChainResult<Vec<u64>>> {
        use futures_util::StreamExt;
        let this = &*self;
        let mut fees: Vec<ChainResult<Vec<u64>>> =
            sets.iter().map(|_| Err(Error::Transport("recent fees not read in time".to_string()))).collect();
        let reads = futures_util::stream::iter(sets.iter().enumerate())
            .map(|(index, accounts)| async move { (index, this.fees(accounts).await) })
            .buffer_unordered(FEE_READS_IN_FLIGHT);
        let mut reads = std::pin::pin!(reads);
        let deadline = tokio::time::Instant::now() + FEE_READS_WITHIN;
        while let Ok(Some((index, read))) = tokio::time::timeout_at(deadline, reads.next()).await {
            fees[index] = read;
        }
        fees
    }
}
