//! Issue 19: governance through a multisig. The production authority is a multisig vault, which cannot sign a
//! local transaction; a governance command prints the unsigned message for a proposal instead. Here a member
//! decodes what was proposed and the vault executes it: the bank runs it with the vault as the only signer.

#![allow(deprecated)] // solana-program-test 3.x: see tests/src/lib.rs

use backstop_app::multisig;
use backstop_client::governance as gov;
use backstop_math::params::MarketParams;
use backstop_tests::Env;
use base64::Engine;
use solana_signer::Signer;
use solana_transaction::{Message, Transaction};

#[tokio::test]
async fn a_dumped_governance_message_executes_in_the_bank_with_the_vault_as_signer() {
    let mut env = Env::new().await;
    // The exchange's authority stands in for the vault PDA (which, on a real cluster, signs by CPI from Squads).
    let vault = env.governance.insecure_clone();
    let fund = solana_system_interface::instruction::transfer(&env.payer(), &vault.pubkey(), 1_000_000_000);
    env.send(&[fund], &[]).await.expect("the vault pays its own fee");
    let start = env.market_state().await.params;
    let tighter = MarketParams { max_open_interest: start.max_open_interest / 2, ..start };
    let ix = gov::update_market_params(vault.pubkey(), env.market, tighter);

    let blockhash = env.ctx.banks_client.get_latest_blockhash().await.expect("blockhash");
    let message = multisig::proposal_message(&[ix], &vault.pubkey(), blockhash);
    let (base64, base58) = multisig::encode(&message);
    assert!(multisig::describe(&message).starts_with(&format!("signers: {}", vault.pubkey())));

    // A member decodes the proposal (either encoding) and finds exactly what was built.
    let bytes = base64::engine::general_purpose::STANDARD.decode(base64).expect("base64");
    assert_eq!(bs58::decode(&base58).into_vec().expect("base58"), bytes);
    let decoded: Message = bincode::deserialize(&bytes).expect("a transaction message");
    assert_eq!(decoded, message);
    // The vault executes it.
    let tx = Transaction::new(&[&vault], decoded, blockhash);
    env.ctx.banks_client.process_transaction(tx).await.expect("executed with the vault as signer");
    assert_eq!(env.market_state().await.params, tighter);
}
