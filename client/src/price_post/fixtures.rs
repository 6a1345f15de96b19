//! Update bytes and feed accounts in Pyth's own formats, for tests and rehearsals: the Merkle tree and the VAA's
//! body are real, the signatures filler (only the Wormhole program checks them).

use super::*;
use pyth_solana_receiver_sdk::price_update::{PriceUpdateV2, VerificationLevel};
use pythnet_sdk::accumulators::merkle::{MerklePath, MerkleTree};
use pythnet_sdk::accumulators::Accumulator;
use pythnet_sdk::messages::PriceFeedMessage;
use pythnet_sdk::wire::v1::WormholeMerkleRoot;
use pythnet_sdk::wire::{to_vec, PrefixedVec};

/// The price message of `feed_id` at `price` (exponent -8) published at `publish_time`.
pub fn price_message(feed_id: [u8; 32], price: i64, publish_time: i64) -> PriceFeedMessage {
    PriceFeedMessage {
        feed_id,
        price,
        conf: 1_000,
        exponent: -8,
        publish_time,
        prev_publish_time: publish_time - 1,
        ema_price: price,
        ema_conf: 1_000,
    }
}

fn message_bytes(feed: [u8; 32], price: i64, time: i64) -> Vec<u8> {
    to_vec::<_, byteorder::BE>(&Message::PriceFeedMessage(price_message(feed, price, time))).unwrap_or_default()
}

/// A VAA by guardian set 4 with `signatures` filler signatures, whose body, from Pythnet's accumulator
/// emitter, signs the Merkle `root`.
pub fn vaa(root: [u8; 20], signatures: u8) -> Vec<u8> {
    let mut vaa = vec![1u8];
    vaa.extend_from_slice(&4u32.to_be_bytes());
    vaa.push(signatures);
    vaa.extend(std::iter::repeat_n(7u8, usize::from(signatures) * VAA_SIGNATURE_LEN));
    vaa.extend_from_slice(&1_760_126_940u32.to_be_bytes()); // timestamp
    vaa.extend_from_slice(&0u32.to_be_bytes()); // nonce
    vaa.extend_from_slice(&PYTHNET_CHAIN_ID.to_be_bytes());
    vaa.extend_from_slice(&pythnet_sdk::ACCUMULATOR_EMITTER_ADDRESS);
    vaa.extend_from_slice(&1u64.to_be_bytes()); // sequence
    vaa.push(1); // consistency level
    let payload =
        WormholeMessage::new(WormholePayload::Merkle(WormholeMerkleRoot { slot: 1, ring_size: 10_000, root }));
    vaa.extend(to_vec::<_, byteorder::BE>(&payload).unwrap_or_default());
    vaa
}

/// An accumulator update of `(feed, price, publish_time)` messages: their Merkle tree, and a VAA with
/// `signatures` signing its root.
pub fn update_bytes(feeds: &[([u8; 32], i64, i64)], signatures: u8) -> Vec<u8> {
    let messages: Vec<Vec<u8>> = feeds.iter().map(|&(feed, price, time)| message_bytes(feed, price, time)).collect();
    let items: Vec<&[u8]> = messages.iter().map(Vec::as_slice).collect();
    let Some(tree) = MerkleTree::<Keccak160>::new(&items) else { return Vec::new() };
    let mut root = [0u8; 20];
    root.copy_from_slice(tree.root.as_bytes());
    let updates = messages
        .iter()
        .map(|message| MerklePriceUpdate {
            message: PrefixedVec::from(message.clone()),
            proof: tree.prove(message).unwrap_or_else(|| MerklePath::new(Vec::new())),
        })
        .collect();
    let data =
        AccumulatorUpdateData::new(Proof::WormholeMerkle { vaa: PrefixedVec::from(vaa(root, signatures)), updates });
    to_vec::<_, byteorder::BE>(&data).unwrap_or_default()
}

/// As [`update_bytes`], with `vaa` as given and a filler Merkle path `depth` hashes long on each message (for
/// sizes: such an update fails [`PriceUpdate::check`]).
pub fn update_with_filler_path(vaa: Vec<u8>, feeds: &[([u8; 32], i64, i64)], depth: usize) -> Vec<u8> {
    let updates = feeds
        .iter()
        .map(|&(feed, price, time)| MerklePriceUpdate {
            message: PrefixedVec::from(message_bytes(feed, price, time)),
            proof: MerklePath::new(vec![[3u8; 20]; depth]),
        })
        .collect();
    let data = AccumulatorUpdateData::new(Proof::WormholeMerkle { vaa: PrefixedVec::from(vaa), updates });
    to_vec::<_, byteorder::BE>(&data).unwrap_or_default()
}

/// A fully verified price feed account's data (owned by the receiver) holding `feed_id` at `price`, published
/// at `publish_time`.
pub fn feed_account(feed_id: [u8; 32], price: i64, publish_time: i64) -> Vec<u8> {
    let account = PriceUpdateV2 {
        write_authority: Pubkey::default(),
        verification_level: VerificationLevel::Full,
        price_message: price_message(feed_id, price, publish_time),
        posted_slot: 1,
    };
    let mut data = <PriceUpdateV2 as anchor_lang::Discriminator>::DISCRIMINATOR.to_vec();
    let _ = account.serialize(&mut data);
    data
}
