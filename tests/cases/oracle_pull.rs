//! Pyth pull oracle (PriceUpdateV2) beside the legacy account, on the real fixture bytes.

use anchor_lang::prelude::{AccountInfo, Pubkey};
use backstop::error::BackstopError;
use backstop::oracle::{self, PYTH_LEGACY_PROGRAM_ID, PYTH_RECEIVER_PROGRAM_ID};
use backstop::state::{OracleConfig, OracleKind};
use backstop_math::oracle::RawOracleReading;
use backstop_tests::pyth::*;
use backstop_tests::*;

const THOUSAND: u64 = 1_000 * USDC;

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/fixtures/pyth/{name}.bin", env!("CARGO_MANIFEST_DIR"))).expect("fixture")
}

fn hex32(hex: &str) -> [u8; 32] {
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).expect("hex");
    }
    out
}

fn decode(data: &[u8], owner: Pubkey, config: &OracleConfig) -> anchor_lang::Result<RawOracleReading> {
    let key = Pubkey::new_unique();
    let mut lamports = 0u64;
    let mut bytes = data.to_vec();
    let info = AccountInfo::new(&key, false, false, &mut lamports, &mut bytes, &owner, false);
    oracle::decode(&info, config)
}

fn legacy_config() -> OracleConfig {
    OracleConfig {
        kind: OracleKind::PythLegacy as u8,
        receiver: Pubkey::default(),
        feed_id: [0; 32],
        min_signatures: 0,
    }
}

fn pull_config(receiver: Pubkey, feed_id: [u8; 32], min_signatures: u8) -> OracleConfig {
    OracleConfig { kind: OracleKind::PythPull as u8, receiver, feed_id, min_signatures }
}

/// A fixture and the values SOURCES.md gives for it.
struct Expected {
    file: &'static str,
    price: i64,
    conf: u64,
    expo: i32,
    publish_time: i64,
    trading: bool,
    ema_price: i64,
    ema_conf: u64,
}

#[test]
fn every_legacy_fixture_decodes_to_its_published_values() {
    let cases = [
        Expected {
            file: "legacy-sol-usd",
            price: 15_933_544_250,
            conf: 11_516_600,
            expo: -8,
            publish_time: 1_717_928_318,
            trading: true,
            ema_price: 15938860100,
            ema_conf: 14_758_311,
        },
        Expected {
            file: "legacy-sol-usd-2024-07",
            price: 13_272_457_249,
            conf: 13_518_041,
            expo: -8,
            publish_time: 1_720_094_645,
            trading: true,
            ema_price: 13354810400,
            ema_conf: 16_682_710,
        },
        Expected {
            file: "legacy-sol-usd-unknown-2024-11",
            price: 11_923_378_000,
            conf: 16_676_631,
            expo: -8,
            publish_time: 1_730_534_860,
            trading: false,
            ema_price: 12068220500,
            ema_conf: 13_079_402,
        },
        Expected {
            file: "legacy-btc-usd",
            price: 6_808_417_732_800,
            conf: 10_143_756_338,
            expo: -8,
            publish_time: 1_718_285_577,
            trading: true,
            ema_price: 6778399400000,
            ema_conf: 8_305_918_900,
        },
        Expected {
            file: "legacy-eth-usd",
            price: 350_461_999_999,
            conf: 523_355_918,
            expo: -8,
            publish_time: 1_718_285_046,
            trading: true,
            ema_price: 349852670000,
            ema_conf: 412_512_590,
        },
        Expected {
            file: "legacy-usdt-usd",
            price: 99_991_817,
            conf: 27_317,
            expo: -8,
            publish_time: 1_718_285_698,
            trading: true,
            ema_price: 99993569,
            ema_conf: 31_466,
        },
        Expected {
            file: "legacy-usdc-usd",
            price: 100_028_333,
            conf: 34_833,
            expo: -8,
            publish_time: 1_682_091_869,
            trading: true,
            ema_price: 100020453,
            ema_conf: 34_670,
        },
        Expected {
            file: "legacy-usdc-usd-2024-07",
            price: 100_019_396,
            conf: 70_618,
            expo: -8,
            publish_time: 1_720_094_657,
            trading: true,
            ema_price: 100024700,
            ema_conf: 69_279,
        },
        Expected {
            file: "legacy-bonk-usd",
            price: 145_975,
            conf: 219,
            expo: -10,
            publish_time: 1_702_120_657,
            trading: true,
            ema_price: 143452,
            ema_conf: 276,
        },
    ];
    for case in cases {
        let reading = decode(&fixture(case.file), PYTH_LEGACY_PROGRAM_ID, &legacy_config()).expect(case.file);
        let expected = RawOracleReading {
            price: case.price,
            conf: case.conf,
            expo: case.expo,
            publish_time: case.publish_time,
            trading: case.trading,
            ema_price: case.ema_price,
            ema_conf: case.ema_conf,
        };
        assert_eq!(reading, expected, "{}", case.file);
    }
}

