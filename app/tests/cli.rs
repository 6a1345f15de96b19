//! The `backstop` binary on bad input and an unreachable cluster: every case exits with its kind's code and a
//! message that says what to fix, never a panic or a debug dump. No cluster is needed (nothing listens on port 1).

use std::process::{Command, Output};

const MARKET: &str = "So11111111111111111111111111111111111111112";

fn backstop(args: &[&str]) -> Output {
    let keypair = keypair_file();
    Command::new(env!("CARGO_BIN_EXE_backstop"))
        .args(["-u", "http://127.0.0.1:1", "-k", &keypair, "-C", &config_file()])
        .args(args)
        .env("RUST_LOG", "off")
        .output()
        .expect("the binary runs")
}

/// A throwaway keypair file (a fixed one: the tests never sign anything that lands), written once.
fn keypair_file() -> String {
    static PATH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    PATH.get_or_init(write_keypair).clone()
}

fn write_keypair() -> String {
    let path = std::env::temp_dir().join(format!("backstop-cli-test-{}.json", std::process::id()));
    let bytes: Vec<u8> = (0u8..64).map(|i| i.wrapping_mul(7).wrapping_add(1)).collect();
    let secret = solana_keypair::Keypair::new_from_array(bytes[..32].try_into().expect("32 bytes"));
    solana_keypair::write_keypair_file(&secret, &path).expect("writes");
    path.display().to_string()
}

/// A Solana CLI config file naming the dead port and the throwaway keypair, written once.
fn config_file() -> String {
    static PATH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    PATH.get_or_init(write_config).clone()
}

fn write_config() -> String {
    let path = std::env::temp_dir().join(format!("backstop-cli-config-{}.yml", std::process::id()));
    let config = solana_cli_config::Config {
        json_rpc_url: "http://127.0.0.1:1".to_string(),
        keypair_path: keypair_file(),
        ..Default::default()
    };
    config.save(&path.display().to_string()).expect("writes");
    path.display().to_string()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).to_string()
}

fn assert_fails(output: &Output, code: i32, says: &str) {
    assert_eq!(output.status.code(), Some(code), "{}", stderr(output));
    assert!(stderr(output).contains(says), "expected `{says}` in: {}", stderr(output));
    assert!(!stderr(output).contains("panicked"), "{}", stderr(output));
}

#[test]
fn amounts_and_sizes_are_parsed_exactly_or_refused() {
    assert_fails(&backstop(&["deposit", "--market", MARKET, "1.5x"]), 2, "1.5x");
    assert_fails(&backstop(&["deposit", "--market", MARKET, "0.0000001"]), 2, "decimals");
    assert_fails(&backstop(&["trade", "--market", MARKET, "1e5"]), 2, "1e5");
    assert_fails(&backstop(&["request-unstake", "--market", MARKET, "0"]), 2, "positive");
    assert_fails(&backstop(&["deposit", "--market", "not-a-key", "1"]), 2, "not a public key");
}

#[test]
fn an_unreachable_cluster_is_a_transport_error() {
    let output = backstop(&["show", "--market", MARKET]);
    assert_fails(&output, 3, "cannot reach the cluster");
    let json = backstop(&["--output", "json", "show", "--market", MARKET]);
    assert_eq!(json.status.code(), Some(3));
    let parsed: serde_json::Value = serde_json::from_str(stderr(&json).trim()).expect("one JSON object");
    assert_eq!(parsed["error"]["kind"], "transport");
    // Finishing a listing's book reads the book first: the same transport error, not a send.
    assert_fails(&backstop(&["extend-market-book", "--market", MARKET]), 3, "cannot reach the cluster");
    // A touch reads the market's accounts first; its owner must be a key, and the keeper's threshold a number.
    assert_fails(&backstop(&["touch-account", "--market", MARKET, "--owner", MARKET]), 3, "cannot reach the cluster");
    assert_fails(&backstop(&["touch-account", "--market", MARKET, "--owner", "nobody"]), 2, "not a public key");
    assert_fails(&backstop(&["keeper", "--market", MARKET, "--touch-above", "$1"]), 2, "$1");
    // A percentile bid needs its cap, and a fixed price excludes it; a percentile is 0..=100.
    assert_fails(&backstop(&["keeper", "--market", MARKET, "--unit-price-percentile", "90"]), 2, "unit-price-max");
    let both =
        ["keeper", "--market", MARKET, "--unit-price", "5", "--unit-price-percentile", "90", "--unit-price-max", "9"];
    assert_fails(&backstop(&both), 2, "cannot be used with");
    let above = ["keeper", "--market", MARKET, "--unit-price-percentile", "101", "--unit-price-max", "9"];
    assert_fails(&backstop(&above), 2, "101");
}

