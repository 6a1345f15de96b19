//! The `backstop` binary (the operator CLI, built from `app`) over JSON-RPC against the real program binary on a local node (`tests/sbf/node`): an
//! operator's whole first day, each step's effect read back from the chain over RPC. Ignored in the workspace's
//! test run (the node needs a newer Rust than the workspace's): `scripts/rpc-suite.sh` builds the node and runs it.
//!
//! init-exchange -> init-fund -> init-market (the production preset) -> (the listing delay) -> activate-market ->
//! lp-deposit -> deposit -> trade -> withdraw -> stake -> fund-health -> keeper.

#![allow(deprecated)] // solana-program-test 3.x, through the harness: see tests/src/lib.rs

use anchor_lang::prelude::Pubkey;
use backstop::oracle::PYTH_LEGACY_PROGRAM_ID;
use backstop::state::{Exchange, InsuranceFund, MarginAccount, Market, MarketStatus, StakePosition};
use backstop_app::chain::Chain;
use backstop_app::rpc::RpcChain;
use backstop_client::pda;
use backstop_client::read::read;
use backstop_tests::pyth::{LegacyPrice, LEGACY_SOL_USD};
use backstop_tests::surfnet::{self, Surfnet};
use serde_json::{json, Value};
use solana_keypair::Keypair;
use solana_signer::Signer;
use std::io::{Read, Write};
use std::process::{Child, Command, Stdio};

const USDC: u64 = 1_000_000;
/// SOL at $150 (mantissa at expo -8), 5 bps wide.
const PRICE_E8: i64 = 15_000_000_000;
const CONF_E8: u64 = 7_500_000;

/// The operator: a keypair file, a node, and the binary pointed at both.
struct Operator {
    node: Surfnet,
    chain: RpcChain,
    keypair_path: String,
    config_path: String,
    oracle: Pubkey,
    price: LegacyPrice,
}

impl Operator {
    /// `backstop <args> --output json` against the node, as the operator.
    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(cli_binary());
        command
            .args(["-u", &self.node.url, "-k", &self.keypair_path, "-C", &self.config_path, "--output", "json"])
            .args(args)
            .env("RUST_LOG", "off")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        command
    }

    /// Runs `backstop <args>` and returns its JSON; panics with its stderr when it fails.
    fn run(&self, args: &[&str]) -> Value {
        self.finish(self.command(args).spawn().expect("the binary runs"), args)
    }

    /// Runs `backstop <args>` as the wallet whose keypair file is `keypair_path`.
    fn run_as(&self, keypair_path: &str, args: &[&str]) -> Value {
        let mut command = self.command(args);
        command.args(["-k", keypair_path]);
        self.finish(command.spawn().expect("the binary runs"), args)
    }

    /// A second wallet with SOL and 10,000 tokens of `mint` in its associated account; its keypair file.
    async fn second_trader(&self, mint: Pubkey) -> String {
        let keypair = Keypair::new();
        let path = temp_file("second-keypair.json");
        solana_keypair::write_keypair_file(&keypair, &path).expect("the keypair file");
        let client = self.node.client();
        surfnet::set_wallet(&client, keypair.pubkey(), 10_000_000_000).await.expect("the wallet");
        let token = pda::associated_token_account(&keypair.pubkey(), &mint);
        surfnet::set_token_account(&client, token, mint, keypair.pubkey(), 10_000 * USDC).await.expect("tokens");
        path
    }

    /// Waits for a running `backstop <args>` and returns its JSON; panics with its stderr when it failed.
    fn finish(&self, running: Child, args: &[&str]) -> Value {
        let output = running.wait_with_output().expect("the binary ends");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "backstop {}: {stderr}", args.join(" "));
        serde_json::from_slice(&output.stdout).expect("one JSON object")
    }

    async fn load<T: bytemuck::Pod + anchor_lang::Discriminator>(&mut self, address: Pubkey) -> T {
        let (data, owner) = self.chain.account(address).await.expect("a read").expect("the account exists");
        read(&data, &owner).expect("the account's type")
    }

    async fn token_balance(&mut self, address: Pubkey) -> u64 {
        let (data, _) = self.chain.account(address).await.expect("a read").expect("the token account exists");
        u64::from_le_bytes(data[64..72].try_into().expect("8 bytes"))
    }

    /// Publishes the oracle's price stamped with the node's clock.
    async fn publish(&mut self) {
        let now = self.chain.now().await.expect("the clock");
        self.price.set(PRICE_E8, CONF_E8, now).set_ema(PRICE_E8);
        let client = self.node.client();
        surfnet::set_account(&client, self.oracle, &self.price.account(PYTH_LEGACY_PROGRAM_ID)).await.expect("oracle");
    }
}

/// `GET /metrics` at `address` until the text holds `wanted` (the keeper's first round may still be running).
fn scrape_until(address: &str, wanted: &str) -> String {
    scrape_until_match(address, |text| text.contains(wanted))
}