/// A pull fixture, its owner and feed, and the values SOURCES.md gives for it.
struct PullExpected {
    file: &'static str,
    owner: Pubkey,
    feed: &'static str,
    partial: bool,
    price: i64,
    conf: u64,
    expo: i32,
    publish_time: i64,
    ema_price: i64,
    ema_conf: u64,
}

#[test]
fn every_pull_fixture_decodes_to_its_published_values() {
    let drift = DRIFT_RECEIVER;
    let rec5 = PYTH_RECEIVER_PROGRAM_ID;
    let cases = [
        PullExpected {
            file: "pull-sol-usd",
            owner: rec5,
            feed: "ef0d8b6fda2ceba41da15d4095d1da392a0d2f8ed0c6c7bc0f4cfac8c280b56d",
            partial: false,
            price: 21_568_137_069,
            conf: 20_134_469,
            expo: -8,
            publish_time: 1_735_984_087,
            ema_price: 21616020100,
            ema_conf: 18_045_331,
        },
        PullExpected {
            file: "pull-usdc-usd",
            owner: rec5,
            feed: "eaa020c61cc479712813461ce153894a96a6c00b21ed0cfc2798d1f9a9e9c94a",
            partial: false,
            price: 100_004_997,
            conf: 67_956,
            expo: -8,
            publish_time: 1_747_165_253,
            ema_price: 100003409,
            ema_conf: 73_279,
        },
        PullExpected {
            file: "pull-sol-usd-partial",
            owner: drift,
            feed: "ef0d8b6fda2ceba41da15d4095d1da392a0d2f8ed0c6c7bc0f4cfac8c280b56d",
            partial: true,
            price: 19_099_718_744,
            conf: 15_025_544,
            expo: -8,
            publish_time: 1_734_721_506,
            ema_price: 19064680000,
            ema_conf: 14_342_267,
        },
        PullExpected {
            file: "pull-wbtc-usd-partial",
            owner: drift,
            feed: "c9d8b075a5c69303365ae23633d4e085199bf5c520a3b90fed1322a0342ffc33",
            partial: true,
            price: 9_675_964_978_194,
            conf: 13_024_736_215,
            expo: -8,
            publish_time: 1_734_721_494,
            ema_price: 9672868100000,
            ema_conf: 13_037_092_500,
        },
        PullExpected {
            file: "pull-eth-usd-partial",
            owner: drift,
            feed: "ff61491a931112ddf1bd8147cd1b641375f79f5825126d665480874634fd0ace",
            partial: true,
            price: 240_864_500_000,
            conf: 139_993_250,
            expo: -8,
            publish_time: 1_750_772_057,
            ema_price: 241413530000,
            ema_conf: 144_897_845,
        },
        PullExpected {
            file: "pull-bonk-usd",
            owner: drift,
            feed: "72b021217ca3fe68922a19aaf990109cb9d84e9ad004b4d2025ad6f529314419",
            partial: false,
            price: 345_526,
            conf: 517,
            expo: -10,
            publish_time: 1_717_074_117,
            ema_price: 335763,
            ema_conf: 415,
        },
    ];
    for case in cases {
        let data = fixture(case.file);
        assert_eq!(PullPrice::from_fixture(&data, case.owner).is_partial(), case.partial, "{}", case.file);
        let config = pull_config(case.owner, hex32(case.feed), if case.partial { 2 } else { 0 });
        let reading = decode(&data, case.owner, &config).expect(case.file);
        let expected = RawOracleReading {
            price: case.price,
            conf: case.conf,
            expo: case.expo,
            publish_time: case.publish_time,
            trading: true,
            ema_price: case.ema_price,
            ema_conf: case.ema_conf,
        };
        assert_eq!(reading, expected, "{}", case.file);
        // The same bytes are refused where the owner, the feed or the verification does not fit.
        if case.owner == drift {
            let err = decode(&data, case.owner, &pull_config(rec5, hex32(case.feed), 2)).unwrap_err();
            assert_eq!(err, BackstopError::OracleWrongOwner.into(), "{}", case.file);
        }
        if case.partial {
            let err = decode(&data, case.owner, &pull_config(case.owner, hex32(case.feed), 0)).unwrap_err();
            assert_eq!(err, BackstopError::OracleVerificationInsufficient.into(), "{}", case.file);
            let err = decode(&data, case.owner, &pull_config(case.owner, hex32(case.feed), 3)).unwrap_err();
            assert_eq!(err, BackstopError::OracleVerificationInsufficient.into(), "{}", case.file);
        }
        let err = decode(&data, case.owner, &pull_config(case.owner, [7; 32], 2)).unwrap_err();
        assert_eq!(err, BackstopError::OracleFeedMismatch.into(), "{}", case.file);
    }
}

