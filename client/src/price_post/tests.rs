//! The posting's bytes: a real update Pyth's price service served parses and checks; updates built in Pyth's own
//! formats parse back to their feeds, and forged, foreign or oversized ones are refused before anything is paid;
//! each instruction carries the discriminator and account order of the programs' published interfaces; every
//! transaction fits the packet with both compute-budget instructions, for the largest VAA and the deepest path.

use super::fixtures::{update_bytes, update_with_filler_path, vaa};
use super::*;

const SOL_FEED: [u8; 32] = [0xef; 32];
const BTC_FEED: [u8; 32] = [0xe6; 32];

/// An update as Pyth's price service served it for one feed, published 2025-04-02 22:10:34 UTC and signed by 13 of
/// guardian set 4 (recorded in Pyth's SDK, `pythnet-sdk` 3.0.0, as its own fixture).
const RECORDED: &str = include_str!("recorded-update.hex");
const RECORDED_FEED: &str = "879551021853eec7a7dc827578e8e69da7e4fa8148339aa0d3d5296405be4b1a";

fn recorded() -> PriceUpdate {
    let bytes: Vec<u8> = (0..RECORDED.trim().len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&RECORDED.trim()[i..i + 2], 16).expect("hex"))
        .collect();
    PriceUpdate::parse(&bytes).expect("a real update parses")
}

fn feed_id(hex_id: &str) -> [u8; 32] {
    let mut id = [0u8; 32];
    for (i, byte) in id.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&hex_id[2 * i..2 * i + 2], 16).expect("hex");
    }
    id
}

#[test]
fn a_recorded_update_parses_and_passes_the_receivers_checks() {
    let update = recorded();
    assert_eq!((update.guardian_set_index(), update.signature_count(), update.vaa.len()), (4, 13, 952));
    let feed = update.feed(&feed_id(RECORDED_FEED)).expect("its feed");
    assert_eq!((feed.price, feed.publish_time), (960_310_184, 1_743_631_834));
    assert_eq!(feed.merkle.proof.to_vec().len(), 12);
    let body = update.check().expect("Pythnet's emitter, a Merkle path to the signed root");
    assert_eq!(body.emitter_chain, PYTHNET_CHAIN_ID);
    assert_eq!(update.quorum_vaa(), update.vaa, "already a quorum");
    // Its posting fits the packet, transaction by transaction, with both budget instructions.
    let payer = Pubkey::new_unique();
    let post = post_vaa(payer, &update.quorum_vaa(), ENCODED_VAA_SEED, update.guardian_set_index());
    assert_eq!(post.transactions.len(), 2, "create, init and a first chunk; the rest and the verification");
    for (transaction, units) in post.transactions.iter().zip(&post.units) {
        let mut with_budget = crate::compute::budget(*units, u64::MAX);
        with_budget.extend(transaction.iter().cloned());
        assert!(legacy_transaction_len(&payer, &with_budget) <= PACKET_LEN);
    }
}

#[test]
fn a_message_not_under_the_signed_root_is_refused_before_anything_is_paid() {
    let mut update = recorded();
    // A price service that changes the price (or forges a later publish time) cannot keep the Merkle path.
    let mut message: Vec<u8> = update.feeds[0].merkle.message.as_ref().clone();
    message[40] ^= 1;
    update.feeds[0].merkle.message = message.into();
    assert!(matches!(update.check(), Err(PostError::Refused(why)) if why.contains("not under the signed root")));
}

#[test]
fn an_update_built_in_pyths_formats_parses_to_its_feeds_and_checks() {
    let bytes = update_bytes(&[(SOL_FEED, 13_512_000_000, 1_760_126_940), (BTC_FEED, 7, 9)], 13);
    let update = PriceUpdate::parse(&bytes).expect("parses");
    assert_eq!((update.guardian_set_index(), update.signature_count()), (4, 13));
    let sol = update.feed(&SOL_FEED).expect("present");
    assert_eq!((sol.price, sol.publish_time), (13_512_000_000, 1_760_126_940));
    assert!(update.check().is_ok());
    assert_eq!(update.feed(&[1; 32]).err(), Some(PostError::FeedAbsent([1; 32])));
}

#[test]
fn bytes_that_are_not_an_update_are_refused_by_name() {
    let mut bytes = update_bytes(&[(SOL_FEED, 1, 1)], 13);
    bytes[0] = b'X';
    assert!(matches!(PriceUpdate::parse(&bytes), Err(PostError::Malformed(_))));
    assert!(matches!(PriceUpdate::parse(&[]), Err(PostError::Malformed(_))));
    let whole = update_bytes(&[(SOL_FEED, 1, 1)], 13);
    assert!(matches!(PriceUpdate::parse(&whole[..whole.len() - 5]), Err(PostError::Malformed(_))));
}

