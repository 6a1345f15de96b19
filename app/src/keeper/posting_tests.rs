//! The keeper posting a pull market's price against a scripted cluster: the VAA's transactions, then the feed's
//! update with the round's refresh behind it, the close after the round; the liquidations carry nothing of it.
//! Nothing is posted while the feed account is young, when the service's price is old, when the market does not
//! read the push oracle's account, or when the update would fail the receiver's checks; a failing update costs the
//! refresh, not the round; a stranger's lamports at the account's address stop nothing.

use super::tests::{keeper, Flaky};
use super::*;
use crate::error::Error;
use crate::price_service::PriceService;
use anchor_lang::Discriminator;
use backstop::state::{Market, OracleKind};
use backstop_client::price_post::{self, fixtures};

const FEED: [u8; 32] = [0xef; 32];

/// A pull market on `oracle` with feed [`FEED`], as the chain holds it.
fn pull_market(oracle: Pubkey) -> (Vec<u8>, Pubkey) {
    let mut market: Market = bytemuck::Zeroable::zeroed();
    market.oracle = oracle;
    market.oracle_kind = OracleKind::PythPull as u8;
    market.oracle_receiver = price_post::RECEIVER_PROGRAM_ID;
    market.oracle_feed_id = FEED;
    let mut data = Market::DISCRIMINATOR.to_vec();
    data.extend_from_slice(bytemuck::bytes_of(&market));
    (data, backstop::ID)
}

/// A keeper of a pull market whose feed account holds a print of `held` (none: not yet created), offered an
/// update published at `offered`, at chain time 1,010 (posting once the feed is 10 s old).
fn posting_keeper(held: Option<i64>, offered: i64) -> (Keeper, Flaky) {
    posting_keeper_with(held, fixtures::update_bytes(&[(FEED, 100, offered)], 13))
}

fn posting_keeper_with(held: Option<i64>, update: Vec<u8>) -> (Keeper, Flaky) {
    let mut keeper = keeper();
    let feed_account = price_post::price_feed_account(0, &FEED);
    keeper.accounts.oracle = feed_account;
    let mut chain = Flaky::new(Vec::new());
    chain.now = 1_010;
    chain.accounts.insert(keeper.market, pull_market(feed_account));
    if let Some(held) = held {
        chain.accounts.insert(feed_account, (fixtures::feed_account(FEED, 100, held), price_post::RECEIVER_PROGRAM_ID));
    }
    let line = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, update);
    let service = PriceService::recorded_from(&line).expect("recorded");
    keeper.price_posting = Some(PricePosting { service, shard: 0, older_than_secs: 10 });
    (keeper, chain)
}

fn has(transaction: &[Instruction], program: Pubkey) -> bool {
    transaction.iter().any(|ix| ix.program_id == program)
}

fn is_close(transaction: &[Instruction]) -> bool {
    transaction.iter().any(|ix| ix.data == price_post::anchor_discriminator("close_encoded_vaa"))
}

fn is_refresh(transaction: &[Instruction], keeper: &Keeper) -> bool {
    transaction.last() == Some(&keeper.accounts.refresh_market())
}

#[tokio::test]
async fn a_due_update_is_verified_then_posted_with_the_refresh_and_closed_after_the_round() {
    let (mut keeper, mut chain) = posting_keeper(Some(1_000), 1_005);
    keeper.unit_price = Some(compute::UnitPrice::Fixed(3));
    keeper.price = 3;
    let (poked, outcome) = keeper.refresh_with_price(&mut chain).await;
    assert!(poked);
    assert_eq!(outcome, Some(PostOutcome::Posted { publish_time: 1_005 }));
    // The VAA in two transactions, each with its own budget; then the update with the refresh.
    assert_eq!(chain.sent.len(), 3, "{:#?}", chain.sent);
    assert!(chain.sent[..2].iter().all(|tx| has(tx, price_post::WORMHOLE_PROGRAM_ID)));
    assert_eq!(chain.sent[0][..2], compute::budget(3_000 + 3_000 + 3_000 + 300, 3)[..]);
    let with_refresh = &chain.sent[2];
    let limit = compute::unit_limit(&["refresh_market"]).unwrap() + price_post::UPDATE_PRICE_FEED_UNITS;
    assert_eq!(with_refresh[..2], compute::budget(limit, 3)[..]);
    assert_eq!(with_refresh[2].program_id, price_post::PUSH_ORACLE_PROGRAM_ID);
    assert_eq!(with_refresh[2].accounts[5].pubkey, keeper.accounts.oracle, "the market's own feed account");
    assert!(is_refresh(with_refresh, &keeper));
    // The round's liquidations carry nothing of it: the feed account already holds the price.
    let liquidate =
        keeper.accounts.liquidate_accounts(Pubkey::new_unique(), Pubkey::new_unique(), Pubkey::new_unique());
    assert!(!has(&keeper.budgeted("liquidate", liquidate), price_post::PUSH_ORACLE_PROGRAM_ID));
    // After the round's actions, the close; and only once.
    keeper.close_posted(&mut chain).await;
    keeper.close_posted(&mut chain).await;
    assert_eq!(chain.sent.len(), 4);
    assert!(is_close(&chain.sent[3]));
}

