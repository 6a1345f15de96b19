//! The oracle rules, through the trade path, on a real Pyth legacy account.

use backstop::error::BackstopError;
use backstop::oracle::PYTH_LEGACY_PROGRAM_ID;
use backstop_tests::pyth::{LegacyPrice, LEGACY_SOL_USD, LEGACY_SOL_USD_UNKNOWN, STATUS_HALTED};
use backstop_tests::*;

const THOUSAND: u64 = 1_000 * USDC;

async fn trading_env() -> (Env, Actor) {
    let mut env = Env::new().await;
    let _lp = env.lp(100 * THOUSAND).await;
    let alice = env.trader(THOUSAND).await;
    (env, alice)
}

#[tokio::test]
async fn the_real_fixture_decodes_to_its_published_values() {
    let price = LegacyPrice::from_fixture(LEGACY_SOL_USD);
    assert_eq!((price.price(), price.expo(), price.publish_time()), (15_933_544_250, -8, 1_717_928_318));
    // Traded at its own publish time, the untouched fixture fills at 159.335442 + 0.115166.
    let mut env = Env::new().await;
    env.price = price;
    env.set_clock(1_717_928_318 + 10).await;
    env.write_oracle().await;
    let _lp = env.lp(100 * THOUSAND).await;
    let alice = env.trader(THOUSAND).await;
    env.act(&alice, env.flow(&alice).trade(ONE)).await.expect("trade on the real account");
    let margin = env.margin(&alice).await;
    assert_eq!(margin.balances.position.entry_notional, 159_335_442 + 115_166);
}

#[tokio::test]
async fn stale_price_is_rejected_after_max_age() {
    let (mut env, alice) = trading_env().await;
    env.act(&alice, env.flow(&alice).trade(2 * ONE)).await.expect("open");
    env.advance(60).await;
    // A withdrawal with a position reads the oracle at its age bound (fills need a fresher print: F8).
    env.act(&alice, env.flow(&alice).withdraw(1)).await.expect("exactly max age is fresh");
    env.advance(1).await;
    env.assert_rejected(&alice, env.flow(&alice).withdraw(1), BackstopError::OracleStale).await;
}

#[tokio::test]
async fn uncertain_price_is_rejected() {
    let (mut env, alice) = trading_env().await;
    env.set_price(usd(100), 200_000_000).await; // conf $2 = 2 %: at the bound
    env.act(&alice, env.flow(&alice).trade(ONE)).await.expect("at the bound");
    env.set_price(usd(100), 200_000_001).await;
    env.assert_rejected(&alice, env.flow(&alice).trade(ONE), BackstopError::OracleUncertain).await;
}

#[tokio::test]
async fn non_trading_and_non_positive_prices_are_rejected() {
    let (mut env, alice) = trading_env().await;
    env.price.set_status(STATUS_HALTED);
    env.write_oracle().await;
    env.assert_rejected(&alice, env.flow(&alice).trade(ONE), BackstopError::OracleNotTrading).await;
    env.price.set_status(pyth::STATUS_TRADING);
    env.set_price(0, 0).await;
    env.assert_rejected(&alice, env.flow(&alice).trade(ONE), BackstopError::OracleNonPositivePrice).await;
    env.set_price(-usd(1), 0).await;
    env.assert_rejected(&alice, env.flow(&alice).trade(ONE), BackstopError::OracleNonPositivePrice).await;
}

#[tokio::test]
async fn the_wound_down_legacy_feed_is_rejected_as_not_trading() {
    let (mut env, alice) = trading_env().await;
    let mut wound_down = LegacyPrice::from_fixture(LEGACY_SOL_USD_UNKNOWN);
    wound_down.set(usd(100), 1_000_000, env.now); // fresh and certain: only the status is wrong
    env.price = wound_down;
    env.write_oracle().await;
    env.assert_rejected(&alice, env.flow(&alice).trade(ONE), BackstopError::OracleNotTrading).await;
}

#[tokio::test]
async fn a_price_older_than_the_last_one_used_is_rejected() {
    let (mut env, alice) = trading_env().await;
    env.advance(10).await;
    env.set_price(usd(101), 1_000_000).await;
    env.act(&alice, env.flow(&alice).trade(ONE)).await.expect("uses the T0+10 price");
    // Someone replays the T0 price (still within max age).
    env.price.set(usd(100), 1_000_000, T0);
    env.write_oracle().await;
    env.assert_rejected(&alice, env.flow(&alice).trade(ONE), BackstopError::OracleOutOfOrder).await;
}

#[tokio::test]
async fn a_substituted_oracle_is_rejected_even_with_a_genuine_layout() {
    let (mut env, alice) = trading_env().await;
    // A second genuine Pyth account at another address, priced to the attacker's taste.
    let substitute = anchor_lang::prelude::Pubkey::new_unique();
    let mut fake = env.price.clone();
    fake.set(usd(1), 1_000, env.now);
    env.ctx.set_account(&substitute, &fake.account(PYTH_LEGACY_PROGRAM_ID).into());
    let flow = Flow { oracle: substitute, ..env.flow(&alice) };
    env.assert_rejected(&alice, flow.trade(ONE), BackstopError::OracleMismatch).await;
}

#[tokio::test]
async fn the_configured_oracle_reowned_by_another_program_is_rejected() {
    let (mut env, alice) = trading_env().await;
    let account = env.price.account(anchor_lang::prelude::Pubkey::new_unique());
    let oracle = env.oracle;
    env.ctx.set_account(&oracle, &account.into());
    env.assert_rejected(&alice, env.flow(&alice).trade(ONE), BackstopError::OracleWrongOwner).await;
}

#[tokio::test]
async fn exponent_out_of_range_is_rejected() {
    let (mut env, alice) = trading_env().await;
    env.price.set_expo(-19);
    env.write_oracle().await;
    env.assert_rejected(&alice, env.flow(&alice).trade(ONE), BackstopError::OracleBadExponent).await;
}
