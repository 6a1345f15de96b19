//! The keeper's metrics, in Prometheus's text format on `GET /metrics` (`backstop keeper --metrics ADDR`): what an
//! operator alerts on in a crash. Rounds by outcome, accounts watched and assessed, every action by kind, result and reason (a
//! failure's reason is the program's error name, or the error's kind), the market's crash risk as the keeper last
//! read it, and how far the node's clock is behind the keeper's (a node falling behind sees prices late).

use crate::keeper::{PostOutcome, RoundReport};
use prometheus::{Encoder, IntCounterVec, IntGauge, Opts, Registry, TextEncoder};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener};

/// How long a metrics client may take to send its request and read the answer.
const CLIENT_DEADLINE: std::time::Duration = std::time::Duration::from_secs(2);
/// The longest request line read.
const REQUEST_LINE_MAX: u64 = 8 * 1024;

/// Every metric the keeper exports, registered once.
#[derive(Clone)]
pub struct KeeperMetrics {
    registry: Registry,
    rounds: IntCounterVec,
    actions: IntCounterVec,
    watched: IntGauge,
    assessed: IntGauge,
    latent_deficit: IntGauge,
    stressed_deficit: IntGauge,
    adequacy_bps: IntGauge,
    clock_lag_secs: IntGauge,
    subscribed: IntGauge,
    notifications: IntGauge,
}

fn gauge(registry: &Registry, name: &str, help: &str) -> prometheus::Result<IntGauge> {
    let gauge = IntGauge::new(name, help)?;
    registry.register(Box::new(gauge.clone()))?;
    Ok(gauge)
}

fn counter(registry: &Registry, name: &str, help: &str, labels: &[&str]) -> prometheus::Result<IntCounterVec> {
    let counter = IntCounterVec::new(Opts::new(name, help), labels)?;
    registry.register(Box::new(counter.clone()))?;
    Ok(counter)
}

impl KeeperMetrics {
    /// The metrics of the keeper of `market` (every series carries it as a constant label).
    pub fn new(market: &str) -> prometheus::Result<Self> {
        let labels = std::iter::once(("market".to_string(), market.to_string())).collect();
        let registry = Registry::new_custom(Some("backstop_keeper".into()), Some(labels))?;
        Ok(Self {
            rounds: counter(&registry, "rounds_total", "Keeper rounds, by outcome (ok, failed).", &["outcome"])?,
            actions: counter(
                &registry,
                "actions_total",
                "Keeper transactions by action (refresh_market, liquidate, cover, touch, post_price), result \
                 (landed, failed; post_price also skipped when the feed held the latest price) and reason (the \
                 program's error name, or the error's kind; empty when landed).",
                &["action", "result", "reason"],
            )?,
            watched: gauge(&registry, "accounts_watched", "Margin accounts the last round scanned.")?,
            assessed: gauge(
                &registry,
                "accounts_assessed",
                "Margin accounts whose health the last round computed; the rest were unchanged and farther from \
                 maintenance than the price and funding had moved.",
            )?,
            latent_deficit: gauge(&registry, "latent_deficit_atoms", "The market's latent deficit, quote atoms.")?,
            stressed_deficit: gauge(
                &registry,
                "stressed_deficit_atoms",
                "What a gap of the target shock would leave unpaid, quote atoms.",
            )?,
            adequacy_bps: gauge(
                &registry,
                "fund_adequacy_bps",
                "Fund balance over the stressed deficit, bps (capped at i64::MAX: nothing at stake).",
            )?,
            clock_lag_secs: gauge(
                &registry,
                "chain_clock_lag_seconds",
                "The keeper's clock minus the chain's Clock as the last round read it: a node falling behind.",
            )?,
            subscribed: gauge(
                &registry,
                "subscribed",
                "1 while the account subscription (--subscribe) delivers, 0 when scanning every round.",
            )?,
            notifications: gauge(
                &registry,
                "account_notifications",
                "Account notifications the subscription received.",
            )?,
            registry,
        })
    }

