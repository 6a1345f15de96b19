//! Real Pyth legacy price accounts (tests/fixtures/pyth, see SOURCES.md there), with only the fields a test moves
//! rewritten in place: the layout stays the genuine one.

use anchor_lang::prelude::Pubkey;
use solana_account::Account;

/// Field offsets in the legacy PriceAccount (pyth-sdk-solana `state.rs`).
const EXPO: usize = 20;
const TIMESTAMP: usize = 96;
const AGG_PRICE: usize = 208;
const AGG_CONF: usize = 216;
const AGG_STATUS: usize = 224;

pub const STATUS_UNKNOWN: u32 = 0;
pub const STATUS_TRADING: u32 = 1;
pub const STATUS_HALTED: u32 = 2;

/// SOL/USD as published on 2024-06-09 (159.3354425 ± 0.115166, expo -8, Trading).
pub const LEGACY_SOL_USD: &[u8] = include_bytes!("../fixtures/pyth/legacy-sol-usd.bin");
/// SOL/USD after the legacy feeds were wound down (status Unknown).
pub const LEGACY_SOL_USD_UNKNOWN: &[u8] = include_bytes!("../fixtures/pyth/legacy-sol-usd-unknown-2024-11.bin");

/// A legacy price account built from fixture bytes.
#[derive(Clone)]
pub struct LegacyPrice {
    pub data: Vec<u8>,
}

impl LegacyPrice {
    pub fn from_fixture(bytes: &[u8]) -> Self {
        Self { data: bytes.to_vec() }
    }

    /// Price and confidence as mantissas at the account's exponent.
    pub fn set(&mut self, price: i64, conf: u64, publish_time: i64) -> &mut Self {
        self.data[AGG_PRICE..AGG_PRICE + 8].copy_from_slice(&price.to_le_bytes());
        self.data[AGG_CONF..AGG_CONF + 8].copy_from_slice(&conf.to_le_bytes());
        self.data[TIMESTAMP..TIMESTAMP + 8].copy_from_slice(&publish_time.to_le_bytes());
        self
    }

    pub fn set_status(&mut self, status: u32) -> &mut Self {
        self.data[AGG_STATUS..AGG_STATUS + 4].copy_from_slice(&status.to_le_bytes());
        self
    }

    pub fn set_expo(&mut self, expo: i32) -> &mut Self {
        self.data[EXPO..EXPO + 4].copy_from_slice(&expo.to_le_bytes());
        self
    }

    pub fn expo(&self) -> i32 {
        i32::from_le_bytes(self.data[EXPO..EXPO + 4].try_into().expect("4 bytes"))
    }

    pub fn price(&self) -> i64 {
        i64::from_le_bytes(self.data[AGG_PRICE..AGG_PRICE + 8].try_into().expect("8 bytes"))
    }

    pub fn publish_time(&self) -> i64 {
        i64::from_le_bytes(self.data[TIMESTAMP..TIMESTAMP + 8].try_into().expect("8 bytes"))
    }

    pub fn account(&self, owner: Pubkey) -> Account {
        Account { lamports: 23_942_400, data: self.data.clone(), owner, executable: false, rent_epoch: 0 }
    }
}
