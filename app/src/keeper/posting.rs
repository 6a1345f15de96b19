//! A pull-oracle market's price posted by the keeper in front of its round (`backstop_client::price_post`): in a
//! crash the keeper does not wait for anyone else to move the feed account before it liquidates.
//!
//! The update goes in the same transaction as the round's `refresh_market`, never in front of a liquidation or a
//! cover: once it has landed the feed account holds it for every action after, and an update that fails on chain
//! (a price service serving something the receiver refuses) then costs one refresh, not the round's liquidations.

use super::{Keeper, PostOutcome};
use crate::chain::Chain;
use crate::error::Error;
use crate::price_service::PriceService;
use anchor_lang::prelude::AccountInfo;
use anchor_lang::solana_program::instruction::Instruction;
use backstop::state::{Market, OracleKind};
use backstop_client::compute;
use backstop_client::price_post::{self, PriceUpdate};

/// Where a keeper of a pull-oracle market gets signed updates, which push-oracle feed account the market reads,
/// and when a posting is worth its cost.
pub struct PricePosting {
    pub service: PriceService,
    /// The push oracle's shard of the market's feed account (Pyth keeps shard 0 fresh itself).
    pub shard: u16,
    /// Post when the feed account's print is at least this old by the chain's clock, and only an update younger
    /// than this: a feed kept fresh costs nothing, one left behind in a crash is brought up to date, and a price
    /// service serving old prints (lagging, or choosing) is not followed.
    pub older_than_secs: i64,
}

impl Keeper {
    /// The round's `refresh_market`, behind the service's latest update of the market's feed when posting is set
    /// and the update is due. Whether the refresh landed, and what the posting did (`None`: no posting set).
    pub(super) async fn refresh_with_price<C: Chain>(&mut self, chain: &mut C) -> (bool, Option<PostOutcome>) {
        let Some(shard) = self.price_posting.as_ref().map(|posting| posting.shard) else {
            return (self.refresh(chain).await, None);
        };
        // A round cut short left its encoded VAA open.
        self.close_posted(chain).await;
        let (poked, outcome) = match self.due_update(chain, shard).await {
            Ok(Some((update, feed_id))) => self.post_with_refresh(chain, &update, feed_id, shard).await,
            Ok(None) => (self.refresh(chain).await, PostOutcome::NothingNewer),
            Err(reason) => (self.refresh(chain).await, PostOutcome::Failed { reason }),
        };
        if let PostOutcome::Failed { reason } = &outcome {
            tracing::warn!(%reason, "price not posted: acting on the feed account as it stands");
        }
        (poked, Some(outcome))
    }

    async fn refresh<C: Chain>(&self, chain: &mut C) -> bool {
        self.send(chain, "refresh_market", self.accounts.refresh_market()).await.is_ok()
    }

    /// The service's update of the market's feed, checked, when it is due (`None`: the feed account is recent
    /// enough, or the update no newer).
    async fn due_update<C: Chain>(
        &mut self,
        chain: &mut C,
        shard: u16,
    ) -> Result<Option<(PriceUpdate, [u8; 32])>, String> {
        let market = chain.market(self.market).await.map_err(|e| e.to_string())?;
        let config = market.oracle_config();
        if OracleKind::try_from(config.kind).ok() != Some(OracleKind::PythPull) {
            return Err("the market's oracle is not a pull oracle".to_string());
        }
        let feed_id = config.feed_id;
        let feed_account = price_post::price_feed_account(shard, &feed_id);
        if market.oracle != feed_account {
            return Err(format!(
                "the market reads {}, not the push oracle's feed account {feed_account} of shard {shard}",
                market.oracle
            ));
        }
        let now = chain.now().await.map_err(|e| e.to_string())?;
        let held = self.feed_publish_time(chain, &market).await;
        let posting = self.price_posting.as_mut().ok_or("no price service")?;
        let threshold = posting.older_than_secs.max(1);
        if held.is_some_and(|held| now.saturating_sub(held) < threshold) {
            return Ok(None);
        }
        let bytes = posting.service.latest(&feed_id).await.map_err(|e| e.to_string())?;
        let update = PriceUpdate::parse(&bytes).map_err(|e| e.to_string())?;
        update.check().map_err(|e| e.to_string())?;
        let offered = update.feed(&feed_id).map_err(|e| e.to_string())?.publish_time;
        if held.is_some_and(|held| offered <= held) {
            return Ok(None);
        }
        let age = now.saturating_sub(offered);
        if age >= threshold {
            return Err(format!("the service's latest price is {age} s old"));
        }
        Ok(Some((update, feed_id)))
    }

    /// The publish time the market's feed account holds (`None`: no such account yet, or unreadable).
    async fn feed_publish_time<C: Chain>(&self, chain: &mut C, market: &Market) -> Option<i64> {
        let (mut data, owner) = chain.account(market.oracle).await.ok()??;
        let mut lamports = 0u64;
        let info = AccountInfo::new(&market.oracle, false, false, &mut lamports, &mut data, &owner, false);
        backstop::oracle::decode(&info, &market.oracle_config()).ok().map(|reading| reading.publish_time)
    }