    /// A round that returned `report`, with the chain's clock as it read it.
    pub fn round(&self, report: &RoundReport, chain_now: Option<i64>) {
        self.rounds.with_label_values(&["ok"]).inc();
        self.watched.set(i64::try_from(report.scanned).unwrap_or(i64::MAX));
        self.assessed.set(i64::try_from(report.assessed).unwrap_or(i64::MAX));
        let poke = if report.poked { "landed" } else { "failed" };
        self.actions.with_label_values(&["refresh_market", poke, ""]).inc();
        for (action, landed) in
            [("liquidate", &report.liquidated), ("cover", &report.covered), ("touch", &report.touched)]
        {
            self.actions.with_label_values(&[action, "landed", ""]).inc_by(landed.len() as u64);
        }
        match &report.price_post {
            Some(PostOutcome::Posted { .. }) => self.actions.with_label_values(&["post_price", "landed", ""]).inc(),
            Some(PostOutcome::NothingNewer) => {
                self.actions.with_label_values(&["post_price", "skipped", "nothing_newer"]).inc()
            }
            // The reason is free text (in the log): one label value keeps the series bounded.
            Some(PostOutcome::Failed { .. }) => {
                self.actions.with_label_values(&["post_price", "failed", "not_posted"]).inc()
            }
            None => {}
        }
        for failure in &report.failed {
            self.actions.with_label_values(&[failure.action, "failed", &failure.reason]).inc();
        }
        if let Some(risk) = &report.risk {
            self.latent_deficit.set(i64::try_from(risk.latent_deficit).unwrap_or(i64::MAX));
            self.stressed_deficit.set(i64::try_from(risk.stressed_deficit).unwrap_or(i64::MAX));
            self.adequacy_bps.set(i64::try_from(risk.adequacy_bps).unwrap_or(i64::MAX));
        }
        if let Some(chain_now) = chain_now {
            let wall = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
            self.clock_lag_secs.set(i64::try_from(wall).unwrap_or(i64::MAX).saturating_sub(chain_now));
        }
    }

    /// The account subscription's state: whether it delivers, and how many notifications it has received.
    pub fn subscription(&self, live: bool, notifications: u64) {
        self.subscribed.set(i64::from(live));
        self.notifications.set(i64::try_from(notifications).unwrap_or(i64::MAX));
    }

    /// A round whose own reads failed (`kind`: the error's kind).
    pub fn failed_round(&self) {
        self.rounds.with_label_values(&["failed"]).inc();
    }

