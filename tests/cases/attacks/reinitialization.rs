//! Re-initialisation: calling every creating instruction again on an account that exists must be refused by
//! name and leave the account byte for byte as it was (no reset of balances, authority or parameters).

use backstop::error::BackstopError;
use backstop::instructions::InitializeExchangeArgs;
use backstop_tests::*;
use solana_signer::Signer;

#[tokio::test]
async fn reinitializing_any_account_is_refused_and_changes_nothing() {
    let mut env = Env::new().await;
    let alice = env.trader(USDC).await;
    let bob = env.lp(USDC).await;
    let carol = env.staker(USDC).await;
    let governance = env.governance.insecure_clone();
    let watched = vec![
        pda::exchange(),
        env.fund,
        pda::fund_vault(&env.fund),
        env.market,
        env.vault,
        pda::margin_account(&env.market, &alice.pubkey()),
        pda::lp_position(&env.market, &bob.pubkey()),
        pda::stake_position(&env.fund, &carol.pubkey()),
    ];
    let before = env.snapshot(&watched).await;

    // The exchange, by anyone (here: a newcomer naming itself the authority).
    let args = InitializeExchangeArgs {
        authority: alice.pubkey(),
        guardian: alice.pubkey(),
        treasury: alice.pubkey(),
        timelock_delay_secs: TIMELOCK,
    };
    assert_already_initialized(env.send(&[initialize_exchange(env.payer(), args)], &[]).await);
    // Fund 0 and market 0, even by governance: ids are dense, an existing id is not the next one.
    let fund_again = initialize_insurance_fund(governance.pubkey(), env.payer(), env.mint, 0);
    assert_backstop_error!(env.send(&[fund_again], &[&governance]).await, BackstopError::InvalidId);
    let market_again = env.list_market(default_params()).instruction();
    assert_backstop_error!(env.send(&[market_again], &[&governance]).await, BackstopError::InvalidId);
    // Each user account, by its owner.
    assert_already_initialized(env.act(&alice, create_margin_account(env.market, alice.pubkey())).await);
    assert_already_initialized(env.act(&bob, create_lp_position(env.market, bob.pubkey())).await);
    assert_already_initialized(env.act(&carol, env.staking(&carol).create()).await);

    assert_eq!(env.snapshot(&watched).await, before, "a refused re-initialisation changed an account");
}
