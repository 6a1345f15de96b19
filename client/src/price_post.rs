//! Posting a fresh Pyth price in front of an action on a pull-oracle market.
//!
//! A pull market reads one account: a price feed account of Pyth's push oracle (the PDA of a shard and a feed id,
//! owned by the Pyth receiver, which is what a market's oracle check accepts). Anyone may write a newer price into
//! it, so a keeper that holds a newer signed update than the account need not wait for Pyth's own pusher in a
//! crash. An update as Pyth's price service serves it (`binary.data` of Hermes's `/v2/updates/price/latest`) is an
//! accumulator update: one Wormhole VAA signing a Merkle root, and for each feed a price message with its Merkle
//! path. Posting it takes three steps, each built here:
//!
//! 1. [`post_vaa`]: the VAA into an encoded-VAA account of the Wormhole core bridge, written in chunks and
//!    verified against the guardian set that signed it: [`VaaPost::transactions`], sent in order. The account is
//!    at an address derived from the payer's key and [`ENCODED_VAA_SEED`], so the keeper's key is the only signer
//!    and a posting interrupted with its outcome unknown leaves at most that one account, found and closed by the
//!    next.
//! 2. [`update_price_feed`]: the push oracle checks the message's Merkle path against the verified root and writes
//!    the feed account, in the same transaction as the action behind it (the keeper's `refresh_market`), which
//!    then reads the price the keeper posted, or a newer one. An update no newer than the account succeeds and
//!    changes nothing, so two keepers posting the same update never fail each other.
//! 3. [`VaaPost::close`]: the encoded VAA closed after the round's actions, its rent back to the payer.
//!
//! Before paying for any of it, [`PriceUpdate::check`] holds the update to what the programs will: a VAA with a
//! quorum of signatures and at most the guardian set's, from Pythnet's accumulator emitter, and every message's
//! Merkle path leading to the root the VAA signs; a price service that forges or alters a message is caught here,
//! not by a failed transaction (forged signatures are caught only by Wormhole's verification).
//! Nothing here is trusted by Backstop: the market accepts the feed account only as the receiver wrote it, with
//! the verification level and guards it always applies.

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::{AccountMeta, Instruction};
use anchor_lang::solana_program::{rent::Rent, system_instruction, system_program};
use anchor_lang::AnchorSerialize;
use pyth_solana_receiver_sdk::PostUpdateParams;
use pythnet_sdk::accumulators::merkle::MerkleRoot;
use pythnet_sdk::hashers::keccak256_160::Keccak160;
use pythnet_sdk::messages::Message;
use pythnet_sdk::wire::from_slice;
use pythnet_sdk::wire::v1::{AccumulatorUpdateData, MerklePriceUpdate, Proof, WormholeMessage, WormholePayload};
use solana_sha256_hasher::hash;

/// The Wormhole core bridge on every Solana cluster: verifies the VAA's guardian signatures.
pub const WORMHOLE_PROGRAM_ID: Pubkey = anchor_lang::pubkey!("HDwcJBJXjL9FpJ7UBsYBtaDjsBUhuLCUYoz3zr8SWWaQ");
/// Pyth's push oracle: owns the price feed accounts' addresses and writes them through the receiver.
pub const PUSH_ORACLE_PROGRAM_ID: Pubkey = pyth_solana_receiver_sdk::PYTH_PUSH_ORACLE_ID;
/// Pyth's receiver: checks a price message against a verified VAA and owns every price account.
pub const RECEIVER_PROGRAM_ID: Pubkey = pyth_solana_receiver_sdk::ID;

/// An encoded-VAA account holds a 46-byte header (discriminator, status, write authority, version, length)
/// before the VAA's bytes.
pub const ENCODED_VAA_HEADER_LEN: usize = 46;
/// The seed of the keeper's one encoded-VAA account.
pub const ENCODED_VAA_SEED: &str = "backstop-price-post";
/// A VAA's signatures start after its version (1), guardian set index (4) and signature count (1); each is 66
/// bytes (the guardian's index and a 65-byte recoverable signature).
const VAA_SIGNATURES_START: usize = 6;
const VAA_SIGNATURE_LEN: usize = 66;
/// Wormhole's guardian set has 19 guardians and a VAA needs 13 of their signatures (two thirds, plus one): a VAA is
/// posted with no more than 13, which bounds what verifying it costs.
pub const GUARDIANS: usize = 19;
pub const QUORUM: usize = 13;
/// A VAA's body before its payload: timestamp (4), nonce (4), emitter chain (2), emitter address (32), sequence
/// (8), consistency level (1).
const VAA_BODY_HEADER_LEN: usize = 51;
/// The longest accumulator payload Pythnet signs ("AUWV", the Merkle kind, slot, ring size, 20-byte root) and a
/// margin for appended fields: a VAA longer than all of this with the guardians' signatures is refused before
/// anything is paid for it.
const PAYLOAD_MAX_LEN: usize = 128;
pub const VAA_MAX_LEN: usize =
    VAA_SIGNATURES_START + GUARDIANS * VAA_SIGNATURE_LEN + VAA_BODY_HEADER_LEN + PAYLOAD_MAX_LEN;