    /// Every metric in Prometheus's text format.
    pub fn render(&self) -> String {
        let mut text = Vec::new();
        // Encoding into memory fails only on a malformed metric, which registration has already refused.
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut text);
        String::from_utf8_lossy(&text).into_owned()
    }

    /// Serves `GET /metrics` on `address` from a thread of its own; the address it bound (port 0 picks one).
    pub fn serve(&self, address: SocketAddr) -> std::io::Result<SocketAddr> {
        let listener = TcpListener::bind(address)?;
        let bound = listener.local_addr()?;
        let metrics = self.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                match stream {
                    // Each client on a thread of its own, with deadlines: a slow or silent one holds up no other.
                    Ok(stream) => {
                        let metrics = metrics.clone();
                        std::thread::spawn(move || metrics.answer(stream));
                    }
                    // Out of descriptors, say: wait rather than spin.
                    Err(_) => std::thread::sleep(std::time::Duration::from_millis(100)),
                }
            }
        });
        Ok(bound)
    }

    fn answer(&self, mut stream: std::net::TcpStream) -> std::io::Result<()> {
        stream.set_read_timeout(Some(CLIENT_DEADLINE))?;
        stream.set_write_timeout(Some(CLIENT_DEADLINE))?;
        let mut request_line = String::new();
        // The request line only, and at most a few KiB of it: nothing a client sends can grow without bound.
        BufReader::new(stream.try_clone()?.take(REQUEST_LINE_MAX)).read_line(&mut request_line)?;
        let (status, body) = match request_line.split_whitespace().nth(1) {
            Some("/metrics") => ("200 OK", self.render()),
            _ => ("404 Not Found", "GET /metrics\n".to_string()),
        };
        let head = format!(
            "HTTP/1.1 {status}\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        stream.write_all(head.as_bytes())?;
        stream.write_all(body.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keeper::{Failure, Risk};
    use anchor_lang::prelude::Pubkey;

    #[test]
    fn a_round_shows_as_counts_by_action_result_and_reason_and_the_market_s_risk() {
        let metrics = KeeperMetrics::new("M").expect("metrics");
        let refused = crate::error::Error::Program { code: 6001, name: "NotLiquidatable".into(), message: "x".into() };
        let report = RoundReport {
            scanned: 7,
            liquidated: vec![Pubkey::new_unique(), Pubkey::new_unique()],
            covered: vec![Pubkey::new_unique()],
            failed: vec![Failure::new("liquidate", Pubkey::new_unique(), &refused)],
            poked: true,
            risk: Some(Risk { latent_deficit: 5, target_shock_bps: 1_000, stressed_deficit: 40, adequacy_bps: 25_000 }),
            ..RoundReport::default()
        };
        metrics.round(&report, Some(0));
        metrics.round(&RoundReport { scanned: 6, assessed: 2, ..RoundReport::default() }, None);
        metrics.failed_round();
        let text = metrics.render();
        for line in [
            r#"backstop_keeper_rounds_total{outcome="ok",market="M"} 2"#,
            r#"backstop_keeper_rounds_total{outcome="failed",market="M"} 1"#,
            r#"backstop_keeper_accounts_watched{market="M"} 6"#,
            r#"backstop_keeper_accounts_assessed{market="M"} 2"#,
            r#"backstop_keeper_actions_total{action="liquidate",reason="",result="landed",market="M"} 2"#,
            r#"backstop_keeper_actions_total{action="liquidate",reason="NotLiquidatable",result="failed",market="M"} 1"#,
            r#"backstop_keeper_actions_total{action="cover",reason="",result="landed",market="M"} 1"#,
            r#"backstop_keeper_actions_total{action="refresh_market",reason="",result="landed",market="M"} 1"#,
            r#"backstop_keeper_actions_total{action="refresh_market",reason="",result="failed",market="M"} 1"#,
            r#"backstop_keeper_stressed_deficit_atoms{market="M"} 40"#,
            r#"backstop_keeper_fund_adequacy_bps{market="M"} 25000"#,
        ] {
            assert!(text.lines().any(|l| l == line), "missing {line} in:\n{text}");
        }
        // The chain's clock at 0 is decades behind the keeper's.
        let lag = text.lines().find_map(|l| l.strip_prefix(r#"backstop_keeper_chain_clock_lag_seconds{market="M"} "#));
        assert!(lag.and_then(|l| l.parse::<i64>().ok()).is_some_and(|secs| secs > 1_700_000_000), "{text}");
    }

    #[test]
    fn the_endpoint_serves_the_text_format_and_nothing_else() {
        let metrics = KeeperMetrics::new("M").expect("metrics");
        metrics.failed_round();
        let bound = metrics.serve("127.0.0.1:0".parse().expect("address")).expect("binds");
        let get = |path: &str| {
            let mut stream = std::net::TcpStream::connect(bound).expect("connects");
            write!(stream, "GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").expect("writes");
            let mut answer = String::new();
            std::io::Read::read_to_string(&mut stream, &mut answer).expect("reads");
            answer
        };
        let answer = get("/metrics");
        assert!(answer.starts_with("HTTP/1.1 200 OK") && answer.contains("backstop_keeper_rounds_total"), "{answer}");
        assert!(get("/").starts_with("HTTP/1.1 404"));
        // A client that connects and says nothing, and one that streams a request line without end, hold up no one.
        let _silent = std::net::TcpStream::connect(bound).expect("connects");
        let mut endless = std::net::TcpStream::connect(bound).expect("connects");
        let _ = endless.write_all(&vec![b'x'; 64 * 1024]);
        assert!(get("/metrics").starts_with("HTTP/1.1 200 OK"));
    }
}