#[tokio::test]
async fn a_feed_account_not_yet_created_is_posted_into() {
    let (mut keeper, mut chain) = posting_keeper(None, 1_005);
    let (_, outcome) = keeper.refresh_with_price(&mut chain).await;
    assert_eq!(outcome, Some(PostOutcome::Posted { publish_time: 1_005 }));
}

#[tokio::test]
async fn nothing_is_posted_while_the_feed_is_young_or_the_update_no_newer() {
    // At 1,010: held 1,001, 1,005 or 1,009 is younger than 10 s; held and offered 1,000 is nothing newer.
    for (held, offered) in [(1_001, 1_005), (1_005, 1_008), (1_009, 1_009), (1_000, 1_000)] {
        let (mut keeper, mut chain) = posting_keeper(Some(held), offered);
        let (poked, outcome) = keeper.refresh_with_price(&mut chain).await;
        assert_eq!((poked, outcome), (true, Some(PostOutcome::NothingNewer)), "held {held}, offered {offered}");
        assert_eq!(chain.sent.len(), 1, "the refresh alone: no VAA paid for");
        assert!(is_refresh(&chain.sent[0], &keeper) && !has(&chain.sent[0], price_post::PUSH_ORACLE_PROGRAM_ID));
    }
}

#[tokio::test]
async fn a_service_serving_an_old_price_is_not_followed() {
    // The feed is 20 s old; the service offers a print 15 s old (lagging, or choosing among old prints).
    let (mut keeper, mut chain) = posting_keeper(Some(990), 995);
    let (poked, outcome) = keeper.refresh_with_price(&mut chain).await;
    assert!(poked);
    assert!(matches!(outcome, Some(PostOutcome::Failed { ref reason }) if reason.contains("15 s old")));
    assert_eq!(chain.sent.len(), 1, "the refresh alone");
}

#[tokio::test]
async fn a_market_that_does_not_read_the_push_oracles_account_is_not_posted_for() {
    let (mut keeper, mut chain) = posting_keeper(Some(1_000), 1_005);
    chain.accounts.insert(keeper.market, pull_market(Pubkey::new_unique()));
    let (poked, outcome) = keeper.refresh_with_price(&mut chain).await;
    assert!(poked);
    assert!(matches!(outcome, Some(PostOutcome::Failed { ref reason }) if reason.contains("not the push oracle's")));
    assert_eq!(chain.sent.len(), 1, "the refresh alone");
}

#[tokio::test]
async fn an_update_the_receiver_would_refuse_costs_nothing() {
    // A forged message: a real-looking update whose Merkle path does not lead to the signed root.
    let forged = fixtures::update_with_filler_path(fixtures::vaa([1; 20], 13), &[(FEED, 100, 1_005)], 4);
    let (mut keeper, mut chain) = posting_keeper_with(Some(1_000), forged);
    let (poked, outcome) = keeper.refresh_with_price(&mut chain).await;
    assert!(poked);
    assert!(
        matches!(outcome, Some(PostOutcome::Failed { ref reason }) if reason.contains("not under the signed root"))
    );
    assert_eq!(chain.sent.len(), 1, "the refresh alone");
}

#[tokio::test]
async fn an_update_that_fails_on_chain_costs_the_refresh_its_company_not_the_round() {
    let (mut keeper, chain) = posting_keeper(Some(1_000), 1_005);
    // The VAA verifies; the push oracle then refuses the update (a custom error of its own).
    let refusal = Error::Transaction { reason: "custom error 6000 from program pyth".into(), transient: false };
    let mut chain = Scripted { inner: chain, fail_at: 3, error: refusal, count: 0 };
    let (poked, outcome) = keeper.refresh_with_price(&mut chain).await;
    assert!(poked, "the refresh went again on its own");
    assert!(matches!(outcome, Some(PostOutcome::Failed { ref reason }) if reason.contains("did not land")));
    let sent = &chain.inner.sent;
    assert!(is_refresh(&sent[3], &keeper) && !has(&sent[3], price_post::PUSH_ORACLE_PROGRAM_ID));
    keeper.close_posted(&mut chain).await;
    assert!(is_close(&chain.inner.sent[4]), "the VAA closed after the round");
}