/// Wormhole's chain id of Pythnet, the chain whose accumulator emitter signs every price update.
pub const PYTHNET_CHAIN_ID: u16 = 26;

/// Compute units each step takes at most, as Pyth's own client budgets them (the programs are Pyth's and
/// Wormhole's, not measured by this repository's VM suite): verification checks every guardian signature.
pub const INIT_ENCODED_VAA_UNITS: u32 = 3_000;
pub const WRITE_ENCODED_VAA_UNITS: u32 = 3_000;
pub const VERIFY_ENCODED_VAA_UNITS: u32 = 350_000; // for at most QUORUM signatures
pub const UPDATE_PRICE_FEED_UNITS: u32 = 55_000;
pub const CLOSE_ENCODED_VAA_UNITS: u32 = 30_000;
/// The system program's funding and allocation of the account.
pub const CREATE_ACCOUNT_UNITS: u32 = 3_000;

/// Why an update could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PostError {
    /// Not an accumulator update (wrong magic or version, or truncated).
    Malformed(String),
    /// The update carries no price message for the market's feed.
    FeedAbsent([u8; 32]),
    /// Not what the receiver would accept (too large, a foreign emitter, a message off its Merkle root).
    Refused(String),
}

impl core::fmt::Display for PostError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Malformed(why) => write!(f, "not a Pyth accumulator update: {why}"),
            Self::FeedAbsent(feed) => write!(f, "the update has no price for feed {}", hex(feed)),
            Self::Refused(why) => write!(f, "an update the receiver would refuse: {why}"),
        }
    }
}

impl std::error::Error for PostError {}

/// An accumulator update, parsed.
#[derive(Debug, Clone)]
pub struct PriceUpdate {
    /// The Wormhole VAA signing the updates' Merkle root.
    pub vaa: Vec<u8>,
    pub feeds: Vec<FeedUpdate>,
}

/// What a VAA's body says (after its signatures).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VaaBody {
    pub emitter_chain: u16,
    pub emitter_address: [u8; 32],
    /// The Merkle root of every message in the update.
    pub root: [u8; 20],
}

/// One feed's price message and its Merkle path.
#[derive(Debug, Clone)]
pub struct FeedUpdate {
    pub feed_id: [u8; 32],
    pub publish_time: i64,
    pub price: i64,
    pub merkle: MerklePriceUpdate,
}

impl PriceUpdate {
    /// Parses update bytes as the price service serves them (decoded from base64 or hex).
    pub fn parse(bytes: &[u8]) -> Result<Self, PostError> {
        let data = AccumulatorUpdateData::try_from_slice(bytes).map_err(|e| PostError::Malformed(format!("{e:?}")))?;
        let Proof::WormholeMerkle { vaa, updates } = data.proof;
        let vaa: Vec<u8> = vaa.into();
        if vaa.len() < VAA_SIGNATURES_START {
            return Err(PostError::Malformed("VAA shorter than its header".to_string()));
        }
        let mut feeds = Vec::with_capacity(updates.len());
        for merkle in updates {
            let message: &Vec<u8> = merkle.message.as_ref();
            // Only price messages move a price feed account (the push oracle refuses the rest).
            if let Ok(Message::PriceFeedMessage(price)) = from_slice::<byteorder::BE, Message>(message) {
                feeds.push(FeedUpdate {
                    feed_id: price.feed_id,
                    publish_time: price.publish_time,
                    price: price.price,
                    merkle,
                });
            }
        }
        Ok(Self { vaa, feeds })
    }

    /// The update of `feed_id`.
    pub fn feed(&self, feed_id: &[u8; 32]) -> Result<&FeedUpdate, PostError> {
        self.feeds.iter().find(|feed| &feed.feed_id == feed_id).ok_or(PostError::FeedAbsent(*feed_id))
    }

    /// The guardian set that signed the VAA (its index, big-endian after the version byte).
    pub fn guardian_set_index(&self) -> u32 {
        u32::from_be_bytes([self.vaa[1], self.vaa[2], self.vaa[3], self.vaa[4]])
    }

