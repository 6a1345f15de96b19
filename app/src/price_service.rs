//! Where a keeper gets signed Pyth updates to post in front of its actions on a pull-oracle market
//! (`backstop_client::price_post`): Pyth's price service over HTTP, or updates recorded earlier.

use crate::error::{Error, Result};
use base64::Engine;

/// The longest answer read from a price service (an update of one feed, base64 in JSON, is ~2 KiB).
pub const ANSWER_MAX_LEN: usize = 64 * 1024;

/// A source of accumulator updates (the bytes `backstop_client::price_post::PriceUpdate::parse` reads).
pub enum PriceService {
    /// A Hermes endpoint (`https://hermes.pyth.network`, or an operator's own): `GET
    /// /v2/updates/price/latest?ids[]=<feed>&encoding=base64`, each request bounded by `timeout`.
    Hermes { url: String, client: reqwest::Client, timeout: std::time::Duration },
    /// Updates recorded earlier, one base64 update per line of a file, served in order and the last one again
    /// after (a replay, or a keeper with no service in reach).
    Recorded { updates: Vec<Vec<u8>>, next: usize },
}

impl PriceService {
    pub fn hermes(url: &str) -> Self {
        Self::Hermes {
            url: url.trim_end_matches('/').to_string(),
            client: reqwest::Client::new(),
            timeout: std::time::Duration::from_secs(3),
        }
    }

    /// Reads a file of recorded updates (base64, one a line; blank lines and `#` comments skipped).
    pub fn recorded(path: &std::path::Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::Input(format!("{}: {e}", path.display())))?;
        Self::recorded_from(&text).map_err(|e| Error::Input(format!("{}: {e}", path.display())))
    }

    pub fn recorded_from(text: &str) -> Result<Self> {
        let mut updates = Vec::new();
        for (number, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(line)
                .map_err(|e| Error::Input(format!("line {}: not base64: {e}", number + 1)))?;
            updates.push(bytes);
        }
        if updates.is_empty() {
            return Err(Error::Input("no updates".to_string()));
        }
        Ok(Self::Recorded { updates, next: 0 })
    }

    /// The latest update carrying `feed_id`.
    pub async fn latest(&mut self, feed_id: &[u8; 32]) -> Result<Vec<u8>> {
        match self {
            Self::Hermes { url, client, timeout } => {
                let feed = backstop_client::price_post::hex(feed_id);
                let request = client
                    .get(format!("{url}/v2/updates/price/latest"))
                    .query(&[("ids[]", feed.as_str()), ("encoding", "base64")])
                    .timeout(*timeout);
                let mut response = request.send().await.map_err(|e| Error::Transport(format!("price service: {e}")))?;
                let status = response.status();
                // An answer is read only up to what an update of one feed can be: a service cannot flood the keeper.
                let mut body = Vec::new();
                while let Some(chunk) =
                    response.chunk().await.map_err(|e| Error::Transport(format!("price service: {e}")))?
                {
                    body.extend_from_slice(&chunk);
                    if body.len() > ANSWER_MAX_LEN {
                        return Err(Error::Transport(format!("price service: an answer over {ANSWER_MAX_LEN} bytes")));
                    }
                }
                let body = String::from_utf8_lossy(&body);
                if !status.is_success() {
                    let excerpt: String = body.chars().take(200).collect();
                    return Err(Error::Transport(format!("price service answered {status}: {excerpt}")));
                }
                hermes_update(&body)
            }
            Self::Recorded { updates, next } => {
                let update = updates[(*next).min(updates.len() - 1)].clone();
                *next += 1;
                Ok(update)
            }
        }
    }
}

/// The update bytes in a Hermes answer (`{"binary": {"encoding": "base64", "data": ["..."]}, ...}`).
pub fn hermes_update(body: &str) -> Result<Vec<u8>> {
    let answer: serde_json::Value =
        serde_json::from_str(body).map_err(|e| Error::Transport(format!("price service: not JSON: {e}")))?;
    let data = answer["binary"]["data"][0]
        .as_str()
        .ok_or_else(|| Error::Transport("price service: no binary.data in the answer".to_string()))?;
    match answer["binary"]["encoding"].as_str() {
        Some("base64") => base64::engine::general_purpose::STANDARD
            .decode(data)
            .map_err(|e| Error::Transport(format!("price service: bad base64: {e}"))),
        other => Err(Error::Transport(format!("price service: encoding {other:?}, asked for base64"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hermes_answer_gives_its_update_bytes() {
        let body = r#"{"binary":{"encoding":"base64","data":["UE5BVQ=="]},"parsed":[]}"#;
        assert_eq!(hermes_update(body).unwrap(), b"PNAU".to_vec());
        assert!(hermes_update(r#"{"binary":{"encoding":"hex","data":["504e4155"]}}"#).is_err());
        assert!(hermes_update("not json").is_err());
        assert!(hermes_update(r#"{"parsed":[]}"#).is_err());
    }

    #[tokio::test]
    async fn recorded_updates_are_served_in_order_then_the_last_again() {
        let mut service = PriceService::recorded_from("# a replay\nUE5BVQ==\n\nAQID\n").unwrap();
        assert_eq!(service.latest(&[0; 32]).await.unwrap(), b"PNAU".to_vec());
        assert_eq!(service.latest(&[0; 32]).await.unwrap(), vec![1, 2, 3]);
        assert_eq!(service.latest(&[0; 32]).await.unwrap(), vec![1, 2, 3]);
        assert!(PriceService::recorded_from("# nothing\n").is_err());
        assert!(PriceService::recorded_from("!!!\n").is_err());
    }
}
