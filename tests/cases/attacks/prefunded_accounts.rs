//! Griefing by pre-funding a PDA: anyone can send lamports to an address before its owner creates the account
//! there. A creation path that refuses an address holding lamports lets a stranger block a user's margin
//! account, LP position or stake position forever, and a market or fund id the exchange must use next.

use backstop_tests::*;
use solana_signer::Signer;

/// Sends `address` the least a system account may hold (the rent-exempt minimum for no data: ~0.00089 SOL).
async fn prefund(env: &mut Env, address: anchor_lang::prelude::Pubkey) {
    let rent = env.ctx.banks_client.get_rent().await.expect("rent");
    let ix = solana_system_interface::instruction::transfer(&env.payer(), &address, rent.minimum_balance(0));
    env.send(&[ix], &[]).await.expect("prefund");
}

#[tokio::test]
async fn prefunding_a_users_margin_account_address_does_not_block_its_creation() {
    let mut env = Env::new().await;
    let alice = env.actor(1_000 * USDC).await;
    let address = pda::margin_account(&env.market, &alice.pubkey());
    prefund(&mut env, address).await;
    env.act(&alice, create_margin_account(env.market, alice.pubkey())).await.expect("created despite the lamport");
    env.act(&alice, env.flow(&alice).deposit(USDC)).await.expect("and usable");
}

#[tokio::test]
async fn prefunding_lp_and_stake_position_addresses_does_not_block_them() {
    let mut env = Env::new().await;
    let bob = env.actor(1_000 * USDC).await;
    let (lp, stake) = (pda::lp_position(&env.market, &bob.pubkey()), pda::stake_position(&env.fund, &bob.pubkey()));
    prefund(&mut env, lp).await;
    prefund(&mut env, stake).await;
    env.act(&bob, create_lp_position(env.market, bob.pubkey())).await.expect("lp position");
    env.act(&bob, env.staking(&bob).create()).await.expect("stake position");
}

#[tokio::test]
async fn prefunding_the_next_market_and_fund_ids_does_not_block_listing() {
    let mut env = Env::new().await;
    let governance = env.governance.insecure_clone();
    prefund(&mut env, pda::insurance_fund(1)).await;
    prefund(&mut env, pda::fund_vault(&pda::insurance_fund(1))).await;
    prefund(&mut env, pda::market(1)).await;
    prefund(&mut env, pda::market_vault(&pda::market(1))).await;
    let ix = initialize_insurance_fund(governance.pubkey(), env.payer(), env.mint, 1);
    env.send(&[ix], &[&governance]).await.expect("fund 1 despite the lamports");
    let listing = ListMarket { market_id: 1, ..env.list_market(default_params()) };
    env.send(&[listing.instruction()], &[&governance]).await.expect("market 1 despite the lamports");
}
