//! A local JSON-RPC node for the RPC suites: `tests/sbf/node` (surfpool's engine embedded offline, built on the
//! pinned nightly by `scripts/rpc-suite.sh`), spawned as a child process and driven through its stdin (restart, the
//! clock) and surfpool's `surfnet_*` RPC methods (accounts, the program). The suites reach it only as any client
//! reaches a cluster: HTTP JSON-RPC on 127.0.0.1.
//!
//! The suites are `#[ignore]`d in the workspace's test run (they need the node binary, which needs a newer Rust
//! than the workspace's); `scripts/rpc-suite.sh` builds the node and runs them with `BACKSTOP_RPC_NODE` naming it.

use anchor_lang::prelude::Pubkey;
use serde_json::json;
use solana_account::Account;
use solana_rpc_client::nonblocking::rpc_client::RpcClient;
use solana_rpc_client_api::request::RpcRequest;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

/// The variable naming the node binary.
pub const NODE_VARIABLE: &str = "BACKSTOP_RPC_NODE";

/// A running node. Dropping it kills the process.
pub struct Surfnet {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    pub url: String,
    pub ws_url: String,
    /// Where the node's own log goes (its errors: a refused transaction is logged there too).
    pub log: std::path::PathBuf,
    /// Restarts begun and not yet announced ready ([`Surfnet::begin_restart`]).
    pending_ready: u32,
}

impl Surfnet {
    /// Starts the node `BACKSTOP_RPC_NODE` names on two free ports and waits until it serves.
    pub fn start() -> Result<Self, String> {
        let binary = std::env::var(NODE_VARIABLE)
            .map_err(|_| format!("{NODE_VARIABLE} is not set: run the RPC suite with scripts/rpc-suite.sh"))?;
        let (rpc, ws) = (free_port()?, free_port()?);
        let log = std::env::temp_dir().join(format!("backstop-rpc-node-{rpc}.log"));
        let log_file = std::fs::File::create(&log).map_err(|e| format!("{}: {e}", log.display()))?;
        let mut child = Command::new(&binary)
            .args(["--rpc-port", &rpc.to_string(), "--ws-port", &ws.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log_file))
            .spawn()
            .map_err(|e| format!("{binary}: {e}"))?;
        let stdin = child.stdin.take().ok_or("the node's stdin")?;
        let stdout = BufReader::new(child.stdout.take().ok_or("the node's stdout")?);
        let mut node = Self { child, stdin, stdout, url: String::new(), ws_url: String::new(), log, pending_ready: 0 };
        let ready = node.answer("ready")?;
        let mut words = ready.split_whitespace().skip(1);
        node.url = words.next().ok_or("ready without a URL")?.to_string();
        node.ws_url = words.next().ok_or("ready without a websocket URL")?.to_string();
        Ok(node)
    }

    /// An RPC client of this node at `confirmed`.
    pub fn client(&self) -> RpcClient {
        RpcClient::new_with_commitment(self.url.clone(), solana_commitment_config::CommitmentConfig::confirmed())
    }

    /// Stops both servers, waits `pause_ms` and starts them again with the same chain; returns once it serves.
    pub fn restart(&mut self, pause_ms: u64) -> Result<(), String> {
        self.command(&format!("restart {pause_ms}"))?;
        self.answer("ready").map(|_| ())
    }