#[test]
fn an_oversized_or_foreign_vaa_is_refused_before_anything_is_paid() {
    // More signatures than there are guardians: the VAA (and what verifying it costs) is the service's choice.
    let oversized = PriceUpdate::parse(&update_bytes(&[(SOL_FEED, 1, 1)], 40)).expect("parses");
    assert!(matches!(oversized.check(), Err(PostError::Refused(why)) if why.contains("40 signatures")));
    // Fewer signatures than a quorum: Wormhole would refuse it after the keeper paid to post it.
    let short_of_quorum = PriceUpdate::parse(&update_bytes(&[(SOL_FEED, 1, 1)], 12)).expect("parses");
    assert!(matches!(short_of_quorum.check(), Err(PostError::Refused(why)) if why.contains("12 signatures")));
    let mut long = vaa([0; 20], 13);
    long.extend(std::iter::repeat_n(0u8, VAA_MAX_LEN));
    let long = PriceUpdate::parse(&update_with_filler_path(long, &[(SOL_FEED, 1, 1)], 1)).expect("parses");
    assert!(matches!(long.check(), Err(PostError::Refused(_))));
    // Signed by another emitter than Pythnet's accumulator.
    let mut foreign = PriceUpdate::parse(&update_bytes(&[(SOL_FEED, 1, 1)], 13)).expect("parses");
    let emitter_at = 6 + 13 * 66 + 10;
    foreign.vaa[emitter_at] ^= 1;
    assert!(matches!(foreign.check(), Err(PostError::Refused(why)) if why.contains("emitted by")));
    // A VAA claiming more signatures than it carries.
    let mut short = vaa([0; 20], 13);
    short.truncate(6 + 5 * 66);
    let short = PriceUpdate::parse(&update_with_filler_path(short, &[(SOL_FEED, 1, 1)], 1)).expect("parses");
    assert!(matches!(short.check(), Err(PostError::Malformed(_))));
}

#[test]
fn a_vaa_with_every_guardians_signature_is_posted_with_a_quorum() {
    let update = PriceUpdate::parse(&update_bytes(&[(SOL_FEED, 1, 1)], 19)).expect("parses");
    let quorum = update.quorum_vaa();
    assert_eq!(usize::from(quorum[5]), QUORUM);
    assert_eq!(quorum.len(), update.vaa.len() - (19 - QUORUM) * 66);
    // The body (what the guardians signed) is unchanged.
    assert_eq!(quorum[6 + QUORUM * 66..], update.vaa[6 + 19 * 66..]);
}

#[test]
fn the_discriminators_are_anchors_and_the_published_one_matches() {
    // Pyth's published interface of the push oracle gives update_price_feed this discriminator.
    assert_eq!(anchor_discriminator("update_price_feed"), [28, 9, 93, 150, 86, 153, 188, 115]);
    let update = PriceUpdate::parse(&update_bytes(&[(SOL_FEED, 5, 6)], 13)).expect("parses");
    let instruction =
        update_price_feed(Pubkey::new_unique(), Pubkey::new_unique(), update.feed(&SOL_FEED).unwrap(), 0, 3);
    assert_eq!(instruction.data[..8], anchor_discriminator("update_price_feed"));
}

#[test]
fn update_price_feed_names_the_accounts_in_the_push_oracles_order() {
    let payer = Pubkey::new_unique();
    let encoded = Pubkey::new_unique();
    let update = recorded();
    let feed = &update.feeds[0];
    let instruction = update_price_feed(payer, encoded, feed, 0, 3);
    let metas: Vec<(Pubkey, bool, bool)> =
        instruction.accounts.iter().map(|m| (m.pubkey, m.is_writable, m.is_signer)).collect();
    assert_eq!(
        metas,
        vec![
            (payer, true, true),
            (RECEIVER_PROGRAM_ID, false, false),
            (encoded, false, false),
            (receiver_config(), false, false),
            (receiver_treasury(3), true, false),
            (price_feed_account(0, &feed.feed_id), true, false),
            (system_program::ID, false, false),
        ]
    );
    // The arguments: the receiver's params (Borsh), then the shard and the feed id.
    let mut expected = anchor_discriminator("update_price_feed").to_vec();
    PostUpdateParams { merkle_price_update: feed.merkle.clone(), treasury_id: 3 }.serialize(&mut expected).unwrap();
    expected.extend_from_slice(&0u16.to_le_bytes());
    expected.extend_from_slice(&feed.feed_id);
    assert_eq!(instruction.data, expected);
    // The message travels with a u32 length in Borsh (the wire format's u16 prefix is for the update only).
    let message_len = u32::from_le_bytes(instruction.data[8..12].try_into().unwrap());
    assert_eq!(message_len as usize, feed.merkle.message.as_ref().len());
}

