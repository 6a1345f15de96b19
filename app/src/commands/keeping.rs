//! Keeping a market safe, all permissionless: the keeper loop, and each of its actions by hand.

use super::{key, Session};
use crate::chain::Chain;
use crate::error::{Error, Result};
use crate::keeper::Keeper;
use crate::metrics::KeeperMetrics;
use anchor_lang::prelude::Pubkey;
use serde_json::json;

#[derive(clap::Subcommand)]
pub enum Command {
    /// Runs the keeper: each round shows the market its oracle, liquidates, covers bankruptcies, with
    /// --touch-above touches healthy accounts owing socialized loss, and now and then settles fund revenue. Logs
    /// each action (`--log-format json` for machines).
    Keeper {
        /// The market's address.
        #[arg(long, value_parser = key, env = "BACKSTOP_KEEPER_MARKET")]
        market: Pubkey,
        /// Seconds between rounds.
        #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..), env = "BACKSTOP_KEEPER_INTERVAL")]
        interval: u64,
        /// Stop after this many rounds (0: run until stopped).
        #[arg(long, default_value_t = 0, env = "BACKSTOP_KEEPER_ROUNDS")]
        rounds: u64,
        /// Also touch (`touch_account`) every healthy account with at least this much socialized loss not yet
        /// applied, in quote atoms (1 000 000 = $1 on a 6-decimal mint), so the market's bankruptcy book stops
        /// counting it. Off unless given.
        #[arg(long, env = "BACKSTOP_KEEPER_TOUCH_ABOVE")]
        touch_above: Option<u64>,
        #[command(flatten)]
        bid: Bid,
        /// How many of a round's liquidations (then covers) are in flight at once, the next sent as soon as any
        /// one settles: one that does not land holds up only its own place.
        #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u64).range(1..=64), env = "BACKSTOP_KEEPER_CONCURRENCY")]
        concurrency: u64,
        /// Seconds to wait for a liquidation or cover to confirm before reporting it unconfirmed and moving on (the
        /// next round finds the account as it then stands and acts again if it must).
        #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(2..=90), env = "BACKSTOP_KEEPER_CONFIRM_WITHIN")]
        confirm_within: u64,
        /// Keep the market's accounts by a websocket subscription (programSubscribe) instead of scanning them every
        /// round; a full scan still heals the set every minute, and every round scans while the subscription is down.
        #[arg(long, env = "BACKSTOP_KEEPER_SUBSCRIBE")]
        subscribe: bool,
        /// The websocket endpoint for --subscribe (default: the RPC URL's, as the Solana CLI derives it).
        #[arg(long, requires = "subscribe", env = "BACKSTOP_KEEPER_WS_URL")]
        ws_url: Option<String>,
        /// Serve Prometheus metrics on this address (e.g. 127.0.0.1:9464): `GET /metrics`. Off unless given.
        #[arg(long, env = "BACKSTOP_KEEPER_METRICS")]
        metrics: Option<std::net::SocketAddr>,
        #[command(flatten)]
        posting: Posting,
    },
    /// Liquidates one account below maintenance margin; the reward is paid into your margin account.
    Liquidate {
        /// The market's address.
        #[arg(long, value_parser = key)]
        market: Pubkey,
        /// The owner of the account to liquidate.
        #[arg(long, value_parser = key)]
        owner: Pubkey,
    },
    /// Covers one bankrupt account's deficit through the waterfall (fund, LP pool, socialized loss).
    CoverBankruptcy {
        /// The market's address.
        #[arg(long, value_parser = key)]
        market: Pubkey,
        /// The owner of the bankrupt account.
        #[arg(long, value_parser = key)]
        owner: Pubkey,
    },
    /// Moves the market's accrued fund fees and penalties into the insurance fund (they vest there).
    SettleFundRevenue {
        /// The market's address.
        #[arg(long, value_parser = key)]
        market: Pubkey,
    },
    /// Pays the market's accrued treasury fees to a token account of the exchange's treasury.
    SweepTreasury {
        /// The market's address.
        #[arg(long, value_parser = key)]
        market: Pubkey,
        /// The treasury's token account of the market's collateral mint.
        #[arg(long, value_parser = key)]
        treasury_token: Pubkey,
    },
    /// Applies anyone's share of socialized losses to their account. The market's bankruptcy book counts a
    /// socialized loss against the market until every account has applied it.
    TouchAccount {
        /// The market's address.
        #[arg(long, value_parser = key)]
        market: Pubkey,
        /// The owner of the account to touch.
        #[arg(long, value_parser = key)]
        owner: Pubkey,
    },
    /// Shows the market its oracle (funding accrues, the volatility estimate and the circuit breaker see the print)
    /// and works out afresh the fund's share of fees its trades read.
    RefreshMarket {
        /// The market's address.
        #[arg(long, value_parser = key)]
        market: Pubkey,
    },
}

