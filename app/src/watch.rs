//! Account discovery by websocket: the keeper subscribes to every margin account of its market
//! (`programSubscribe`, the scan's own filters) and keeps them as the node reports each change, instead of asking
//! for all of them (`getProgramAccounts`) every round. A snapshot still seeds the set, and heals it every
//! `RpcChain::snapshot_every`: a notification can be lost (a dropped socket, a node restart), a snapshot cannot
//! miss an account. Each account keeps the slot it was last seen at, so a late notification never overwrites a
//! newer snapshot, nor the other way round. When the subscription ends the set is no longer trusted and every round
//! scans until it is subscribed again.
//!
//! A socket can die half-open (a node that vanished without closing it): nothing arrives, and the client's own
//! pings go into a buffer TCP gives up on only after minutes, so a quiet market and a dead socket look alike. A
//! heartbeat tells them apart: every [`Heartbeat::every`] the watch asks the node something over the same socket (a
//! `slotSubscribe`, then its unsubscribe) and ends the subscription when no answer comes within
//! [`Heartbeat::deadline`]. Any answer, an error included, proves the socket alive.

use crate::error::{Error, Result};
use anchor_lang::prelude::Pubkey;
use backstop::state::MarginAccount;
use backstop_client::read::read;
use futures_util::StreamExt;
use solana_account_decoder_client_types::UiAccount;
use solana_pubsub_client::nonblocking::pubsub_client::PubsubClient;
use solana_rpc_client_api::config::RpcProgramAccountsConfig;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// How long a subscription may take to be confirmed.
pub const SUBSCRIBE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// How often the subscription's socket is asked for a sign of life, and how long the answer may take.
#[derive(Debug, Clone, Copy)]
pub struct Heartbeat {
    pub every: std::time::Duration,
    pub deadline: std::time::Duration,
}

impl Default for Heartbeat {
    fn default() -> Self {
        Self { every: std::time::Duration::from_secs(20), deadline: std::time::Duration::from_secs(10) }
    }
}

/// An account as last seen, with the slot it was seen at.
type Seen = BTreeMap<Pubkey, (u64, MarginAccount)>;

/// The margin accounts of one market as the subscription keeps them.
#[derive(Clone)]
pub struct AccountWatch {
    pub market: Pubkey,
    accounts: Arc<Mutex<Seen>>,
    live: Arc<AtomicBool>,
    updates: Arc<AtomicU64>,
}

impl AccountWatch {
    /// Subscribes at `ws_url` with `config` (the scan's filters) from a task of its own; returns once subscribed,
    /// or refuses after [`SUBSCRIBE_TIMEOUT`] (an endpoint that accepts the connection and never answers must not
    /// hold up a round).
    pub async fn start(
        ws_url: &str,
        market: Pubkey,
        config: RpcProgramAccountsConfig,
        heartbeat: Heartbeat,
    ) -> Result<Self> {
        let watch =
            Self { market, accounts: Arc::default(), live: Arc::new(AtomicBool::new(false)), updates: Arc::default() };
        let (subscribed, confirmed) = tokio::sync::oneshot::channel();
        let (task, url) = (watch.clone(), ws_url.to_string());
        tokio::spawn(async move {
            let client = match PubsubClient::new(url.as_str()).await {
                Ok(client) => client,
                Err(error) => return drop(subscribed.send(Err(format!("{url}: {error}")))),
            };
            let (mut notifications, _unsubscribe) = match client.program_subscribe(&backstop::ID, Some(config)).await {
                Ok(subscription) => subscription,
                Err(error) => return drop(subscribed.send(Err(format!("programSubscribe: {error}")))),
            };
            task.live.store(true, Ordering::SeqCst);
            let _ = subscribed.send(Ok(()));
            let mut beat = tokio::time::interval_at(tokio::time::Instant::now() + heartbeat.every, heartbeat.every);
            loop {
                tokio::select! {
                    update = notifications.next() => match update {
                        Some(update) => task.note(&update.value.pubkey, update.context.slot, &update.value.account),
                        None => break,
                    },
                    _ = beat.tick() => {
                        if !answers(&client, heartbeat.deadline).await {
                            tracing::warn!(market = %task.market, deadline = ?heartbeat.deadline, "the subscription's socket did not answer");
                            break;
                        }
                    }
                }
            }
            tracing::warn!(market = %task.market, "the account subscription ended: scanning every round");
            task.live.store(false, Ordering::SeqCst);
        });
        match tokio::time::timeout(SUBSCRIBE_TIMEOUT, confirmed).await {
            Ok(Ok(Ok(()))) => Ok(watch),
            Ok(Ok(Err(reason))) => Err(Error::Transport(reason)),
            Ok(Err(_)) => Err(Error::Transport("the subscription's task ended".to_string())),
            Err(_) => Err(Error::Transport(format!("{ws_url}: no subscription within {SUBSCRIBE_TIMEOUT:?}"))),
        }
    }

    /// Whether the subscription is still delivering (it ends when the socket closes or misses a heartbeat).
    pub fn is_live(&self) -> bool {
        self.live.load(Ordering::SeqCst)
    }

    /// Notifications received so far.
    pub fn updates(&self) -> u64 {
        self.updates.load(Ordering::SeqCst)
    }

    /// A snapshot taken at `slot`: every account in it as seen then, unless a newer notification already came. A
    /// snapshot without its slot (0: a node that gave no context) replaces the set whole.
    pub fn seed(&self, slot: u64, snapshot: &[(Pubkey, MarginAccount)]) {
        let mut seen = self.lock();
        if slot == 0 {
            seen.clear();
        }
        for (address, account) in snapshot {
            let stale = seen.get(address).is_some_and(|(at, _)| *at > slot);
            if !stale {
                seen.insert(*address, (slot, *account));
            }
        }
    }

    /// Every account of the market as last seen, in address order.
    pub fn accounts(&self) -> Vec<(Pubkey, MarginAccount)> {
        self.lock().iter().map(|(address, (_, account))| (*address, *account)).collect()
    }

    fn note(&self, address: &str, slot: u64, account: &UiAccount) {
        self.updates.fetch_add(1, Ordering::SeqCst);
        let decoded = address.parse::<Pubkey>().ok().zip(account.data.decode()).zip(account.owner.parse().ok());
        let Some(((address, data), owner)) = decoded else {
            return tracing::warn!(%address, "an undecodable account notification");
        };
        // Only this market's margin accounts (the node's filters say so; the watch does not take it on trust).
        let Ok(account) = read::<MarginAccount>(&data, &owner) else { return };
        if account.market != self.market {
            return tracing::warn!(%address, "a notification for another market's account");
        }
        let mut seen = self.lock();
        if seen.get(&address).is_none_or(|(at, _)| *at <= slot) {
            seen.insert(address, (slot, account));
        }
    }

    fn lock(&self) -> MutexGuard<'_, Seen> {
        self.accounts.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Whether the node answers a request over `client`'s socket within `deadline` (a refusal is an answer).
async fn answers(client: &PubsubClient, deadline: std::time::Duration) -> bool {
    let probe = async {
        if let Ok((_slots, unsubscribe)) = client.slot_subscribe().await {
            unsubscribe().await;
        }
    };
    tokio::time::timeout(deadline, probe).await.is_ok()
}

#[cfg(test)]
#[path = "watch/tests.rs"]
mod tests;
