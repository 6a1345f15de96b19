//! deposit and withdraw.

use backstop::error::BackstopError;
use backstop::events::{CollateralDirection, CollateralRecord};
use backstop_tests::*;

const THOUSAND: u64 = 1_000 * USDC;

#[tokio::test]
async fn deposit_moves_tokens_and_credits_collateral_exactly() {
    let mut env = Env::new().await;
    let alice = env.trader(0).await;
    env.mint_to(alice.token, THOUSAND).await;
    env.act(&alice, env.flow(&alice).deposit(400 * USDC)).await.expect("deposit");
    assert_eq!(env.token_balance(alice.token).await, 600 * USDC);
    assert_eq!(env.token_balance(env.vault).await, 400 * USDC);
    let margin = env.margin(&alice).await;
    assert_eq!(margin.balances.collateral, i64::try_from(400 * USDC).unwrap());
    let market = env.market_state().await;
    assert_eq!(market.books.total_collateral, i64::try_from(400 * USDC).unwrap());
    env.assert_vault_matches_books().await;

    let events = env.simulate_events(&alice, env.flow(&alice).deposit(USDC)).await;
    let record: CollateralRecord = decode_event(&events).expect("CollateralRecord");
    assert_eq!(record.direction, CollateralDirection::Deposit);
    assert_eq!((record.amount, record.collateral_before, record.collateral_after), (USDC, 400_000_000, 401_000_000));
    assert_eq!(record.owner, alice.pubkey());
}

#[tokio::test]
async fn deposit_rejections_change_nothing() {
    let mut env = Env::new().await;
    let alice = env.trader(0).await;
    env.mint_to(alice.token, THOUSAND).await;
    let mallory = env.trader(0).await;
    env.mint_to(mallory.token, THOUSAND).await;
    let good = env.flow(&alice);

    env.assert_rejected(&alice, good.deposit(0), BackstopError::InvalidAmount).await;
    env.assert_rejected(&alice, good.deposit(u64::MAX), BackstopError::InvalidAmount).await;
    // Mallory signs for Alice's margin account.
    let stolen = Flow { owner: mallory.pubkey(), token: mallory.token, ..good };
    env.assert_rejected(&mallory, stolen.deposit(USDC), BackstopError::AccountOwnerMismatch).await;
    // Alice pays from Mallory's token account.
    let foreign_token = Flow { token: mallory.token, ..good };
    env.assert_rejected(&alice, foreign_token.deposit(USDC), BackstopError::TokenOwnerMismatch).await;
    // A token account of another mint.
    let other_mint = env.create_mint(6).await;
    let wrong_token = env.create_token_account(other_mint, alice.pubkey()).await;
    let wrong = Flow { token: wrong_token, ..good };
    env.assert_rejected(&alice, wrong.deposit(USDC), BackstopError::MintMismatch).await;
    let wrong = Flow { mint: other_mint, ..good };
    env.assert_rejected(&alice, wrong.deposit(USDC), BackstopError::MintMismatch).await;
    // A vault that is not the market's: Alice's own token account.
    let wrong = Flow { vault: mallory.token, ..good };
    env.assert_rejected(&alice, wrong.deposit(USDC), BackstopError::VaultMismatch).await;
    // More than the wallet holds: the token program refuses (SPL Token InsufficientFunds = 1).
    env.assert_rejected(&alice, good.deposit(THOUSAND + 1), RawCode(1)).await;
}

#[tokio::test]
async fn missing_owner_signature_is_rejected() {
    let mut env = Env::new().await;
    let alice = env.trader(THOUSAND).await;
    let mut ix = env.flow(&alice).withdraw(USDC);
    for meta in ix.accounts.iter_mut() {
        if meta.pubkey == alice.pubkey() {
            meta.is_signer = false;
        }
    }
    // Only the fee payer signs.
    let watched = env.touched_by(&alice);
    env.assert_rejected_by(&watched, &[], ix, anchor_lang::error::ErrorCode::AccountNotSigner).await;
}