/// How the keeper bids for compute. Every round's transaction sets its unit limit from the binary's measured table with a
/// margin (`backstop_client::compute`); the unit price is fixed or follows the cluster's recent fees.
#[derive(clap::Args)]
pub struct Bid {
    /// Micro-lamports per compute unit bid for priority (0: none).
    #[arg(long, default_value_t = 0, conflicts_with = "unit_price_percentile", env = "BACKSTOP_KEEPER_UNIT_PRICE")]
    unit_price: u64,
    /// Bid this percentile (0-100) of the fees recently paid to write the market and its book, read each round.
    #[arg(
        long,
        value_parser = clap::value_parser!(u8).range(0..=100),
        requires = "unit_price_max",
        env = "BACKSTOP_KEEPER_UNIT_PRICE_PERCENTILE"
    )]
    unit_price_percentile: Option<u8>,
    /// The most to bid with --unit-price-percentile, micro-lamports per unit (also the bid when the fees cannot be
    /// read).
    #[arg(long, requires = "unit_price_percentile", env = "BACKSTOP_KEEPER_UNIT_PRICE_MAX")]
    unit_price_max: Option<u64>,
}

/// For a pull-oracle market: post a fresh signed price, in the same transaction as the round's refresh and before
/// any liquidation, when the market's feed account (the push oracle's account of --feed-shard) is --post-older-than
/// seconds old and the service has a newer, younger one (the VAA is verified by two transactions of the keeper's
/// and closed after the round).
#[derive(clap::Args)]
pub struct Posting {
    /// A Pyth price service (Hermes) to fetch the market's latest signed update from, e.g.
    /// https://hermes.pyth.network.
    #[arg(long, conflicts_with = "price_updates", env = "BACKSTOP_KEEPER_PRICE_SERVICE")]
    price_service: Option<String>,
    /// A file of recorded updates (base64, one a line) to post in turn instead: a replay, or no service in reach.
    #[arg(long, env = "BACKSTOP_KEEPER_PRICE_UPDATES")]
    price_updates: Option<std::path::PathBuf>,
    /// The push oracle's shard of the market's feed account.
    #[arg(long, default_value_t = 0, env = "BACKSTOP_KEEPER_FEED_SHARD")]
    feed_shard: u16,
    /// Post when the feed account's print is at least this many seconds old by the chain's clock, and only an
    /// update younger than that (a feed kept fresh costs nothing; a service serving old prints is not followed).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(i64).range(1..=3600), env = "BACKSTOP_KEEPER_POST_OLDER_THAN")]
    post_older_than: i64,
}

impl Posting {
    fn price_posting(&self) -> Result<Option<crate::keeper::PricePosting>> {
        use crate::price_service::PriceService;
        let service = match (&self.price_service, &self.price_updates) {
            (Some(url), _) => PriceService::hermes(url),
            (None, Some(path)) => PriceService::recorded(path)?,
            (None, None) => return Ok(None),
        };
        Ok(Some(crate::keeper::PricePosting { service, shard: self.feed_shard, older_than_secs: self.post_older_than }))
    }
}

impl Bid {
    fn unit_price(&self) -> backstop_client::compute::UnitPrice {
        use backstop_client::compute::UnitPrice;
        match (self.unit_price_percentile, self.unit_price_max) {
            (Some(percentile), Some(max)) => UnitPrice::Recent { percentile, max },
            _ => UnitPrice::Fixed(self.unit_price),
        }
    }
}

pub async fn run(command: Command, session: &mut Session) -> Result<()> {
    match command {
        Command::Keeper {
            market,
            interval,
            rounds,
            touch_above,
            bid,
            concurrency,
            confirm_within,
            subscribe,
            ws_url,
            metrics,
            posting,
        } => {
            let ws_url = subscribe.then(|| {
                ws_url.unwrap_or_else(|| solana_cli_config::Config::compute_websocket_url(&session.connection.url))
            });
            let concurrency = usize::try_from(concurrency).unwrap_or(1);
            let confirm_within = std::time::Duration::from_secs(confirm_within);
            let unit_price = bid.unit_price();
            let price_posting = posting.price_posting()?;
            let options =
                KeeperOptions { touch_above, unit_price, metrics, ws_url, concurrency, confirm_within, price_posting };
            keep(session, market, interval, rounds, options).await
        }
        Command::Liquidate { market, owner } => {
            let signer = session.signer();
            let liquidator = backstop_client::pda::margin_account(&market, &signer);
            session.ensure(liquidator, backstop_client::create_margin_account(market, signer)).await?;
            let keeper = session.chain.market_accounts(market).await?.keeper();
            session.send(&[keeper.liquidate(signer, owner)]).await
        }
        Command::CoverBankruptcy { market, owner } => {
            let keeper = session.chain.market_accounts(market).await?.keeper();
            let signer = session.signer();
            session.send(&[keeper.cover_bankruptcy(signer, owner)]).await
        }
        Command::SettleFundRevenue { market } => {
            let keeper = session.chain.market_accounts(market).await?.keeper();
            session.send(&[keeper.settle_fund_revenue()]).await
        }
        Command::SweepTreasury { market, treasury_token } => {
            let keeper = session.chain.market_accounts(market).await?.keeper();
            session.send(&[keeper.sweep_treasury_fees(treasury_token)]).await
        }
        Command::TouchAccount { market, owner } => {
            let keeper = session.chain.market_accounts(market).await?.keeper();
            session.send(&[keeper.touch_account(backstop_client::pda::margin_account(&market, &owner))]).await
        }
        Command::RefreshMarket { market } => {
            let keeper = session.chain.market_accounts(market).await?.keeper();
            session.send(&[keeper.refresh_market()]).await
        }
    }
}