#[test]
fn the_solana_cli_config_names_the_cluster_and_the_keypair() {
    let output = Command::new(env!("CARGO_BIN_EXE_backstop"))
        .args(["-C", &config_file(), "show", "--market", MARKET])
        .env("RUST_LOG", "off")
        .output()
        .expect("runs");
    // The config's dead port was dialled with the config's keypair: a transport error, not a missing keypair.
    assert_fails(&output, 3, "127.0.0.1:1");
}

#[test]
fn a_url_that_is_neither_url_nor_moniker_is_refused_before_anything_is_sent() {
    let output = Command::new(env!("CARGO_BIN_EXE_backstop"))
        .args(["-u", "devnte", "-C", &config_file(), "show", "--market", MARKET])
        .output()
        .expect("runs");
    assert_fails(&output, 2, "neither an http(s) URL nor a moniker");
}

#[test]
fn a_missing_keypair_says_which_file_and_how_to_name_another() {
    let output = Command::new(env!("CARGO_BIN_EXE_backstop"))
        .args(["-u", "l", "-k", "/nonexistent/id.json", "show", "--market", MARKET])
        .output()
        .expect("runs");
    assert_fails(&output, 2, "/nonexistent/id.json");
}

#[test]
fn parameters_are_checked_by_name_and_bounds_before_anything_is_sent() {
    let base = ["init-market", "--id", "0", "--mint", MARKET, "--fund-id", "0", "--oracle", MARKET];
    let unknown = [&base[..], &["--set", "breaker_conf=5"]].concat();
    assert_fails(&backstop(&unknown), 2, "unknown parameter `breaker_conf`");
    let out_of_bounds = [&base[..], &["--set", "initial_margin_bps=20000"]].concat();
    assert_fails(&backstop(&out_of_bounds), 2, "InvalidMarginRatios");
    let too_wide = [&base[..], &["--set", "taker_fee_bps=99999999999"]].concat();
    assert_fails(&backstop(&too_wide), 2, "does not fit");
    let bad_feed = [&base[..], &["--feed-id", "abc"]].concat();
    assert_fails(&backstop(&bad_feed), 2, "feed id");
}

#[test]
fn the_parameter_table_needs_no_cluster() {
    let output =
        Command::new(env!("CARGO_BIN_EXE_backstop")).args(["--output", "json", "params"]).output().expect("runs");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let parsed: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let rows = parsed["params"].as_array().expect("rows");
    assert_eq!(rows.len(), backstop_math::governance::RULES.len());
    assert!(rows
        .iter()
        .any(|row| row["name"] == "maintenance_margin_bps" && row["at_once"] == "always waits for the timelock"));
}

#[test]
fn without_a_url_or_a_config_file_no_cluster_is_guessed() {
    let home = std::env::temp_dir().join(format!("backstop-empty-home-{}", std::process::id()));
    std::fs::create_dir_all(&home).expect("creates");
    let output = Command::new(env!("CARGO_BIN_EXE_backstop"))
        .args(["-k", &keypair_file(), "show", "--market", MARKET])
        .env("HOME", &home)
        .output()
        .expect("runs");
    assert_fails(&output, 2, "no cluster named");
}

#[test]
fn a_malformed_config_file_is_refused_not_replaced_by_defaults() {
    let path = std::env::temp_dir().join(format!("backstop-bad-config-{}.yml", std::process::id()));
    std::fs::write(&path, "json_rpc_url: [unclosed\n").expect("writes");
    let output = Command::new(env!("CARGO_BIN_EXE_backstop"))
        .args(["-C", &path.display().to_string(), "show", "--market", MARKET])
        .output()
        .expect("runs");
    assert_fails(&output, 2, "config file");
}