    /// How many guardian signatures the VAA carries.
    pub fn signature_count(&self) -> usize {
        usize::from(self.vaa[5])
    }

    /// The VAA's body: its emitter and the Merkle root it signs.
    pub fn body(&self) -> Result<VaaBody, PostError> {
        let start = VAA_SIGNATURES_START + self.signature_count() * VAA_SIGNATURE_LEN;
        let body = self.vaa.get(start..).filter(|body| body.len() > VAA_BODY_HEADER_LEN);
        let body = body.ok_or_else(|| PostError::Malformed("VAA shorter than its signatures and body".to_string()))?;
        let message = WormholeMessage::try_from_bytes(&body[VAA_BODY_HEADER_LEN..])
            .map_err(|e| PostError::Malformed(format!("VAA payload: {e:?}")))?;
        let WormholePayload::Merkle(merkle) = message.payload;
        let mut emitter_address = [0u8; 32];
        emitter_address.copy_from_slice(&body[10..42]);
        Ok(VaaBody { emitter_chain: u16::from_be_bytes([body[8], body[9]]), emitter_address, root: merkle.root })
    }

    /// Holds the update to what the receiver accepts, before anything is paid for it: a VAA with a quorum of
    /// signatures and no longer than the guardians' signatures and an accumulator body need, emitted by Pythnet's
    /// accumulator, and every message's Merkle path leading to the root it signs (a forged or altered message fails
    /// here, not on chain). The signatures themselves are checked only by Wormhole: a VAA whose signatures do not
    /// verify costs its first transaction, and its account is closed.
    pub fn check(&self) -> Result<VaaBody, PostError> {
        if self.vaa.len() > VAA_MAX_LEN || self.signature_count() > GUARDIANS || self.signature_count() < QUORUM {
            let (len, signatures) = (self.vaa.len(), self.signature_count());
            return Err(PostError::Refused(format!("a VAA of {len} bytes and {signatures} signatures")));
        }
        let body = self.body()?;
        if body.emitter_chain != PYTHNET_CHAIN_ID || body.emitter_address != pythnet_sdk::ACCUMULATOR_EMITTER_ADDRESS {
            return Err(PostError::Refused(format!(
                "emitted by chain {} at {}",
                body.emitter_chain,
                hex(&body.emitter_address)
            )));
        }
        let root = MerkleRoot::<Keccak160>::new(body.root);
        for feed in &self.feeds {
            if !root.check(feed.merkle.proof.clone(), feed.merkle.message.as_ref()) {
                return Err(PostError::Refused(format!(
                    "feed {}: its message is not under the signed root",
                    hex(&feed.feed_id)
                )));
            }
        }
        Ok(body)
    }

    /// The VAA with at most [`QUORUM`] signatures (any quorum verifies it; more only cost units and bytes).
    pub fn quorum_vaa(&self) -> Vec<u8> {
        let count = self.signature_count();
        if count <= QUORUM {
            return self.vaa.clone();
        }
        let kept = VAA_SIGNATURES_START + QUORUM * VAA_SIGNATURE_LEN;
        let dropped = VAA_SIGNATURES_START + count * VAA_SIGNATURE_LEN;
        let mut vaa = self.vaa[..kept].to_vec();
        vaa.extend_from_slice(&self.vaa[dropped..]);
        vaa[5] = QUORUM as u8; // QUORUM < 256
        vaa
    }
}

/// The push oracle's price feed account of `feed_id` in `shard` (Pyth sponsors shard 0).
pub fn price_feed_account(shard: u16, feed_id: &[u8; 32]) -> Pubkey {
    Pubkey::find_program_address(&[&shard.to_le_bytes(), feed_id], &PUSH_ORACLE_PROGRAM_ID).0
}

/// The Wormhole account holding guardian set `index`'s keys.
pub fn guardian_set(index: u32) -> Pubkey {
    Pubkey::find_program_address(&[b"GuardianSet", &index.to_be_bytes()], &WORMHOLE_PROGRAM_ID).0
}

/// The receiver's configuration account (its Wormhole program, data sources and fee).
pub fn receiver_config() -> Pubkey {
    pyth_solana_receiver_sdk::pda::get_config_address()
}

/// The receiver's treasury `id` (one of 256, to spread the fee's write lock).
pub fn receiver_treasury(id: u8) -> Pubkey {
    pyth_solana_receiver_sdk::pda::get_treasury_address(id)
}

/// The encoded-VAA account `payer` creates with `seed`.
pub fn encoded_vaa_address(payer: &Pubkey, seed: &str) -> Pubkey {
    Pubkey::create_with_seed(payer, seed, &WORMHOLE_PROGRAM_ID).unwrap_or_default()
}

