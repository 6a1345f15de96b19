//! Account validation: every account an instruction takes is the one it must be. Each test passes the wrong one.

use anchor_lang::error::ErrorCode as Anchor;
use backstop::error::BackstopError;
use backstop_tests::*;

const THOUSAND: u64 = 1_000 * USDC;

async fn two_markets() -> (Env, anchor_lang::prelude::Pubkey) {
    let mut env = Env::new().await;
    let governance = env.governance.insecure_clone();
    let listing = ListMarket { market_id: 1, ..env.list_market(default_params()) };
    env.send(&listing.instructions(), &[&governance]).await.expect("market 1");
    env.advance(TIMELOCK).await;
    env.set_price(usd(100), 1_000_000).await;
    env.send(&[activate_market(pda::market(1), env.payer())], &[]).await.expect("activate 1");
    (env, pda::market(1))
}

#[tokio::test]
async fn a_market_passed_as_a_margin_account_is_refused() {
    let mut env = Env::new().await;
    let alice = env.trader(THOUSAND).await;
    let forged = Flow { position: env.market, ..env.flow(&alice) };
    env.assert_rejected(&alice, forged.deposit(USDC), Anchor::AccountDiscriminatorMismatch).await;
}

#[tokio::test]
async fn a_fund_passed_as_a_market_is_refused() {
    let mut env = Env::new().await;
    let alice = env.trader(THOUSAND).await;
    let forged = Flow { market: env.fund, ..env.flow(&alice) };
    env.assert_rejected(&alice, forged.trade(ONE), Anchor::AccountDiscriminatorMismatch).await;
}

#[tokio::test]
async fn an_lp_position_passed_as_a_margin_account_is_refused() {
    let mut env = Env::new().await;
    let lp = env.lp(THOUSAND).await;
    env.mint_to(lp.token, THOUSAND).await;
    let forged = Flow { position: pda::lp_position(&env.market, &lp.pubkey()), ..env.flow(&lp) };
    env.assert_rejected(&lp, forged.deposit(USDC), Anchor::AccountDiscriminatorMismatch).await;
}

#[tokio::test]
async fn market_a_vault_or_account_used_for_market_b_is_refused() {
    let (mut env, market_b) = two_markets().await;
    let alice = env.trader(THOUSAND).await;
    env.mint_to(alice.token, THOUSAND).await;
    // Alice's market-0 account named against market 1.
    let crossed = Flow { market: market_b, vault: pda::market_vault(&market_b), ..env.flow(&alice) };
    env.assert_rejected(&alice, crossed.deposit(USDC), BackstopError::MarketMismatch).await;
    // Market 1's vault named for market 0.
    let crossed = Flow { vault: pda::market_vault(&market_b), ..env.flow(&alice) };
    env.assert_rejected(&alice, crossed.deposit(USDC), BackstopError::VaultMismatch).await;
    // Market 0's vault as the destination of a market-0 withdrawal (source = destination).
    let crossed = Flow { token: env.vault, ..env.flow(&alice) };
    env.assert_rejected(&alice, crossed.withdraw(USDC), BackstopError::DestinationIsVault).await;
    let lp = env.lp(THOUSAND).await;
    let crossed = Flow { token: env.vault, ..env.lp_flow(&lp) };
    env.assert_rejected(&lp, crossed.lp_withdraw(1), BackstopError::DestinationIsVault).await;
    let staker = env.seed_fund(THOUSAND).await;
    let crossed = backstop_tests::builders::Staking { token: pda::fund_vault(&env.fund), ..env.staking(&staker) };
    env.act(&staker, crossed.request_unstake(1)).await.expect("request");
    env.advance(i64::from(default_fund_params().cooldown_secs)).await;
    env.set_price(START_PRICE, START_CONF).await;
    env.assert_rejected(&staker, crossed.unstake(&[env.market]), BackstopError::DestinationIsVault).await;
}