/// What the keeper command sets on the keeper beyond its market and pace.
struct KeeperOptions {
    touch_above: Option<u64>,
    unit_price: backstop_client::compute::UnitPrice,
    metrics: Option<std::net::SocketAddr>,
    /// Subscribe to the market's accounts at this websocket endpoint.
    ws_url: Option<String>,
    concurrency: usize,
    /// How long each of the keeper's transactions may take to confirm.
    confirm_within: std::time::Duration,
    /// Where a pull market's fresh prices come from, to post in front of the keeper's actions.
    price_posting: Option<crate::keeper::PricePosting>,
}

/// The keeper's metrics endpoint, when asked for.
fn serve_metrics(market: Pubkey, address: Option<std::net::SocketAddr>) -> Result<Option<KeeperMetrics>> {
    let Some(address) = address else { return Ok(None) };
    let metrics = KeeperMetrics::new(&market.to_string()).map_err(|e| Error::Input(format!("metrics: {e}")))?;
    let bound = metrics.serve(address).map_err(|e| Error::Input(format!("--metrics {address}: {e}")))?;
    tracing::info!(%bound, "metrics on GET /metrics");
    Ok(Some(metrics))
}

/// The keeper loop. A round whose own reads fail is logged and skipped; the next round tries again. With
/// `--rounds`, the command fails if any round failed or any action in them did (losing the race to another keeper
/// counts, except a touch another keeper sent first: the log says which), so a supervisor sees it.
async fn keep(session: &mut Session, market: Pubkey, interval: u64, rounds: u64, options: KeeperOptions) -> Result<()> {
    let signer = session.signer();
    let own_account = backstop_client::pda::margin_account(&market, &signer);
    session.ensure(own_account, backstop_client::create_margin_account(market, signer)).await?;
    let mut keeper = Keeper::new(session.chain.market_accounts(market).await?.keeper());
    // The keeper's requests ride out a dropped connection (a read again, a transaction broadcast again as signed).
    (session.chain.retries, session.chain.backoff) = (keeper.retries, keeper.backoff);
    // A keeper does not wait out a transaction the cluster is not taking: the account is read again next round.
    session.chain.confirm_timeout = options.confirm_within;
    keeper.touch_above = options.touch_above;
    keeper.unit_price = Some(options.unit_price);
    keeper.concurrency = options.concurrency;
    keeper.price_posting = options.price_posting;
    let metrics = serve_metrics(market, options.metrics)?;
    if let Some(ws_url) = &options.ws_url {
        match session.chain.subscribe(ws_url, market).await {
            Ok(()) => tracing::info!(%ws_url, "subscribed to the market's accounts"),
            Err(error) => tracing::warn!(%ws_url, kind = error.kind(), %error, "not subscribed: scanning every round"),
        }
    }
    let (mut done, mut failed_rounds, mut failed_actions) = (0u64, 0u64, 0usize);
    let mut last_error = None;
    let mut last = json!(null);
    loop {
        done += 1;
        match keeper.round(&mut session.chain).await {
            Ok(report) => {
                tracing::info!(
                    round = done,
                    scanned = report.scanned,
                    liquidated = report.liquidated.len(),
                    covered = report.covered.len(),
                    touched = report.touched.len(),
                    failed = report.failed.len(),
                    swept = report.swept,
                    poked = report.poked,
                    "round"
                );
                failed_actions += report.failed.len();
                if let Some(metrics) = &metrics {
                    metrics.round(&report, session.chain.now().await.ok());
                    let watch = session.chain.watch.as_ref();
                    metrics.subscription(watch.is_some_and(|w| w.is_live()), watch.map_or(0, |w| w.updates()));
                }
                last = serde_json::to_value(&report).unwrap_or_default();
            }
            Err(error) => {
                tracing::warn!(round = done, kind = error.kind(), %error, "round skipped");
                failed_rounds += 1;
                last_error = Some(error);
                metrics.iter().for_each(KeeperMetrics::failed_round);
            }
        }
        if rounds != 0 && done >= rounds {
            let summary = json!({ "rounds": done, "failed_rounds": failed_rounds, "failed_actions": failed_actions });
            let line = format!("{done} rounds, {failed_rounds} failed, {failed_actions} failed actions");
            session.report.say("keeper", summary, line);
            session.report.say("last_round", last, String::new());
            if let Some(error) = last_error {
                return Err(error);
            }
            if failed_actions > 0 {
                let reason = format!("{failed_actions} keeper actions failed (each is in the log with its error)");
                return Err(Error::Transaction { reason, transient: false });
            }
            return Ok(());
        }
        tokio::time::sleep(std::time::Duration::from_secs(interval)).await;
    }
}