/// The transactions that put a VAA on chain verified, and the instruction that closes it after.
#[derive(Debug, Clone)]
pub struct VaaPost {
    pub encoded_vaa: Pubkey,
    /// In order, each one transaction: fund + allocate + init + first chunk, further chunks, the last with the
    /// verify.
    pub transactions: Vec<Vec<Instruction>>,
    /// The compute units each of `transactions` needs (for its compute-budget instruction).
    pub units: Vec<u32>,
    pub close: Instruction,
}

/// Builds the posting of `vaa` by `payer` into the account at `seed` (at most 32 bytes). Each transaction writes as
/// much of the VAA as leaves it, with both compute-budget instructions in front, within the packet.
pub fn post_vaa(payer: Pubkey, vaa: &[u8], seed: &str, guardian_set_index: u32) -> VaaPost {
    let encoded_vaa = encoded_vaa_address(&payer, seed);
    let space = ENCODED_VAA_HEADER_LEN + vaa.len();
    let lamports = Rent::default().minimum_balance(space);
    let space_u64 = u64::try_from(space).unwrap_or(u64::MAX);
    // Funded, then allocated and assigned to Wormhole, rather than created: anyone can send lamports to the seeded
    // address, and the system program refuses to create an account that holds any, so a creation would let a
    // stranger's dust stop every posting. Lamports already there come back with the rest at the close.
    let fund = system_instruction::transfer(&payer, &encoded_vaa, lamports);
    let allocate = system_instruction::allocate_with_seed(&encoded_vaa, &payer, seed, space_u64, &WORMHOLE_PROGRAM_ID);
    let verify = verify_encoded_vaa_v1(payer, encoded_vaa, guardian_set(guardian_set_index));
    let setup = vec![fund, allocate, init_encoded_vaa(payer, encoded_vaa)];
    let first = vaa.len().min(room_for_chunk(&payer, &setup, encoded_vaa));
    let mut opening = setup;
    opening.push(write_encoded_vaa(payer, encoded_vaa, 0, &vaa[..first]));
    let mut transactions = vec![opening];
    let mut units = vec![CREATE_ACCOUNT_UNITS + INIT_ENCODED_VAA_UNITS + WRITE_ENCODED_VAA_UNITS];
    // Later chunks leave room for the verification, which the last of them carries.
    let later = room_for_chunk(&payer, std::slice::from_ref(&verify), encoded_vaa);
    let mut at = first;
    while at < vaa.len() {
        let end = vaa.len().min(at + later);
        transactions.push(vec![write_encoded_vaa(payer, encoded_vaa, at, &vaa[at..end])]);
        units.push(WRITE_ENCODED_VAA_UNITS);
        at = end;
    }
    if transactions.len() == 1 {
        transactions.push(vec![verify]);
        units.push(VERIFY_ENCODED_VAA_UNITS);
    } else if let (Some(last), Some(last_units)) = (transactions.last_mut(), units.last_mut()) {
        last.push(verify);
        *last_units += VERIFY_ENCODED_VAA_UNITS;
    }
    VaaPost { encoded_vaa, transactions, units, close: close_encoded_vaa(payer, encoded_vaa) }
}

/// How many VAA bytes a write can carry in a transaction that also holds `others` and both compute-budget
/// instructions, within the packet.
fn room_for_chunk(payer: &Pubkey, others: &[Instruction], encoded_vaa: Pubkey) -> usize {
    let mut transaction = crate::compute::budget(u32::MAX, u64::MAX);
    transaction.extend_from_slice(others);
    // An empty write, then the chunk's bytes (its length prefix grows to 2 bytes past 127 bytes of data).
    transaction.push(write_encoded_vaa(*payer, encoded_vaa, 0, &[]));
    PACKET_LEN.saturating_sub(legacy_transaction_len(payer, &transaction) + 1)
}