#[tokio::test]
async fn a_fake_token_program_is_refused() {
    let mut env = Env::new().await;
    let alice = env.trader(THOUSAND).await;
    env.mint_to(alice.token, THOUSAND).await;
    let mut ix = env.flow(&alice).deposit(USDC);
    let fake = anchor_lang::prelude::Pubkey::new_unique();
    for meta in ix.accounts.iter_mut() {
        if meta.pubkey == anchor_spl::token::spl_token::ID {
            meta.pubkey = fake;
        }
    }
    env.assert_rejected(&alice, ix, Anchor::InvalidProgramId).await;
}

#[tokio::test]
async fn a_fake_system_program_is_refused() {
    let mut env = Env::new().await;
    let alice = env.actor(THOUSAND).await;
    let mut ix = create_margin_account(env.market, alice.pubkey());
    for meta in ix.accounts.iter_mut() {
        if meta.pubkey == anchor_lang::system_program::ID {
            meta.pubkey = anchor_lang::prelude::Pubkey::new_unique();
        }
    }
    env.assert_rejected(&alice, ix, Anchor::InvalidProgramId).await;
}

#[tokio::test]
async fn an_account_at_a_non_canonical_address_is_refused() {
    let mut env = Env::new().await;
    let alice = env.actor(THOUSAND).await;
    // The same seeds with another bump (or any other address) is not the PDA the seeds constraint derives.
    let mut ix = create_margin_account(env.market, alice.pubkey());
    let canonical = pda::margin_account(&env.market, &alice.pubkey());
    let (_, bump) = anchor_lang::prelude::Pubkey::find_program_address(
        &[backstop::seeds::MARGIN_ACCOUNT, env.market.as_ref(), alice.pubkey().as_ref()],
        &backstop::ID,
    );
    let other = (0..bump)
        .rev()
        .find_map(|b| {
            anchor_lang::prelude::Pubkey::create_program_address(
                &[backstop::seeds::MARGIN_ACCOUNT, env.market.as_ref(), alice.pubkey().as_ref(), &[b]],
                &backstop::ID,
            )
            .ok()
        })
        .expect("another valid bump");
    for meta in ix.accounts.iter_mut() {
        if meta.pubkey == canonical {
            meta.pubkey = other;
        }
    }
    env.assert_rejected(&alice, ix, Anchor::ConstraintSeeds).await;
}

#[tokio::test]
async fn a_token_account_of_another_owner_or_mint_is_refused_for_lp_and_stake() {
    let mut env = Env::new().await;
    let lp = env.lp(THOUSAND).await;
    let mallory = env.actor(THOUSAND).await;
    let foreign = Flow { token: mallory.token, ..env.lp_flow(&lp) };
    env.assert_rejected(&lp, foreign.lp_deposit(USDC), BackstopError::TokenOwnerMismatch).await;
    let staker = env.staker(THOUSAND).await;
    let foreign = backstop_tests::builders::Staking { token: mallory.token, ..env.staking(&staker) };
    env.assert_rejected(&staker, foreign.stake(USDC), BackstopError::TokenOwnerMismatch).await;
}

#[tokio::test]
async fn a_genuine_looking_account_owned_by_another_program_is_refused() {
    let mut env = Env::new().await;
    let alice = env.trader(THOUSAND).await;
    // A byte-for-byte copy of Alice's margin account, owned by some other program.
    let original = env.account(pda::margin_account(&env.market, &alice.pubkey())).await.expect("account");
    let forged = anchor_lang::prelude::Pubkey::new_unique();
    let copy = solana_account::Account { owner: anchor_lang::prelude::Pubkey::new_unique(), ..original };
    env.ctx.set_account(&forged, &copy.into());
    let flow = Flow { position: forged, ..env.flow(&alice) };
    env.assert_rejected(&alice, flow.withdraw(USDC), Anchor::AccountOwnedByWrongProgram).await;
}

