//! An unrestricted pull receiver: whoever controls the program that owns a PriceUpdateV2 account controls every
//! price it "verifies". A pull market's receiver must be Pyth's own, or the one receiver the exchange allow-lists
//! through a timelocked exchange change.

use anchor_lang::prelude::Pubkey;
use backstop::error::BackstopError;
use backstop::instructions::ExchangeChange;
use backstop::state::OracleConfig;
use backstop_tests::builders::{governance as gov, initialize_insurance_fund, pda, ListMarket};
use backstop_tests::pyth::{PullPrice, DRIFT_RECEIVER, PULL_SOL_USD};
use backstop_tests::*;
use solana_signer::Signer;

#[tokio::test]
async fn a_market_on_a_foreign_receiver_needs_the_exchange_to_allow_list_it_behind_the_timelock() {
    let mut env = Env::bare_with(Some(PullPrice::from_fixture(PULL_SOL_USD, DRIFT_RECEIVER)), 0).await;
    env.initialize_exchange().await;
    let governance = env.governance.insecure_clone();
    let ix = initialize_insurance_fund(governance.pubkey(), env.payer(), env.mint, 0);
    env.send(&[ix], &[&governance]).await.expect("fund");
    let listing = env.list_market(default_params());
    let foreign =
        ListMarket { oracle_config: OracleConfig { receiver: DRIFT_RECEIVER, ..listing.oracle_config }, ..listing };
    let watched = [pda::market(0), pda::exchange()];
    env.assert_rejected_by(&watched, &[&governance], foreign.instruction(), BackstopError::OracleReceiverNotAllowed)
        .await;

    // Allow-listing is an exchange change: queued, public for the whole delay.
    let exchange = env.exchange_state().await;
    let change = ExchangeChange {
        guardian: exchange.guardian,
        treasury: exchange.treasury,
        timelock_delay_secs: exchange.timelock_delay_secs,
        oracle_receiver: DRIFT_RECEIVER,
    };
    env.send(&[gov::propose_exchange_change(governance.pubkey(), change)], &[&governance]).await.expect("queued");
    env.assert_rejected_by(&watched, &[&governance], foreign.instruction(), BackstopError::OracleReceiverNotAllowed)
        .await;
    env.advance(TIMELOCK).await;
    env.send(&[gov::apply_exchange_change(env.payer())], &[]).await.expect("applied after the delay");
    assert_eq!(env.exchange_state().await.oracle_receiver, DRIFT_RECEIVER);
    env.republish().await;
    env.send(&foreign.instructions(), &[&governance]).await.expect("listed on the allow-listed receiver");
    assert_ne!(env.market_state().await.oracle_receiver, Pubkey::default());
    assert_eq!(env.exchange_state().await.pending_oracle_receiver, Pubkey::default(), "nothing stale left queued");

    // The receiver is struck off while the listing waits: activation checks the allow-list again.
    let strike = ExchangeChange { oracle_receiver: Pubkey::default(), ..change };
    env.send(&[gov::propose_exchange_change(governance.pubkey(), strike)], &[&governance]).await.expect("queued");
    env.advance(TIMELOCK).await;
    env.send(&[gov::apply_exchange_change(env.payer())], &[]).await.expect("applied");
    let activate = backstop_tests::builders::activate_market(pda::market(0), env.payer());
    env.assert_rejected_by(&watched, &[], activate, BackstopError::OracleReceiverNotAllowed).await;
}
