//! An RPC node as a [`Chain`]: any URL, any keypair file (the Solana CLI's conventions).

use crate::chain::{Chain, ChainResult};
use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use anchor_lang::Discriminator;
use backstop::state::MarginAccount;
use backstop_client::read::read;
use solana_account_decoder_client_types::UiAccountEncoding;
use solana_commitment_config::CommitmentConfig;
use solana_keypair::Keypair;
use solana_rpc_client::nonblocking::rpc_client::RpcClient;
use solana_rpc_client_api::config::{RpcAccountInfoConfig, RpcProgramAccountsConfig};
use solana_rpc_client_api::filter::{Memcmp, RpcFilterType};
use solana_signer::Signer;
use solana_transaction::Transaction;

/// The Clock sysvar's address and the offset of `unix_timestamp` in its data.
const CLOCK_SYSVAR: Pubkey = anchor_lang::pubkey!("SysvarC1ock11111111111111111111111111111111");
const UNIX_TIMESTAMP_OFFSET: usize = 32;

pub struct RpcChain {
    pub client: RpcClient,
    pub payer: Keypair,
}

impl RpcChain {
    pub fn new(url: &str, payer: Keypair) -> Self {
        Self { client: RpcClient::new_with_commitment(url.to_string(), CommitmentConfig::confirmed()), payer }
    }

    /// The Solana CLI's default keypair, `~/.config/solana/id.json`.
    pub fn default_keypair_path() -> String {
        let home = std::env::var("HOME").unwrap_or_else(|_| ".".to_string());
        format!("{home}/.config/solana/id.json")
    }
}

impl RpcChain {
    /// Sends `instructions` in one transaction signed by the keypair; returns its signature.
    pub async fn send_returning_signature(&self, instructions: &[Instruction]) -> ChainResult<String> {
        let blockhash = self.client.get_latest_blockhash().await.map_err(|e| e.to_string())?;
        let tx =
            Transaction::new_signed_with_payer(instructions, Some(&self.payer.pubkey()), &[&self.payer], blockhash);
        self.client.send_and_confirm_transaction(&tx).await.map(|s| s.to_string()).map_err(|e| e.to_string())
    }
}

impl Chain for RpcChain {
    async fn now(&mut self) -> ChainResult<i64> {
        let (data, _) = self.account(CLOCK_SYSVAR).await?.ok_or("no clock sysvar")?;
        let bytes = data.get(UNIX_TIMESTAMP_OFFSET..UNIX_TIMESTAMP_OFFSET + 8).ok_or("clock sysvar too short")?;
        Ok(i64::from_le_bytes(bytes.try_into().map_err(|_| "clock")?))
    }

    async fn account(&mut self, address: Pubkey) -> ChainResult<Option<(Vec<u8>, Pubkey)>> {
        let response = self
            .client
            .get_account_with_commitment(&address, CommitmentConfig::confirmed())
            .await
            .map_err(|e| e.to_string())?;
        Ok(response.value.map(|a| (a.data, a.owner)))
    }

    /// getProgramAccounts filtered by size, discriminator and the market at offset 40.
    async fn margin_accounts(&mut self, market: Pubkey) -> ChainResult<Vec<(Pubkey, MarginAccount)>> {
        let size = 8 + core::mem::size_of::<MarginAccount>();
        let config = RpcProgramAccountsConfig {
            filters: Some(vec![
                RpcFilterType::DataSize(size as u64),
                RpcFilterType::Memcmp(Memcmp::new_raw_bytes(0, MarginAccount::DISCRIMINATOR.to_vec())),
                RpcFilterType::Memcmp(Memcmp::new_raw_bytes(40, market.to_bytes().to_vec())),
            ]),
            account_config: RpcAccountInfoConfig { encoding: Some(UiAccountEncoding::Base64), ..Default::default() },
            ..Default::default()
        };
        let accounts =
            self.client.get_program_ui_accounts_with_config(&backstop::ID, config).await.map_err(|e| e.to_string())?;
        accounts
            .into_iter()
            .map(|(address, account)| {
                let data = account.data.decode().ok_or("undecodable account")?;
                Ok((address, read(&data, &account.owner.parse().map_err(|_| "bad owner")?).map_err(|e| e.to_string())?))
            })
            .collect()
    }

    async fn send(&mut self, instructions: &[Instruction]) -> ChainResult<()> {
        self.send_returning_signature(instructions).await.map(|_| ())
    }

    fn keeper(&self) -> Pubkey {
        self.payer.pubkey()
    }
}