/// Refuses `token` as the user's account on every flow that reads one in place (`TokenAccountView`): deposit,
/// withdraw, LP deposit and withdrawal, stake and unstake, each with `expected` and nothing changed.
async fn refused_on_every_token_flow(env: &mut Env, alice: &Actor, token: anchor_lang::prelude::Pubkey, expected: u32) {
    let (flow, lp) = (Flow { token, ..env.flow(alice) }, Flow { token, ..env.lp_flow(alice) });
    let staking = backstop_tests::builders::Staking { token, ..env.staking(alice) };
    for instruction in [
        flow.deposit(USDC),
        flow.withdraw(USDC),
        lp.lp_deposit(USDC),
        lp.lp_withdraw(1),
        staking.stake(USDC),
        staking.unstake(&[env.market]),
    ] {
        env.assert_rejected(alice, instruction, expected).await;
    }
}

#[tokio::test]
async fn a_forged_uninitialised_or_foreign_mint_token_account_is_refused_on_every_token_flow() {
    let mut env = Env::new().await;
    let alice = env.trader(THOUSAND).await;
    env.mint_to(alice.token, 2 * THOUSAND).await;
    env.act(&alice, create_lp_position(env.market, alice.pubkey())).await.expect("lp position");
    env.act(&alice, env.lp_flow(&alice).lp_deposit(THOUSAND)).await.expect("lp deposit");
    env.act(&alice, env.staking(&alice).create()).await.expect("stake position");
    env.act(&alice, env.staking(&alice).stake(THOUSAND)).await.expect("stake");
    let genuine = env.account(alice.token).await.expect("token account");
    // The same bytes under another program: not a token account at all.
    let forged = anchor_lang::prelude::Pubkey::new_unique();
    let copy = solana_account::Account { owner: anchor_lang::prelude::Pubkey::new_unique(), ..genuine.clone() };
    env.ctx.set_account(&forged, &copy.into());
    // A token-program account whose state byte says uninitialised.
    let blank = anchor_lang::prelude::Pubkey::new_unique();
    let mut data = genuine.data.clone();
    data[108] = 0;
    env.ctx.set_account(&blank, &solana_account::Account { data, ..genuine }.into());
    // A genuine token account of Alice's, of another mint.
    let other_mint = env.create_mint(6).await;
    let foreign_mint = env.create_token_account(other_mint, alice.pubkey()).await;

    refused_on_every_token_flow(&mut env, &alice, forged, Anchor::AccountOwnedByWrongProgram.into()).await;
    refused_on_every_token_flow(&mut env, &alice, blank, Anchor::AccountDidNotDeserialize.into()).await;
    refused_on_every_token_flow(&mut env, &alice, foreign_mint, BackstopError::MintMismatch.into()).await;
}

/// Every margin flow names its market's bankruptcy book; another market's is refused by name.
#[tokio::test]
async fn another_markets_book_is_refused() {
    let (mut env, other) = two_markets().await;
    let _lp = env.lp(100 * THOUSAND).await;
    let alice = env.trader(THOUSAND).await;
    let wrong = Flow { book: pda::market_book(&other), ..env.flow(&alice) };
    env.assert_rejected(&alice, wrong.trade(ONE), BackstopError::MarketMismatch).await;
    env.assert_rejected(&alice, wrong.deposit(USDC), BackstopError::MarketMismatch).await;
    env.assert_rejected(&alice, wrong.withdraw(USDC), BackstopError::MarketMismatch).await;
    let keeper = backstop_tests::builders::KeeperAccounts { book: pda::market_book(&other), ..env.keeper_accounts() };
    let bob = env.trader(THOUSAND).await;
    env.assert_rejected(&bob, keeper.liquidate(bob.pubkey(), alice.pubkey()), BackstopError::MarketMismatch).await;
    let alices = pda::margin_account(&env.market, &alice.pubkey());
    let watched = env.touched_by(&alice);
    env.assert_rejected_by(&watched, &[], keeper.touch_account(alices), BackstopError::MarketMismatch).await;
    // Alice's account named under the other market (with that market's own book).
    let elsewhere = backstop_tests::builders::KeeperAccounts { market: other, ..keeper };
    env.assert_rejected_by(&watched, &[], elsewhere.touch_account(alices), BackstopError::MarketMismatch).await;
}