/// `GET /metrics` at `address` until `wanted` holds of the text.
fn scrape_until_match(address: &str, wanted: impl Fn(&str) -> bool) -> String {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let mut text = String::new();
        if let Ok(mut stream) = std::net::TcpStream::connect(address) {
            let _ = write!(stream, "GET /metrics HTTP/1.1\r\nHost: keeper\r\n\r\n");
            let _ = stream.read_to_string(&mut text);
        }
        if wanted(&text) {
            return text;
        }
        assert!(std::time::Instant::now() < deadline, "never as wanted at {address}: {text}");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

/// The `backstop` binary under test: `BACKSTOP_CLI` (set by `scripts/rpc-suite.sh`), or the one the same build
/// put beside this test's directory. (This suite lives in the laboratory's crate, which already links the
/// harness, so the operator binary's own crate never depends on it.)
fn cli_binary() -> std::path::PathBuf {
    if let Ok(path) = std::env::var("BACKSTOP_CLI") {
        return path.into();
    }
    let test = std::env::current_exe().expect("the test's path");
    let beside = test.parent().and_then(|deps| deps.parent()).map(|dir| dir.join("backstop"));
    beside.filter(|path| path.exists()).expect("the backstop binary: set BACKSTOP_CLI or run scripts/rpc-suite.sh")
}

fn temp_file(name: &str) -> String {
    std::env::temp_dir().join(format!("backstop-rpc-cli-{}-{name}", std::process::id())).display().to_string()
}

/// A node with the binary deployed under `operator`'s upgrade authority, a 6-decimal mint the operator mints, its
/// wallet and token account funded, and a Pyth SOL/USD account (the real account's bytes) priced now.
async fn operator() -> (Operator, Pubkey) {
    let node = Surfnet::start().expect("the node");
    let client = node.client();
    let keypair = Keypair::new();
    let me = keypair.pubkey();
    let keypair_path = temp_file("keypair.json");
    solana_keypair::write_keypair_file(&keypair, &keypair_path).expect("the keypair file");
    let config_path = temp_file("config.yml");
    let config = solana_cli_config::Config {
        json_rpc_url: node.url.clone(),
        keypair_path: keypair_path.clone(),
        ..Default::default()
    };
    config.save(&config_path).expect("the config file");
    surfnet::deploy(&client, backstop::ID, &surfnet::program_binary().expect("the binary"), me).await.expect("deploy");
    surfnet::set_wallet(&client, me, 100_000_000_000).await.expect("the wallet");
    let mint = Pubkey::new_unique();
    surfnet::set_mint(&client, mint, me, 6).await.expect("the mint");
    let token = pda::associated_token_account(&me, &mint);
    surfnet::set_token_account(&client, token, mint, me, 1_000_000 * USDC).await.expect("the token account");
    let chain = RpcChain::new(&node.url, keypair);
    let price = LegacyPrice::from_fixture(LEGACY_SOL_USD);
    let mut operator = Operator { node, chain, keypair_path, config_path, oracle: Pubkey::new_unique(), price };
    operator.publish().await;
    (operator, mint)
}

#[tokio::test]
#[ignore = "needs the RPC node: scripts/rpc-suite.sh"]
async fn an_operator_lists_a_production_market_and_a_trader_and_a_staker_use_it_through_the_cli() {
    let (mut op, mint) = operator().await;
    let me = op.chain.payer.pubkey();
    let (mint_text, oracle_text) = (mint.to_string(), op.oracle.to_string());
    let token = pda::associated_token_account(&me, &mint);

    // The exchange, by the program's upgrade authority (its ProgramData is checked on-chain).
    let program_data = Pubkey::find_program_address(
        &[backstop::ID.as_ref()],
        &anchor_lang::solana_program::bpf_loader_upgradeable::ID,
    )
    .0;
    let (guardian, treasury) = (Pubkey::new_unique(), Pubkey::new_unique());
    op.run(&[
        "init-exchange",
        "--guardian",
        &guardian.to_string(),
        "--treasury",
        &treasury.to_string(),
        "--timelock-delay-secs",
        "3600",
        "--program-data",
        &program_data.to_string(),
    ]);
    let exchange: Exchange = op.load(pda::exchange()).await;
    assert_eq!((exchange.authority, exchange.guardian, exchange.treasury), (me, guardian, treasury));
    assert_eq!(exchange.timelock_delay_secs, 3600);

    // Fund 0, and market 0 on the production preset, listed behind the timelock.
    let said = op.run(&["init-fund", "--id", "0", "--mint", &mint_text]);
    let fund_address = pda::insurance_fund(0);
    assert_eq!(said["fund"], fund_address.to_string());
    let fund: InsuranceFund = op.load(fund_address).await;
    assert_eq!((fund.mint, fund.book.balance), (mint, 0));
    let said = op.run(&["init-market", "--id", "0", "--mint", &mint_text, "--fund-id", "0", "--oracle", &oracle_text]);
    let market_address = pda::market(0);
    assert_eq!(said["market"], market_address.to_string());
    let market: Market = op.load(market_address).await;
    assert_eq!(market.status(), MarketStatus::Listing);
    assert_eq!(market.params, backstop_client::presets::production(), "the production preset, as listed");
    assert_eq!((market.oracle, market.insurance_fund), (op.oracle, fund_address));
    let market_text = market_address.to_string();

    // The listing delay passes; the market opens on a fresh print.
    let now = op.chain.now().await.expect("the clock");
    op.node.set_clock(now + 3_601).expect("the clock moves");
    op.publish().await;
    op.run(&["activate-market", "--market", &market_text]);
    let market: Market = op.load(market_address).await;
    assert_eq!(market.status(), MarketStatus::Active, "the market is open");

    // Liquidity, then a trader's deposit, trade and withdrawal.
    op.run(&["lp-deposit", "--market", &market_text, "20000"]);
    let before = op.token_balance(token).await;
    op.run(&["deposit", "--market", &market_text, "1000"]);
    let margin_address = pda::margin_account(&market_address, &me);
    let margin: MarginAccount = op.load(margin_address).await;
    assert_eq!(margin.balances.collateral, i64::try_from(1_000 * USDC).expect("fits"));
    assert_eq!(op.token_balance(token).await, before - 1_000 * USDC);
    op.run(&["trade", "--market", &market_text, "2.5"]);
    let margin: MarginAccount = op.load(margin_address).await;
    assert_eq!(margin.balances.position.base, 2_500_000_000, "long 2.5 SOL");
    let collateral = margin.balances.collateral;
    assert!(collateral < i64::try_from(1_000 * USDC).expect("fits"), "the taker fee was paid");
    op.run(&["withdraw", "--market", &market_text, "100"]);
    let margin: MarginAccount = op.load(margin_address).await;
    assert_eq!(margin.balances.collateral, collateral - i64::try_from(100 * USDC).expect("fits"));
    assert_eq!(op.token_balance(token).await, before - 900 * USDC);

    // A staker joins the fund; the fund's health, as the program computes it, says so.
    op.run(&["stake", "--market", &market_text, "5000"]);
    let stake: StakePosition = op.load(pda::stake_position(&fund_address, &me)).await;
    assert_eq!(stake.staked, 5_000 * USDC);
    let fund: InsuranceFund = op.load(fund_address).await;
    assert_eq!(fund.book.balance, 5_000 * USDC);
    let health = &op.run(&["fund-health", "--market", &market_text])["fund_health"];
    assert_eq!(health["balance"], 5_000 * USDC);
    assert_eq!(health["markets"][0]["market"], market_text);
    let open_interest = health["markets"][0]["open_interest_notional"].as_u64().expect("a number");
    assert!(open_interest > 0, "the trade's open interest is backed: {health}");
    println!("the operator's day over RPC: {health}");

    // The keeper command over the same endpoint, subscribed to the market's accounts, bidding for compute and
    // serving its metrics. It shows the market its oracle each round and finds nothing to liquidate. A second
    // trader opens an account after the keeper's first round: the keeper's next rounds count it, though its one
    // scan was at the start (the next is a minute away): the subscription delivered it.
    let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a port").port();
    let metrics = format!("127.0.0.1:{port}");
    let ws_url = op.node.ws_url.clone();
    let keeper = [
        "keeper",
        "--market",
        &market_text,
        "--rounds",
        "8",
        "--interval",
        "1",
        "--unit-price",
        "1",
        "--subscribe",
        "--ws-url",
        &ws_url,
        "--metrics",
        &metrics,
    ];
    let running = op.command(&keeper).spawn().expect("the keeper starts");
    let first = scrape_until(&metrics, r#"backstop_keeper_rounds_total{outcome="ok""#);
    assert!(first.contains(&format!(r#"backstop_keeper_subscribed{{market="{market_text}"}} 1"#)), "{first}");
    let second = op.second_trader(mint).await;
    op.run_as(&second, &["deposit", "--market", &market_text, "250"]);
    let value = |text: &str, series: &str| -> u64 {
        let prefix = format!(r#"backstop_keeper_{series}{{market="{market_text}"}} "#);
        text.lines().find_map(|l| l.strip_prefix(prefix.as_str())).and_then(|v| v.parse().ok()).unwrap_or(0)
    };
    let seen = scrape_until_match(&metrics, |text| {
        value(text, "account_notifications") >= 1 && value(text, "accounts_watched") == 2
    });
    assert_eq!(value(&seen, "subscribed"), 1, "{seen}");
    let kept = op.finish(running, &keeper);
    assert_eq!((&kept["keeper"]["rounds"], &kept["keeper"]["failed_rounds"]), (&Value::from(8), &Value::from(0)));
    let last = &kept["last_round"];
    assert_eq!(
        (&last["poked"], &last["scanned"], &last["liquidated"]),
        (&Value::from(true), &Value::from(2), &json!([])),
        "the second trader's account, seen by notification"
    );
    let market_label = format!(r#"market="{market_text}""#);
    for series in
        ["backstop_keeper_accounts_watched", "backstop_keeper_fund_adequacy_bps", "backstop_keeper_actions_total"]
    {
        assert!(first.lines().any(|l| l.starts_with(series) && l.contains(&market_label)), "{series}: {first}");
    }
    let landed = r#"backstop_keeper_actions_total{action="refresh_market",reason="",result="landed""#;
    assert!(first.contains(landed), "{first}");
}