    /// Verifies the update's VAA in the keeper's encoded-VAA account, sends the feed's update with the refresh
    /// behind it, and closes the account. A refresh refused by Backstop with the update fine sends the update on
    /// its own; an update that fails sends the refresh on its own.
    async fn post_with_refresh<C: Chain>(
        &mut self,
        chain: &mut C,
        update: &PriceUpdate,
        feed_id: [u8; 32],
        shard: u16,
    ) -> (bool, PostOutcome) {
        let payer = chain.keeper();
        let post = price_post::post_vaa(
            payer,
            &update.quorum_vaa(),
            price_post::ENCODED_VAA_SEED,
            update.guardian_set_index(),
        );
        // An account left by a posting whose outcome was unknown is closed before this one is made (lamports a
        // stranger sent to the address are no obstacle: `post_vaa` funds and allocates rather than creates).
        let leftover = chain.account(post.encoded_vaa).await;
        if matches!(leftover, Ok(Some((_, owner))) if owner == price_post::WORMHOLE_PROGRAM_ID) {
            if let Err(error) = self.close_vaa(chain, &post.close).await {
                let reason = format!("an earlier encoded VAA could not be closed: {error}");
                return (self.refresh(chain).await, PostOutcome::Failed { reason });
            }
        }
        for (transaction, units) in post.transactions.iter().zip(&post.units) {
            let mut instructions = self.budget_for(*units);
            instructions.extend(transaction.iter().cloned());
            if let Err(error) = self.send_with_retries(chain, &instructions).await {
                // Whatever landed of it is closed (a close of nothing fails, harmlessly).
                let _ = self.close_vaa(chain, &post.close).await;
                let reason = format!("the VAA was not verified: {error}");
                return (self.refresh(chain).await, PostOutcome::Failed { reason });
            }
        }
        let Ok(feed) = update.feed(&feed_id) else {
            let _ = self.close_vaa(chain, &post.close).await;
            return (self.refresh(chain).await, PostOutcome::Failed { reason: "no price for the feed".to_string() });
        };
        // The receiver's fee is written to one of 256 treasuries: the keeper's own, so keepers do not contend.
        let update_feed = price_post::update_price_feed(payer, post.encoded_vaa, feed, shard, payer.to_bytes()[0]);
        let posted = PostOutcome::Posted { publish_time: feed.publish_time };
        let mut with_refresh = self.budget_for(self.refresh_units() + price_post::UPDATE_PRICE_FEED_UNITS);
        with_refresh.extend([update_feed.clone(), self.accounts.refresh_market()]);
        let result = match self.send_with_retries(chain, &with_refresh).await {
            Ok(()) => (true, posted),
            // Backstop refused the refresh, so the update before it ran: post it on its own.
            Err(Error::Program { name, .. }) => {
                tracing::warn!(%name, "the refresh was refused behind the posted price: posting the price alone");
                let mut alone = self.budget_for(price_post::UPDATE_PRICE_FEED_UNITS);
                alone.push(update_feed);
                match self.send_with_retries(chain, &alone).await {
                    Ok(()) => (false, posted),
                    Err(error) => (false, PostOutcome::Failed { reason: format!("the update did not land: {error}") }),
                }
            }
            Err(error) => {
                let reason = format!("the update did not land: {error}");
                (self.refresh(chain).await, PostOutcome::Failed { reason })
            }
        };
        // Closed after the round's actions: nothing stands between the price and the first liquidation.
        self.posted_vaa = Some(post.close);
        if let (_, PostOutcome::Posted { publish_time }) = &result {
            tracing::info!(publish_time, price = feed.price, "price posted");
        }
        result
    }

    /// Closes the encoded VAA the round posted, if it did (after its actions; or at the next posting, when the
    /// round was cut short).
    pub(super) async fn close_posted<C: Chain>(&mut self, chain: &mut C) {
        if let Some(close) = self.posted_vaa.take() {
            let _ = self.close_vaa(chain, &close).await;
        }
    }

    async fn close_vaa<C: Chain>(&self, chain: &mut C, close: &Instruction) -> crate::error::Result<()> {
        let mut instructions = self.budget_for(price_post::CLOSE_ENCODED_VAA_UNITS);
        instructions.push(close.clone());
        let result = self.send_with_retries(chain, &instructions).await;
        if let Err(error) = &result {
            let account = close.accounts.get(1).map(|meta| meta.pubkey).unwrap_or_default();
            tracing::warn!(%account, kind = error.kind(), %error, "the encoded VAA was not closed (the next posting closes it)");
        }
        result
    }

    /// The units a refresh takes, as the measured table gives them (without the budget instructions' own).
    fn refresh_units(&self) -> u32 {
        compute::unit_limit(&["refresh_market"]).map_or(0, |limit| limit - compute::BUDGET_INSTRUCTION_UNITS)
    }

    /// Compute-budget instructions for a transaction of `units`, when the keeper bids.
    fn budget_for(&self, units: u32) -> Vec<Instruction> {
        match self.unit_price {
            Some(_) => compute::budget(units + compute::BUDGET_INSTRUCTION_UNITS, self.price),
            None => Vec::new(),
        }
    }
}
