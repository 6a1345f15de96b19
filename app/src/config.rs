//! Where to send and who signs, decided as the Solana CLI decides: `-u/--url` (a URL or a moniker), `-k/--keypair`
//! and `-C/--config`, each falling back to the Solana CLI's config file, then to its defaults.

use crate::error::{Error, Result};
use solana_clap_utils::input_validators::normalize_to_url_if_moniker;
use solana_cli_config::{Config, CONFIG_FILE};

/// The connection options every command takes (before or after the command's name).
#[derive(clap::Args, Clone, Debug, Default)]
pub struct Connection {
    /// RPC URL, or a moniker: mainnet-beta, devnet, testnet, localhost (or m, d, t, l). Default: the Solana CLI
    /// config's `json_rpc_url`.
    #[arg(short = 'u', long = "url", global = true, env = "BACKSTOP_URL")]
    pub url: Option<String>,
    /// Keypair file that signs and pays. Default: the Solana CLI config's `keypair_path`.
    #[arg(short = 'k', long, global = true, env = "BACKSTOP_KEYPAIR")]
    pub keypair: Option<String>,
    /// Solana CLI config file. Default: ~/.config/solana/cli/config.yml (missing: the Solana CLI's defaults).
    #[arg(short = 'C', long, global = true, env = "BACKSTOP_CONFIG")]
    pub config: Option<String>,
}

/// The connection after the config file and defaults are applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub url: String,
    pub keypair_path: String,
}

/// The Solana CLI's default keypair file.
const DEFAULT_KEYPAIR: &str = "~/.config/solana/id.json";

impl Connection {
    /// `-u`, else the config file's URL; `-k`, else the config file's keypair, else the Solana CLI's default file.
    /// With neither `-u` nor a config file there is no cluster: refused, rather than guessing one (the same market
    /// address exists on every cluster the program is deployed to).
    pub fn resolve(&self) -> Result<Resolved> {
        let config = self.load_config()?;
        let named = self.url.clone().or_else(|| config.as_ref().map(|c| c.json_rpc_url.clone()));
        let named = named.filter(|url| !url.is_empty()).ok_or_else(|| {
            Error::Input(
                "no cluster named: pass -u <URL or moniker>, or set one with `solana config set --url <URL>`".into(),
            )
        })?;
        let url = normalize_to_url_if_moniker(&named);
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(Error::Input(format!(
                "`{url}` is neither an http(s) URL nor a moniker (mainnet-beta, devnet, testnet, localhost)"
            )));
        }
        let keypair = self
            .keypair
            .clone()
            .or_else(|| config.map(|c| c.keypair_path))
            .filter(|path| !path.is_empty())
            .unwrap_or_else(|| DEFAULT_KEYPAIR.to_string());
        Ok(Resolved { url, keypair_path: expand_tilde(&keypair) })
    }

    /// The named config file (which must exist and parse), else the Solana CLI's default one if it exists (a
    /// malformed one is refused, never silently replaced by defaults).
    fn load_config(&self) -> Result<Option<Config>> {
        let (path, required) = match &self.config {
            Some(path) => (expand_tilde(path), true),
            None => match CONFIG_FILE.as_ref() {
                Some(path) => (path.clone(), false),
                None => return Ok(None),
            },
        };
        if !required && !std::path::Path::new(&path).exists() {
            return Ok(None);
        }
        Config::load(&path).map(Some).map_err(|e| Error::Input(format!("config file {path}: {e}")))
    }
}

/// `~` and `~/…` name the home directory, as a shell would have expanded them.
pub fn expand_tilde(path: &str) -> String {
    let home = || std::env::var("HOME").ok();
    match path.strip_prefix('~') {
        Some("") => home().unwrap_or_else(|| path.to_string()),
        Some(rest) if rest.starts_with('/') => home().map_or_else(|| path.to_string(), |home| format!("{home}{rest}")),
        _ => path.to_string(),
    }
}

/// The Solana Explorer's page for a transaction on the cluster at `url`.
pub fn explorer_url(signature: &str, url: &str) -> String {
    let base = format!("https://explorer.solana.com/tx/{signature}");
    if url.contains("mainnet-beta") {
        base
    } else if url.contains("devnet") {
        format!("{base}?cluster=devnet")
    } else if url.contains("testnet") {
        format!("{base}?cluster=testnet")
    } else {
        // Only scheme, host and port: a provider's key in the path or query must not be printed into a link.
        format!("{base}?cluster=custom&customUrl={}", percent_encode(&origin(url)))
    }
}

/// `scheme://host:port` of a URL, without credentials, path or query.
fn origin(url: &str) -> String {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    let end = url[after_scheme..].find(['/', '?', '#']).map_or(url.len(), |i| after_scheme + i);
    let authority = &url[after_scheme..end];
    let host = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
    format!("{}{host}", &url[..after_scheme])
}

fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => char::from(byte).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_provider_key_never_reaches_a_link() {
        let link = explorer_url("S", "https://user:SECRET@rpc.example.com/v1/SECRETKEY?api-key=SECRET");
        assert!(!link.contains("SECRET"), "{link}");
        assert!(link.ends_with("customUrl=https%3A%2F%2Frpc.example.com"), "{link}");
    }

    fn with(url: &str) -> Connection {
        Connection { url: Some(url.to_string()), keypair: Some("~/k.json".into()), config: Some("/nonexistent".into()) }
    }

    #[test]
    fn monikers_become_urls_and_a_typo_is_refused() {
        let missing_config = with("devnet").resolve();
        assert!(matches!(missing_config, Err(Error::Input(_))), "an explicit config file must exist");
        let direct = Connection { config: None, ..with("devnet") };
        assert_eq!(direct.resolve().map(|r| r.url), Ok("https://api.devnet.solana.com".to_string()));
        let local = Connection { config: None, ..with("l") };
        assert_eq!(local.resolve().map(|r| r.url), Ok("http://localhost:8899".to_string()));
        let typo = Connection { config: None, ..with("devnte") };
        assert!(matches!(typo.resolve(), Err(Error::Input(_))));
    }

    #[test]
    fn tilde_is_the_home_directory() {
        let home = std::env::var("HOME").unwrap_or_default();
        assert_eq!(expand_tilde("~/k.json"), format!("{home}/k.json"));
        assert_eq!(expand_tilde("~"), home);
        assert_eq!(expand_tilde("/abs/~/k.json"), "/abs/~/k.json");
        assert_eq!(expand_tilde("~other/k.json"), "~other/k.json");
    }

    #[test]
    fn explorer_links_name_the_cluster() {
        assert_eq!(
            explorer_url("S", "https://api.devnet.solana.com"),
            "https://explorer.solana.com/tx/S?cluster=devnet"
        );
        assert_eq!(explorer_url("S", "https://api.mainnet-beta.solana.com"), "https://explorer.solana.com/tx/S");
        assert_eq!(
            explorer_url("S", "http://127.0.0.1:8899"),
            "https://explorer.solana.com/tx/S?cluster=custom&customUrl=http%3A%2F%2F127.0.0.1%3A8899"
        );
    }
}