async fn pull_market() -> (Env, Actor) {
    let mut env = Env::pull(PULL_SOL_USD, PYTH_RECEIVER_PROGRAM_ID, 0).await;
    let _lp = env.lp(100 * THOUSAND).await;
    let alice = env.trader(THOUSAND).await;
    (env, alice)
}

#[tokio::test]
async fn a_pull_market_trades_on_the_real_update_at_its_own_publish_time() {
    let mut env = Env::pull(PULL_SOL_USD, PYTH_RECEIVER_PROGRAM_ID, 0).await;
    env.pull = Some(PullPrice::from_fixture(PULL_SOL_USD, PYTH_RECEIVER_PROGRAM_ID));
    env.set_clock(1_735_984_087 + 5).await;
    env.write_oracle().await;
    let _lp = env.lp(100 * THOUSAND).await;
    let alice = env.trader(THOUSAND).await;
    env.act(&alice, env.flow(&alice).trade(ONE)).await.expect("trade on the untouched update");
    // 215.6813707 → 215.681370 (floor), conf 0.20134469 → 0.201345 (ceil): the buyer fills at the sum.
    assert_eq!(env.margin(&alice).await.balances.position.entry_notional, 215_681_370 + 201_345);
}

#[tokio::test]
async fn each_bad_pull_update_is_rejected_and_changes_nothing() {
    let (mut env, alice) = pull_market().await;
    let flow = env.flow(&alice);

    env.advance(61).await;
    env.assert_rejected(&alice, flow.trade(ONE), BackstopError::OracleStale).await;
    env.set_price(usd(100), 1_000_000).await;

    let good = env.pull.clone().expect("pull");
    let mut wrong_feed = good.clone();
    wrong_feed.set_feed_id([7; 32]);
    env.pull = Some(wrong_feed);
    env.write_oracle().await;
    env.assert_rejected(&alice, flow.trade(ONE), BackstopError::OracleFeedMismatch).await;

    let mut other_receiver = good.clone();
    other_receiver.owner = DRIFT_RECEIVER;
    env.pull = Some(other_receiver);
    env.write_oracle().await;
    env.assert_rejected(&alice, flow.trade(ONE), BackstopError::OracleWrongOwner).await;

    let mut wrong_discriminator = good.clone();
    wrong_discriminator.data[0] ^= 0xff;
    env.pull = Some(wrong_discriminator);
    env.write_oracle().await;
    env.assert_rejected(&alice, flow.trade(ONE), BackstopError::OracleDiscriminatorMismatch).await;

    let mut truncated = good.clone();
    truncated.data.truncate(100);
    env.pull = Some(truncated);
    env.write_oracle().await;
    env.assert_rejected(&alice, flow.trade(ONE), BackstopError::OracleInvalidData).await;

    env.pull = Some(good);
    env.set_price(0, 0).await;
    env.assert_rejected(&alice, flow.trade(ONE), BackstopError::OracleNonPositivePrice).await;
    env.set_price(-usd(5), 0).await;
    env.assert_rejected(&alice, flow.trade(ONE), BackstopError::OracleNonPositivePrice).await;

    env.advance(10).await;
    env.set_price(usd(100), 1_000_000).await;
    env.act(&alice, flow.trade(ONE)).await.expect("a good update");
    env.pull.as_mut().expect("pull").set(usd(100), 1_000_000, env.now - 5);
    env.write_oracle().await;
    env.assert_rejected(&alice, flow.trade(ONE), BackstopError::OracleOutOfOrder).await;
}

#[tokio::test]
async fn partial_updates_only_where_the_market_allows_them() {
    // The partial fixture rehomed to rec5, so that only its verification level is in question. A Full-only
    // market lists on a Full update; a Partial one then appears at its address.
    let mut strict = Env::pull(PULL_SOL_USD, PYTH_RECEIVER_PROGRAM_ID, 0).await;
    let _lp = strict.lp(100 * THOUSAND).await;
    let alice = strict.trader(THOUSAND).await;
    let mut partial = PullPrice::from_fixture(PULL_SOL_USD_PARTIAL, PYTH_RECEIVER_PROGRAM_ID);
    partial.set(usd(100), 1_000_000, strict.now);
    strict.pull = Some(partial);
    strict.write_oracle().await;
    strict.assert_rejected(&alice, strict.flow(&alice).trade(ONE), BackstopError::OracleVerificationInsufficient).await;

    let mut lenient = Env::pull(PULL_SOL_USD_PARTIAL, PYTH_RECEIVER_PROGRAM_ID, 2).await;
    let _lp = lenient.lp(100 * THOUSAND).await;
    let bob = lenient.trader(THOUSAND).await;
    lenient.act(&bob, lenient.flow(&bob).trade(ONE)).await.expect("2 signatures meet a minimum of 2");
}

