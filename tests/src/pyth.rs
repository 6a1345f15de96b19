//! Real Pyth legacy price accounts (tests/fixtures/pyth, see SOURCES.md there), with only the fields a test moves
//! rewritten in place: the layout stays the genuine one.

use anchor_lang::prelude::Pubkey;
use solana_account::Account;

/// Field offsets in the legacy PriceAccount (pyth-sdk-solana `state.rs`).
const EXPO: usize = 20;
const EMA_PRICE: usize = 48;
const EMA_CONF: usize = 72;
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

    /// Price and confidence as mantissas at the account's exponent; the EMAs follow them (an honest, settled
    /// move). [`LegacyPrice::set_ema`] and [`LegacyPrice::set_ema_conf`] set them apart.
    pub fn set(&mut self, price: i64, conf: u64, publish_time: i64) -> &mut Self {
        self.set_ema(price).set_ema_conf(conf);
        self.data[AGG_PRICE..AGG_PRICE + 8].copy_from_slice(&price.to_le_bytes());
        self.data[AGG_CONF..AGG_CONF + 8].copy_from_slice(&conf.to_le_bytes());
        self.data[TIMESTAMP..TIMESTAMP + 8].copy_from_slice(&publish_time.to_le_bytes());
        self
    }

    pub fn set_ema(&mut self, ema: i64) -> &mut Self {
        self.data[EMA_PRICE..EMA_PRICE + 8].copy_from_slice(&ema.to_le_bytes());
        self
    }

    pub fn set_ema_conf(&mut self, ema_conf: u64) -> &mut Self {
        self.data[EMA_CONF..EMA_CONF + 8].copy_from_slice(&ema_conf.to_le_bytes());
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

/// SOL/USD PriceUpdateV2 (Full), owned by the Pyth receiver: 215.6813707 ± 0.20134469, expo -8.
pub const PULL_SOL_USD: &[u8] = include_bytes!("../fixtures/pyth/pull-sol-usd.bin");
/// SOL/USD PriceUpdateV2 (Partial, 2 signatures), from drift's receiver deployment.
pub const PULL_SOL_USD_PARTIAL: &[u8] = include_bytes!("../fixtures/pyth/pull-sol-usd-partial.bin");
/// The SOL/USD feed id.
pub const SOL_USD_FEED_ID: [u8; 32] = [
    0xef, 0x0d, 0x8b, 0x6f, 0xda, 0x2c, 0xeb, 0xa4, 0x1d, 0xa1, 0x5d, 0x40, 0x95, 0xd1, 0xda, 0x39, 0x2a, 0x0d, 0x2f,
    0x8e, 0xd0, 0xc6, 0xc7, 0xbc, 0x0f, 0x4c, 0xfa, 0xc8, 0xc2, 0x80, 0xb5, 0x6d,
];
/// drift's own receiver deployment, which writes the same layout: a market on rec5… must refuse its accounts.
pub const DRIFT_RECEIVER: Pubkey = anchor_lang::pubkey!("G6EoTTTgpkNBtVXo96EQp2m6uwwVh2Kt6YidjkmQqoha");

/// A PriceUpdateV2 account built from fixture bytes. Offsets after the verification tag move by one byte when
/// the tag is Partial (it carries a signature count), exactly as the Borsh layout says.
#[derive(Clone)]
pub struct PullPrice {
    pub data: Vec<u8>,
    pub owner: Pubkey,
}

impl PullPrice {
    pub fn from_fixture(bytes: &[u8], owner: Pubkey) -> Self {
        Self { data: bytes.to_vec(), owner }
    }

    /// Byte offset of `field` (its Full-layout offset) in this account.
    fn at(&self, full_offset: usize) -> usize {
        const VERIFICATION_TAG: usize = 40;
        const PARTIAL: u8 = 0;
        full_offset + usize::from(self.data[VERIFICATION_TAG] == PARTIAL)
    }

    fn write(&mut self, full_offset: usize, bytes: &[u8]) {
        let at = self.at(full_offset);
        self.data[at..at + bytes.len()].copy_from_slice(bytes);
    }

    fn read8(&self, full_offset: usize) -> [u8; 8] {
        let at = self.at(full_offset);
        self.data[at..at + 8].try_into().expect("8 bytes")
    }

    /// Price, confidence and publish time; the EMAs follow them ([`PullPrice::set_ema`] and
    /// [`PullPrice::set_ema_conf`] set them apart).
    pub fn set(&mut self, price: i64, conf: u64, publish_time: i64) -> &mut Self {
        self.set_ema(price).set_ema_conf(conf);
        self.write(73, &price.to_le_bytes());
        self.write(81, &conf.to_le_bytes());
        self.write(93, &publish_time.to_le_bytes());
        self.write(101, &publish_time.to_le_bytes());
        self
    }

    pub fn set_ema(&mut self, ema: i64) -> &mut Self {
        self.write(109, &ema.to_le_bytes());
        self
    }

    pub fn set_ema_conf(&mut self, ema_conf: u64) -> &mut Self {
        self.write(117, &ema_conf.to_le_bytes());
        self
    }

    pub fn set_feed_id(&mut self, feed_id: [u8; 32]) -> &mut Self {
        self.write(41, &feed_id);
        self
    }

    pub fn feed_id(&self) -> [u8; 32] {
        let at = self.at(41);
        self.data[at..at + 32].try_into().expect("32 bytes")
    }

    pub fn price(&self) -> i64 {
        i64::from_le_bytes(self.read8(73))
    }

    pub fn conf(&self) -> u64 {
        u64::from_le_bytes(self.read8(81))
    }

    pub fn expo(&self) -> i32 {
        let at = self.at(89);
        i32::from_le_bytes(self.data[at..at + 4].try_into().expect("4 bytes"))
    }

    pub fn publish_time(&self) -> i64 {
        i64::from_le_bytes(self.read8(93))
    }

    pub fn is_partial(&self) -> bool {
        self.data[40] == 0
    }

    pub fn account(&self) -> Account {
        Account { lamports: 1_825_020, data: self.data.clone(), owner: self.owner, executable: false, rent_epoch: 0 }
    }
}

/// Pyth's EMA as the publishers' aggregate keeps it: an exponentially weighted average with a time constant of
/// about an hour (5,921 slots), so a fast crash leaves it behind. Computed from the published series, off-chain.
#[derive(Debug, Clone, Copy)]
pub struct LaggingEma {
    value: f64,
    last_time: i64,
}

/// Pyth's EMA window: 5,921 slots of ~0.4 s, about an hour.
pub const PYTH_EMA_TIME_CONSTANT_SECS: f64 = 5_921.0 * 0.4;

impl LaggingEma {
    pub fn new(price: i64, now: i64) -> Self {
        Self { value: price as f64, last_time: now }
    }

    /// The average as last published, as a mantissa.
    pub fn last(&self) -> i64 {
        self.value.round() as i64
    }

    /// Moves the average toward `price` for the time since the last observation; returns it as a mantissa.
    pub fn observe(&mut self, price: i64, now: i64) -> i64 {
        let elapsed = (now - self.last_time).max(0) as f64;
        let weight = 1.0 - (-elapsed / PYTH_EMA_TIME_CONSTANT_SECS).exp();
        self.value += (price as f64 - self.value) * weight;
        self.last_time = now;
        self.last()
    }
}

/// A market's oracle as the test bank publishes it: the legacy account, or the PriceUpdateV2 one when set, and the
/// EMA lagging the prints when set. Owned, so it can go on publishing away from the bank.
#[derive(Clone)]
pub struct OracleFeed {
    pub legacy: LegacyPrice,
    pub pull: Option<PullPrice>,
    pub lagging_ema: Option<LaggingEma>,
}

impl OracleFeed {
    /// Stamps a new print (mantissa at expo -8) at `now`.
    pub fn publish(&mut self, price: i64, conf: u64, now: i64) {
        OracleFeedMut { legacy: &mut self.legacy, pull: &mut self.pull, lagging_ema: &mut self.lagging_ema }
            .publish(price, conf, now);
    }

    /// The oracle account as it now stands.
    pub fn account(&self) -> Account {
        oracle_account(&self.legacy, &self.pull)
    }

    /// The EMA as last published, when it lags.
    pub fn ema(&self) -> Option<i64> {
        self.lagging_ema.map(|ema| ema.last())
    }
}

/// The same feed, borrowed from wherever its parts live (the bank's `Env` keeps them as fields).
pub struct OracleFeedMut<'a> {
    pub legacy: &'a mut LegacyPrice,
    pub pull: &'a mut Option<PullPrice>,
    pub lagging_ema: &'a mut Option<LaggingEma>,
}

impl OracleFeedMut<'_> {
    /// Stamps a new print (mantissa at expo -8) at `now` on the account the market reads; the EMA follows the
    /// print, or lags it as Pyth's does.
    pub fn publish(self, price: i64, conf: u64, now: i64) {
        let ema = self.lagging_ema.as_mut().map_or(price, |ema| ema.observe(price, now));
        match self.pull {
            Some(update) => {
                update.set(price, conf, now).set_ema(ema);
            }
            None => {
                self.legacy.set(price, conf, now).set_ema(ema);
            }
        }
    }
}

/// The oracle account: the PriceUpdateV2 one when set, else the legacy one (owned by Pyth's legacy program).
pub fn oracle_account(legacy: &LegacyPrice, pull: &Option<PullPrice>) -> Account {
    match pull {
        Some(update) => update.account(),
        None => legacy.account(backstop::oracle::PYTH_LEGACY_PROGRAM_ID),
    }
}