#[test]
fn a_zero_amount_and_a_repeated_parameter_are_refused() {
    assert_fails(&backstop(&["deposit", "--market", MARKET, "0"]), 2, "positive");
    let twice = ["init-market", "--id", "0", "--mint", MARKET, "--fund-id", "0", "--oracle", MARKET];
    let twice = [&twice[..], &["--set", "taker_fee_bps=5", "--set", "taker_fee_bps=6"]].concat();
    assert_fails(&backstop(&twice), 2, "set twice");
    assert_fails(&backstop(&["request-unstake", "--market", MARKET, "+5"]), 2, "whole number");
}

/// The binary with no flags of its own: what it needs comes from `env` (and the config file, for the keypair).
fn backstop_with_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_backstop"))
        .args(["-C", &config_file()])
        .args(args)
        .envs(env.iter().copied())
        .env("RUST_LOG", "off")
        .output()
        .expect("the binary runs")
}

#[test]
fn the_keeper_and_the_connection_read_the_environment_as_their_flags() {
    // The market and a percentile bid from the environment: the bid still needs its cap.
    let bid = [("BACKSTOP_KEEPER_MARKET", MARKET), ("BACKSTOP_KEEPER_UNIT_PRICE_PERCENTILE", "90")];
    assert_fails(&backstop_with_env(&["keeper"], &bid), 2, "unit-price-max");
    // A bad value from the environment is named like a bad flag.
    assert_fails(&backstop_with_env(&["keeper"], &[("BACKSTOP_KEEPER_MARKET", "nobody")]), 2, "not a public key");
    // The cluster from the environment over the config file's: this one is a dead port too, on another address
    // (so the transport error names where the environment pointed).
    let cluster = [("BACKSTOP_URL", "http://127.0.0.2:1"), ("BACKSTOP_KEEPER_MARKET", MARKET)];
    let output = backstop_with_env(&["keeper", "--rounds", "1"], &cluster);
    assert_fails(&output, 3, "127.0.0.2");
}

#[test]
fn a_settings_file_configures_the_keeper_under_the_environment_and_the_flags() {
    let path = std::env::temp_dir().join(format!("backstop-settings-{}.env", std::process::id()));
    let settings = format!("# a keeper\nBACKSTOP_KEEPER_MARKET={MARKET}\nBACKSTOP_URL=http://127.0.0.3:1\n");
    std::fs::write(&path, settings).expect("writes");
    let file = path.display().to_string();
    // The file's cluster (a dead port on its own address) and market reach the keeper.
    let output = backstop_with_env(&["--env-file", &file, "keeper", "--rounds", "1"], &[]);
    assert_fails(&output, 3, "127.0.0.3");
    // The environment wins over the file; a flag over both.
    let output = backstop_with_env(
        &["keeper", "--rounds", "1"],
        &[("BACKSTOP_ENV_FILE", &file), ("BACKSTOP_URL", "http://127.0.0.4:1")],
    );
    assert_fails(&output, 3, "127.0.0.4");
    let output = backstop_with_env(&["--env-file", &file, "-u", "http://127.0.0.5:1", "keeper", "--rounds", "1"], &[]);
    assert_fails(&output, 3, "127.0.0.5");
    // A bad value in the file is refused by the flag's name, a bad line by its number.
    std::fs::write(&path, "BACKSTOP_KEEPER_MARKET=nobody\n").expect("writes");
    assert_fails(&backstop_with_env(&["--env-file", &file, "keeper"], &[]), 2, "not a public key");
    std::fs::write(&path, "BACKSTOP_KEEPER_MARKET\n").expect("writes");
    assert_fails(&backstop_with_env(&["--env-file", &file, "keeper"], &[]), 2, "settings line 1");
    // A misspelt name is refused, never silently ignored.
    std::fs::write(&path, format!("BACKSTOP_KEEPER_MARKET={MARKET}\nBACKSTOP_KEEPER_CONCURENCY=1\n")).expect("writes");
    assert_fails(&backstop_with_env(&["--env-file", &file, "keeper"], &[]), 2, "settings line 2");
    let _ = std::fs::remove_file(&path);
}