#[tokio::test]
async fn listing_checks_that_the_configuration_fits_its_kind() {
    let mut env = Env::bare_with(Some(PullPrice::from_fixture(PULL_SOL_USD, PYTH_RECEIVER_PROGRAM_ID)), 0).await;
    env.initialize_exchange().await;
    let governance = env.governance.insecure_clone();
    let ix = initialize_insurance_fund(solana_signer::Signer::pubkey(&governance), env.payer(), env.mint, 0);
    env.send(&[ix], &[&governance]).await.expect("fund");
    let good = env.list_market(default_params());
    let watched = [pda::market(0)];

    let no_receiver =
        ListMarket { oracle_config: OracleConfig { receiver: Pubkey::default(), ..good.oracle_config }, ..good };
    env.assert_rejected_by(&watched, &[&governance], no_receiver.instruction(), BackstopError::InvalidOracleConfig)
        .await;
    let no_feed = ListMarket { oracle_config: OracleConfig { feed_id: [0; 32], ..good.oracle_config }, ..good };
    env.assert_rejected_by(&watched, &[&governance], no_feed.instruction(), BackstopError::InvalidOracleConfig).await;
    let legacy_with_feed = ListMarket { oracle_config: OracleConfig { kind: 0, ..good.oracle_config }, ..good };
    env.assert_rejected_by(
        &watched,
        &[&governance],
        legacy_with_feed.instruction(),
        BackstopError::InvalidOracleConfig,
    )
    .await;
    // A pull configuration pointed at a legacy account: wrong owner.
    let legacy_account = Pubkey::new_unique();
    env.ctx.set_account(&legacy_account, &env.price.account(PYTH_LEGACY_PROGRAM_ID).into());
    let mismatched = ListMarket { oracle: legacy_account, ..good };
    env.assert_rejected_by(&watched, &[&governance], mismatched.instruction(), BackstopError::OracleWrongOwner).await;
    let unknown_kind = ListMarket { oracle_config: OracleConfig { kind: 9, ..good.oracle_config }, ..good };
    env.assert_rejected_by(&watched, &[&governance], unknown_kind.instruction(), BackstopError::UnsupportedOracleKind)
        .await;
    env.send(&[good.instruction()], &[&governance]).await.expect("the good listing");
}

/// The same crash on a market of each kind: LP, a 9x long, a gap to $85, liquidation and cover.
async fn crash_scenario(mut env: Env) -> (backstop::state::Market, [i64; 2], u64) {
    env.seed_fund(THOUSAND).await;
    let _lp = env.lp(100 * THOUSAND).await;
    let alice = env.trader(100 * USDC).await;
    let keeper = env.trader(0).await;
    env.act(&alice, env.flow(&alice).trade(9 * ONE)).await.expect("open");
    env.advance(5).await;
    env.set_price(usd(85), 1_000_000).await;
    env.act(&keeper, env.keeper_accounts().liquidate(keeper.pubkey(), alice.pubkey())).await.expect("liquidate");
    env.act(&keeper, env.keeper_accounts().cover_bankruptcy(keeper.pubkey(), alice.pubkey())).await.expect("cover");
    env.assert_vault_matches_books().await;
    let collateral = [env.margin(&alice).await.balances.collateral, env.margin(&keeper).await.balances.collateral];
    (env.market_state().await, collateral, env.fund_state().await.book.balance)
}

#[tokio::test]
async fn both_kinds_trade_liquidate_and_cover_with_equal_results() {
    let (legacy, legacy_accounts, legacy_fund) = crash_scenario(Env::new().await).await;
    let pull_env = Env::pull(PULL_SOL_USD, PYTH_RECEIVER_PROGRAM_ID, 0).await;
    let (pull, pull_accounts, pull_fund) = crash_scenario(pull_env).await;
    assert_eq!(legacy.books, pull.books);
    assert_eq!(legacy_accounts, pull_accounts);
    assert_eq!(legacy_fund, pull_fund);
    assert_eq!(legacy.cumulative_fund_cover, pull.cumulative_fund_cover);
    assert!(legacy.cumulative_fund_cover > 0);
}