#[test]
fn the_vaa_is_written_whole_in_order_and_verified_last() {
    let payer = Pubkey::new_unique();
    let vaa = vaa([5; 20], 13);
    let post = post_vaa(payer, &vaa, ENCODED_VAA_SEED, 4);
    assert_eq!(post.encoded_vaa, Pubkey::create_with_seed(&payer, ENCODED_VAA_SEED, &WORMHOLE_PROGRAM_ID).unwrap());
    assert_eq!(post.encoded_vaa, encoded_vaa_address(&payer, ENCODED_VAA_SEED));
    assert_eq!(post.transactions.len(), post.units.len());
    // Reassemble what the writes put where.
    let mut written = vec![0u8; vaa.len()];
    for instruction in
        post.transactions.iter().flatten().filter(|ix| ix.data[..8] == anchor_discriminator("write_encoded_vaa"))
    {
        let index = u32::from_le_bytes(instruction.data[8..12].try_into().unwrap()) as usize;
        let len = u32::from_le_bytes(instruction.data[12..16].try_into().unwrap()) as usize;
        written[index..index + len].copy_from_slice(&instruction.data[16..16 + len]);
    }
    assert_eq!(written, vaa);
    let last = post.transactions.last().unwrap().last().unwrap();
    assert_eq!(last.data, anchor_discriminator("verify_encoded_vaa_v1"));
    assert_eq!(last.accounts[2].pubkey, guardian_set(4));
    let first = &post.transactions[0];
    assert_eq!(
        first[0],
        system_instruction::transfer(&payer, &post.encoded_vaa, Rent::default().minimum_balance(46 + vaa.len()))
    );
    assert_eq!(first[1].program_id, system_program::ID, "allocated and assigned to Wormhole");
    assert_eq!(first[2].data, anchor_discriminator("init_encoded_vaa"));
    assert_eq!(post.close.data, anchor_discriminator("close_encoded_vaa"));
    assert!(post.close.accounts[0].is_writable, "the rent goes back to the payer");
}

#[test]
fn a_short_vaa_is_verified_in_a_transaction_of_its_own() {
    let post = post_vaa(Pubkey::new_unique(), &vaa([0; 20], 1), "s", 4);
    assert_eq!(post.transactions.len(), 2);
    assert_eq!(post.transactions[1].len(), 1);
    assert_eq!(post.units[1], VERIFY_ENCODED_VAA_UNITS);
}

#[test]
fn every_posting_transaction_fits_the_packet_with_its_budget() {
    let payer = Pubkey::new_unique();
    let mut longest = vaa([0; 20], 19);
    longest.resize(VAA_MAX_LEN, 0);
    let vaas = [1u8, 5, 13, 19].map(|signatures| vaa([0; 20], signatures));
    for vaa in vaas.iter().chain([&longest]) {
        let signatures = vaa[5];
        let post = post_vaa(payer, vaa, ENCODED_VAA_SEED, 4);
        for (transaction, units) in post.transactions.iter().zip(&post.units) {
            let mut with_budget = crate::compute::budget(*units, u64::MAX);
            with_budget.extend(transaction.iter().cloned());
            let len = legacy_transaction_len(&payer, &with_budget);
            assert!(len <= PACKET_LEN, "{signatures} signatures: {len} bytes");
        }
    }
}

#[test]
fn the_transaction_length_matches_the_runtimes_serialization() {
    let payer = Pubkey::new_unique();
    let post = post_vaa(payer, &recorded().vaa, ENCODED_VAA_SEED, 4);
    for transaction in &post.transactions {
        let tx = solana_transaction::Transaction::new_with_payer(transaction, Some(&payer));
        let serialized = tx.message_data().len() + 1 + 64 * tx.signatures.len();
        assert_eq!(legacy_transaction_len(&payer, transaction), serialized);
    }
}

/// A Merkle path deeper than Pyth's tree of every feed needs (2^16 leaves).
const DEEPEST_PATH: usize = 16;

#[test]
fn the_refresh_with_the_posted_update_in_front_fits_the_packet() {
    let keeper = Pubkey::new_unique();
    let accounts = crate::KeeperAccounts {
        market: Pubkey::new_unique(),
        insurance_fund: Pubkey::new_unique(),
        fund_vault: Pubkey::new_unique(),
        vault: Pubkey::new_unique(),
        book: Pubkey::new_unique(),
        mint: Pubkey::new_unique(),
        oracle: price_feed_account(0, &SOL_FEED),
    };
    let update =
        PriceUpdate::parse(&update_with_filler_path(vaa([0; 20], 13), &[(SOL_FEED, 5, 6)], DEEPEST_PATH)).unwrap();
    let post = update_price_feed(keeper, Pubkey::new_unique(), update.feed(&SOL_FEED).unwrap(), 0, 255);
    let limit = crate::compute::unit_limit(&["refresh_market"]).unwrap() + UPDATE_PRICE_FEED_UNITS;
    let mut transaction = crate::compute::budget(limit, u64::MAX);
    transaction.extend([post, accounts.refresh_market()]);
    let len = legacy_transaction_len(&keeper, &transaction);
    assert!(len <= PACKET_LEN, "{len} bytes");
}