#[tokio::test]
async fn flat_account_withdraws_everything_even_with_a_stale_oracle() {
    let mut env = Env::new().await;
    let alice = env.trader(THOUSAND).await;
    env.advance(3_600).await; // the oracle is an hour old
    env.act(&alice, env.flow(&alice).withdraw(THOUSAND)).await.expect("withdraw");
    assert_eq!(env.token_balance(alice.token).await, THOUSAND);
    assert_eq!(env.margin(&alice).await.balances.collateral, 0);
    env.assert_vault_matches_books().await;
}

#[tokio::test]
async fn withdrawal_to_any_token_account_of_the_mint() {
    let mut env = Env::new().await;
    let alice = env.trader(THOUSAND).await;
    let cold_wallet = env.actor(0).await;
    let to_cold = Flow { token: cold_wallet.token, ..env.flow(&alice) };
    env.act(&alice, to_cold.withdraw(USDC)).await.expect("withdraw");
    assert_eq!(env.token_balance(cold_wallet.token).await, USDC);
}

#[tokio::test]
async fn withdraw_rejections_change_nothing() {
    let mut env = Env::new().await;
    let _lp = env.lp(100 * THOUSAND).await;
    let alice = env.trader(THOUSAND).await;
    let mallory = env.trader(THOUSAND).await;
    let good = env.flow(&alice);

    env.assert_rejected(&alice, good.withdraw(0), BackstopError::InvalidAmount).await;
    env.assert_rejected(&alice, good.withdraw(THOUSAND + 1), BackstopError::InsufficientCollateral).await;
    let stolen = Flow { owner: mallory.pubkey(), token: mallory.token, ..good };
    env.assert_rejected(&mallory, stolen.withdraw(USDC), BackstopError::AccountOwnerMismatch).await;
    let other_mint = env.create_mint(6).await;
    let wrong_token = env.create_token_account(other_mint, alice.pubkey()).await;
    env.assert_rejected(&alice, Flow { token: wrong_token, ..good }.withdraw(USDC), BackstopError::MintMismatch).await;
    env.assert_rejected(&alice, Flow { vault: mallory.token, ..good }.withdraw(USDC), BackstopError::VaultMismatch)
        .await;

    // 5 SOL at $100 needs $50 of initial margin: $950 is free, $951 is not.
    env.act(&alice, good.trade(5 * ONE)).await.expect("open");
    let collateral = u64::try_from(env.margin(&alice).await.balances.collateral).unwrap();
    env.assert_rejected(&alice, good.withdraw(collateral), BackstopError::InitialMarginBreached).await;
    // With a position open, the oracle must be the market's and fresh.
    let wrong_oracle = Flow { oracle: mallory.token, ..good };
    env.assert_rejected(&alice, wrong_oracle.withdraw(USDC), BackstopError::OracleMismatch).await;
    env.advance(61).await;
    env.assert_rejected(&alice, good.withdraw(USDC), BackstopError::OracleStale).await;
}

#[tokio::test]
async fn withdrawal_up_to_initial_margin_with_a_position_open() {
    let mut env = Env::new().await;
    let _lp = env.lp(100 * THOUSAND).await;
    let alice = env.trader(THOUSAND).await;
    env.act(&alice, env.flow(&alice).trade(5 * ONE)).await.expect("open");
    let margin = env.margin(&alice).await;
    let market = env.market_state().await;
    let price = backstop_math::oracle::OraclePrice { price: 100_000_000, conf: 10_000, publish_time: T0 };
    let health = margin.balances.health(&price, &market.params).unwrap();
    // The largest withdrawal keeps initial equity at the requirement (profit is negative here, so not capped).
    let free = u64::try_from(health.initial_equity).unwrap() - health.initial_requirement;
    let alice_flow = env.flow(&alice);
    env.assert_rejected(&alice, alice_flow.withdraw(free + 1), BackstopError::InitialMarginBreached).await;
    env.act(&alice, alice_flow.withdraw(free)).await.expect("withdraw the free part");
    assert_eq!(env.token_balance(alice.token).await, free);
    env.assert_vault_matches_books().await;
}