    /// Begins a restart and returns as soon as the node's port refuses connections; the node comes back
    /// `pause_ms` later, with the same chain, on its own (the next command waits for it).
    pub fn begin_restart(&mut self, pause_ms: u64) -> Result<(), String> {
        self.command(&format!("restart {pause_ms}"))?;
        self.pending_ready += 1;
        let address = self.url.trim_start_matches("http://").to_string();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while std::net::TcpStream::connect(&address).is_ok() {
            if std::time::Instant::now() > deadline {
                return Err("the node's port stayed open through a restart".into());
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        Ok(())
    }

    /// Sets the Clock's `unix_timestamp` (forward or back).
    pub fn set_clock(&mut self, unix_ts: i64) -> Result<(), String> {
        self.command(&format!("clock {unix_ts}"))?;
        self.answer("clock").map(|_| ())
    }

    fn command(&mut self, line: &str) -> Result<(), String> {
        writeln!(self.stdin, "{line}").and_then(|_| self.stdin.flush()).map_err(|e| format!("the node: {e}"))
    }

    /// The node's next line, which must begin with `word`.
    fn answer(&mut self, word: &str) -> Result<String, String> {
        while self.pending_ready > 0 {
            self.pending_ready -= 1;
            self.answer("ready")?;
        }
        let mut line = String::new();
        let read = self.stdout.read_line(&mut line).map_err(|e| format!("the node: {e}"))?;
        if read == 0 || !line.starts_with(word) {
            let log = std::fs::read_to_string(&self.log).unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(20).collect();
            return Err(format!("the node said {line:?} (expected {word}); its log ends:\n{}", tail.join("\n")));
        }
        Ok(line.trim().to_string())
    }
}

impl Drop for Surfnet {
    fn drop(&mut self) {
        let _ = self.command("stop");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while std::time::Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> Result<u16, String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("no free port: {e}"))?;
    listener.local_addr().map(|a| a.port()).map_err(|e| format!("no free port: {e}"))
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        text.push(DIGITS[usize::from(byte >> 4)] as char);
        text.push(DIGITS[usize::from(byte & 0x0f)] as char);
    }
    text
}

async fn cheat(client: &RpcClient, method: &'static str, params: serde_json::Value) -> Result<(), String> {
    client
        .send::<serde_json::Value>(RpcRequest::Custom { method }, params)
        .await
        .map(|_| ())
        .map_err(|e| format!("{method}: {e}"))
}

/// Writes `account` at `address` as it is (data, owner, lamports).
pub async fn set_account(client: &RpcClient, address: Pubkey, account: &Account) -> Result<(), String> {
    let fields = json!({
        "lamports": account.lamports,
        "data": hex(&account.data),
        "owner": account.owner.to_string(),
        "executable": account.executable,
        "rentEpoch": 0,
    });
    cheat(client, "surfnet_setAccount", json!([address.to_string(), fields])).await
}

/// Makes `address` a wallet holding `lamports` (and nothing else).
pub async fn set_wallet(client: &RpcClient, address: Pubkey, lamports: u64) -> Result<(), String> {
    let wallet = Account { lamports, owner: anchor_lang::solana_program::system_program::ID, ..Account::default() };
    set_account(client, address, &wallet).await
}

/// Makes `address` an SPL Token mint of `decimals` with `authority` minting (what a real collateral mint is, for
/// a suite that cannot hold USDC's authority).
pub async fn set_mint(client: &RpcClient, address: Pubkey, authority: Pubkey, decimals: u8) -> Result<(), String> {
    use anchor_spl::token::spl_token::state::Mint;
    use solana_program_pack::Pack;
    let mint = Mint {
        mint_authority: anchor_lang::solana_program::program_option::COption::Some(authority),
        supply: 0,
        decimals,
        is_initialized: true,
        freeze_authority: anchor_lang::solana_program::program_option::COption::None,
    };
    let mut data = vec![0; Mint::LEN];
    Mint::pack(mint, &mut data).map_err(|e| format!("mint: {e}"))?;
    let account = Account { lamports: TOKEN_RENT, data, owner: anchor_spl::token::ID, ..Account::default() };
    set_account(client, address, &account).await
}

/// Makes `address` a token account of `mint` owned by `owner` holding `amount` atoms.
pub async fn set_token_account(
    client: &RpcClient,
    address: Pubkey,
    mint: Pubkey,
    owner: Pubkey,
    amount: u64,
) -> Result<(), String> {
    use anchor_spl::token::spl_token::state::{Account as TokenAccount, AccountState};
    use solana_program_pack::Pack;
    let token = TokenAccount { mint, owner, amount, state: AccountState::Initialized, ..TokenAccount::default() };
    let mut data = vec![0; TokenAccount::LEN];
    TokenAccount::pack(token, &mut data).map_err(|e| format!("token account: {e}"))?;
    let account = Account { lamports: TOKEN_RENT, data, owner: anchor_spl::token::ID, ..Account::default() };
    set_account(client, address, &account).await
}

/// Lamports enough to keep a mint or a token account rent-exempt.
const TOKEN_RENT: u64 = 2_039_280;

/// Deploys `elf` at `program_id` under the upgradeable loader, with `authority` as its upgrade authority.
pub async fn deploy(client: &RpcClient, program_id: Pubkey, elf: &[u8], authority: Pubkey) -> Result<(), String> {
    let params = json!([program_id.to_string(), hex(elf), 0, authority.to_string()]);
    cheat(client, "surfnet_writeProgram", params).await
}

/// The release binary the SBF build writes (`scripts/build-sbf.sh`).
pub fn program_binary() -> Result<Vec<u8>, String> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/deploy/backstop.so");
    std::fs::read(&path).map_err(|e| format!("{}: {e} (build it with scripts/build-sbf.sh)", path.display()))
}