/// The push oracle's `update_price_feed`: writes `feed`'s message into its feed account in `shard` if it is newer
/// than what the account holds (else succeeds and changes nothing), paying the receiver's fee from `payer`.
pub fn update_price_feed(
    payer: Pubkey,
    encoded_vaa: Pubkey,
    feed: &FeedUpdate,
    shard: u16,
    treasury_id: u8,
) -> Instruction {
    let params = PostUpdateParams { merkle_price_update: feed.merkle.clone(), treasury_id };
    let mut data = anchor_discriminator("update_price_feed").to_vec();
    // Borsh of a struct of these fields cannot fail into a Vec.
    let _ = params.serialize(&mut data);
    data.extend_from_slice(&shard.to_le_bytes());
    data.extend_from_slice(&feed.feed_id);
    Instruction {
        program_id: PUSH_ORACLE_PROGRAM_ID,
        accounts: vec![
            AccountMeta::new(payer, true),
            AccountMeta::new_readonly(RECEIVER_PROGRAM_ID, false),
            AccountMeta::new_readonly(encoded_vaa, false),
            AccountMeta::new_readonly(receiver_config(), false),
            AccountMeta::new(receiver_treasury(treasury_id), false),
            AccountMeta::new(price_feed_account(shard, &feed.feed_id), false),
            AccountMeta::new_readonly(system_program::ID, false),
        ],
        data,
    }
}

fn init_encoded_vaa(payer: Pubkey, encoded_vaa: Pubkey) -> Instruction {
    Instruction {
        program_id: WORMHOLE_PROGRAM_ID,
        accounts: vec![AccountMeta::new_readonly(payer, true), AccountMeta::new(encoded_vaa, false)],
        data: anchor_discriminator("init_encoded_vaa").to_vec(),
    }
}

fn write_encoded_vaa(payer: Pubkey, encoded_vaa: Pubkey, index: usize, chunk: &[u8]) -> Instruction {
    let mut data = anchor_discriminator("write_encoded_vaa").to_vec();
    // The index and chunk of a VAA (at most 64 KiB) fit their u32 fields.
    data.extend_from_slice(&u32::try_from(index).unwrap_or(u32::MAX).to_le_bytes());
    data.extend_from_slice(&u32::try_from(chunk.len()).unwrap_or(u32::MAX).to_le_bytes());
    data.extend_from_slice(chunk);
    Instruction {
        program_id: WORMHOLE_PROGRAM_ID,
        accounts: vec![AccountMeta::new_readonly(payer, true), AccountMeta::new(encoded_vaa, false)],
        data,
    }
}

fn verify_encoded_vaa_v1(payer: Pubkey, encoded_vaa: Pubkey, guardian_set: Pubkey) -> Instruction {
    Instruction {
        program_id: WORMHOLE_PROGRAM_ID,
        accounts: vec![
            AccountMeta::new_readonly(payer, true),
            AccountMeta::new(encoded_vaa, false),
            AccountMeta::new_readonly(guardian_set, false),
        ],
        data: anchor_discriminator("verify_encoded_vaa_v1").to_vec(),
    }
}

fn close_encoded_vaa(payer: Pubkey, encoded_vaa: Pubkey) -> Instruction {
    Instruction {
        program_id: WORMHOLE_PROGRAM_ID,
        accounts: vec![AccountMeta::new(payer, true), AccountMeta::new(encoded_vaa, false)],
        data: anchor_discriminator("close_encoded_vaa").to_vec(),
    }
}

/// Anchor's instruction discriminator: the first 8 bytes of sha256("global:" + name).
pub fn anchor_discriminator(name: &str) -> [u8; 8] {
    let digest = hash(format!("global:{name}").as_bytes()).to_bytes();
    let mut discriminator = [0u8; 8];
    discriminator.copy_from_slice(&digest[..8]);
    discriminator
}

/// The serialized size of a legacy transaction carrying `instructions` with `payer` as its only signer: what must
/// stay within the cluster's 1,232-byte packet.
pub fn legacy_transaction_len(payer: &Pubkey, instructions: &[Instruction]) -> usize {
    let mut keys: Vec<Pubkey> = vec![*payer];
    for instruction in instructions {
        for key in std::iter::once(&instruction.program_id).chain(instruction.accounts.iter().map(|meta| &meta.pubkey))
        {
            if !keys.contains(key) {
                keys.push(*key);
            }
        }
    }
    let signers = 1;
    let mut len = compact_len(signers) + 64 * signers + 3 + compact_len(keys.len()) + 32 * keys.len() + 32;
    len += compact_len(instructions.len());
    for instruction in instructions {
        len += 1 + compact_len(instruction.accounts.len()) + instruction.accounts.len();
        len += compact_len(instruction.data.len()) + instruction.data.len();
    }
    len
}

/// The cluster's packet limit for a serialized transaction.
pub const PACKET_LEN: usize = 1_232;

fn compact_len(n: usize) -> usize {
    match n {
        0..=0x7f => 1,
        0x80..=0x3fff => 2,
        _ => 3,
    }
}

/// Lower-case hex, as Pyth writes feed ids.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub mod fixtures;

#[cfg(test)]
#[path = "price_post/tests.rs"]
mod tests;