#[tokio::test]
async fn a_refresh_refused_by_backstop_still_posts_the_price() {
    let (mut keeper, chain) = posting_keeper(Some(1_000), 1_005);
    let refused = Error::Program { code: 6000, name: "MarketPaused".into(), message: String::new() };
    let mut chain = Scripted { inner: chain, fail_at: 3, error: refused, count: 0 };
    let (poked, outcome) = keeper.refresh_with_price(&mut chain).await;
    assert!(!poked);
    assert_eq!(outcome, Some(PostOutcome::Posted { publish_time: 1_005 }));
    let alone = &chain.inner.sent[3];
    assert!(has(alone, price_post::PUSH_ORACLE_PROGRAM_ID) && !is_refresh(alone, &keeper), "the update alone");
}

#[tokio::test]
async fn a_vaa_that_fails_to_verify_is_closed_and_the_refresh_goes_alone() {
    let (mut keeper, chain) = posting_keeper(Some(1_000), 1_005);
    let expired = Error::Transaction { reason: "custom error 2 from program wormhole".into(), transient: false };
    let mut chain = Scripted { inner: chain, fail_at: 2, error: expired, count: 0 };
    let (poked, outcome) = keeper.refresh_with_price(&mut chain).await;
    assert!(poked);
    assert!(matches!(outcome, Some(PostOutcome::Failed { ref reason }) if reason.contains("not verified")));
    let sent = &chain.inner.sent;
    assert_eq!(sent.len(), 4, "fund+allocate+write, the refused verify, the close, the refresh: {sent:#?}");
    assert!(is_close(&sent[2]));
    assert!(is_refresh(&sent[3], &keeper));
}

#[tokio::test]
async fn an_encoded_vaa_left_by_an_earlier_posting_is_closed_first() {
    let (mut keeper, mut chain) = posting_keeper(Some(1_000), 1_005);
    let leftover = price_post::encoded_vaa_address(&chain.keeper(), price_post::ENCODED_VAA_SEED);
    chain.accounts.insert(leftover, (vec![0; 100], price_post::WORMHOLE_PROGRAM_ID));
    let (_, outcome) = keeper.refresh_with_price(&mut chain).await;
    assert_eq!(outcome, Some(PostOutcome::Posted { publish_time: 1_005 }));
    assert!(is_close(&chain.sent[0]), "closed before it is made again");
    assert_eq!(chain.sent.len(), 4);
}

#[tokio::test]
async fn lamports_a_stranger_sent_to_the_accounts_address_stop_nothing() {
    let (mut keeper, mut chain) = posting_keeper(Some(1_000), 1_005);
    let address = price_post::encoded_vaa_address(&chain.keeper(), price_post::ENCODED_VAA_SEED);
    let system = anchor_lang::solana_program::system_program::ID;
    chain.accounts.insert(address, (Vec::new(), system));
    let (_, outcome) = keeper.refresh_with_price(&mut chain).await;
    assert_eq!(outcome, Some(PostOutcome::Posted { publish_time: 1_005 }));
    assert!(!is_close(&chain.sent[0]), "not Wormhole's: nothing to close");
    // Funded and allocated, which a balance already there does not refuse (a creation would).
    assert_eq!(chain.sent[0].iter().filter(|ix| ix.program_id == system).count(), 2);
}

/// A chain that fails its `fail_at`-th send (1-based) with `error` and takes every other.
struct Scripted {
    inner: Flaky,
    fail_at: usize,
    error: Error,
    count: usize,
}

impl Chain for Scripted {
    async fn now(&mut self) -> Result<i64> {
        self.inner.now().await
    }
    async fn account(&mut self, address: Pubkey) -> Result<Option<(Vec<u8>, Pubkey)>> {
        self.inner.account(address).await
    }
    async fn margin_accounts(&mut self, market: Pubkey) -> Result<Vec<(Pubkey, MarginAccount)>> {
        self.inner.margin_accounts(market).await
    }
    async fn send(&mut self, instructions: &[Instruction]) -> Result<()> {
        self.count += 1;
        let result = self.inner.send(instructions).await;
        if self.count == self.fail_at {
            return Err(self.error.clone());
        }
        result
    }
    fn keeper(&self) -> Pubkey {
        self.inner.keeper()
    }
}
