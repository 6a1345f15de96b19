//! initialize_exchange, initialize_insurance_fund, initialize_market, create_margin_account, create_lp_position.

use anchor_lang::prelude::Pubkey;
use backstop::error::BackstopError;
use backstop::instructions::InitializeExchangeArgs;
use backstop::state::{MarketStatus, MAX_TIMELOCK_DELAY_SECS, MIN_TIMELOCK_DELAY_SECS};
use backstop_math::constants::BASE_PRECISION_U64;
use backstop_tests::pyth::LegacyPrice;
use backstop_tests::*;
use solana_keypair::Keypair;
use solana_signer::Signer;

#[tokio::test]
async fn full_setup_records_every_field() {
    let mut env = Env::new().await;
    let market = env.market_state().await;
    assert_eq!(market.insurance_fund, env.fund);
    assert_eq!(market.collateral_mint, env.mint);
    assert_eq!(market.vault, env.vault);
    assert_eq!(market.oracle, env.oracle);
    assert_eq!(market.params, default_params());
    assert_eq!(market.status, MarketStatus::Active as u8);
    assert_eq!(market.market_id, 0);
    assert_eq!(market.books, Default::default());
    let fund = env.fund_state().await;
    assert_eq!(fund.mint, env.mint);
    assert_eq!(fund.vault, pda::fund_vault(&env.fund));
    assert_eq!(fund.book.balance, 0);
    assert_eq!(fund.params, default_fund_params());
    let exchange: backstop::state::Exchange = env.load(pda::exchange()).await;
    assert_eq!(exchange.authority, env.governance.pubkey());
    assert_eq!((exchange.market_count, exchange.fund_count), (1, 1));
    assert_eq!(env.token_balance(env.vault).await, 0);
}

#[tokio::test]
async fn exchange_cannot_be_initialized_twice() {
    let mut env = Env::new().await;
    let args = InitializeExchangeArgs {
        authority: Pubkey::new_unique(),
        guardian: Pubkey::new_unique(),
        treasury: Pubkey::new_unique(),
        timelock_delay_secs: 86_400,
    };
    let result = env.send(&[initialize_exchange(env.payer(), args)], &[]).await;
    assert_already_initialized(result);
    let exchange: backstop::state::Exchange = env.load(pda::exchange()).await;
    assert_eq!(exchange.authority, env.governance.pubkey());
}

#[tokio::test]
async fn timelock_delay_is_bounded() {
    for delay in [MIN_TIMELOCK_DELAY_SECS - 1, MAX_TIMELOCK_DELAY_SECS + 1, -1] {
        let mut env = Env::bare().await;
        let args = InitializeExchangeArgs {
            authority: Pubkey::new_unique(),
            guardian: Pubkey::new_unique(),
            treasury: Pubkey::new_unique(),
            timelock_delay_secs: delay,
        };
        let result = env.send(&[initialize_exchange(env.payer(), args)], &[]).await;
        assert_backstop_error!(result, BackstopError::InvalidTimelockDelay);
        assert!(env.account(pda::exchange()).await.is_none());
    }
}

#[tokio::test]
async fn fund_requires_governance_the_next_id_and_a_six_decimal_mint() {
    let mut env = Env::bare().await;
    env.initialize_exchange().await;
    let intruder = Keypair::new();
    let ix = initialize_insurance_fund(intruder.pubkey(), env.payer(), env.mint, 0);
    assert_backstop_error!(env.send(&[ix], &[&intruder]).await, BackstopError::Unauthorized);

    let governance = env.governance.insecure_clone();
    let ix = initialize_insurance_fund(governance.pubkey(), env.payer(), env.mint, 1);
    assert_backstop_error!(env.send(&[ix], &[&governance]).await, BackstopError::InvalidId);

    let nine_decimals = env.create_mint(9).await;
    let ix = initialize_insurance_fund(governance.pubkey(), env.payer(), nine_decimals, 0);
    assert_backstop_error!(env.send(&[ix], &[&governance]).await, BackstopError::InvalidCollateralMint);
    assert!(env.account(pda::insurance_fund(0)).await.is_none());

    let ix = initialize_insurance_fund(governance.pubkey(), env.payer(), env.mint, 0);
    env.send(std::slice::from_ref(&ix), &[&governance]).await.expect("fund 0");
    // Ids are dense: creating fund 0 again names a used id.
    assert_backstop_error!(env.send(&[ix], &[&governance]).await, BackstopError::InvalidId);
}

/// An exchange with fund 0 and no market yet.
async fn env_without_market() -> Env {
    let mut env = Env::bare().await;
    env.initialize_exchange().await;
    let governance = env.governance.insecure_clone();
    let ix = initialize_insurance_fund(governance.pubkey(), env.payer(), env.mint, 0);
    env.send(&[ix], &[&governance]).await.expect("fund 0");
    env
}

async fn list(
    env: &mut Env,
    listing: ListMarket,
    signer: &Keypair,
) -> Result<(), solana_program_test::BanksClientError> {
    env.send(&[listing.instruction()], &[signer]).await
}

#[tokio::test]
async fn market_listing_rejects_each_bad_input_and_changes_nothing() {
    let mut env = env_without_market().await;
    let governance = env.governance.insecure_clone();
    let good = env.list_market(default_params());

    let intruder = Keypair::new();
    let listing = ListMarket { authority: intruder.pubkey(), ..good };
    assert_backstop_error!(list(&mut env, listing, &intruder).await, BackstopError::Unauthorized);

    let listing = ListMarket { market_id: 1, ..good };
    assert_backstop_error!(list(&mut env, listing, &governance).await, BackstopError::InvalidId);

    let mut params = default_params();
    params.maintenance_margin_bps = params.initial_margin_bps;
    let listing = ListMarket { params, ..good };
    assert_backstop_error!(list(&mut env, listing, &governance).await, BackstopError::InvalidMarginRatios);

    let mut params = default_params();
    params.liquidation_penalty_bps = params.maintenance_margin_bps;
    let listing = ListMarket { params, ..good };
    assert_backstop_error!(list(&mut env, listing, &governance).await, BackstopError::InvalidLiquidationPenalty);

    let mut params = default_params();
    params.fee_lp_share_bps += 1;
    let listing = ListMarket { params, ..good };
    assert_backstop_error!(list(&mut env, listing, &governance).await, BackstopError::InvalidFeeSplit);

    let mut params = default_params();
    params.min_order_size = 0;
    let listing = ListMarket { params, ..good };
    assert_backstop_error!(list(&mut env, listing, &governance).await, BackstopError::InvalidSizeLimits);

    // An oracle owned by someone other than Pyth, with perfectly valid bytes.
    let fake_oracle = Pubkey::new_unique();
    let account = env.price.account(Pubkey::new_unique());
    env.ctx.set_account(&fake_oracle, &account.into());
    let listing = ListMarket { oracle: fake_oracle, ..good };
    assert_backstop_error!(list(&mut env, listing, &governance).await, BackstopError::OracleWrongOwner);

    // Owned by Pyth but not a price account.
    let garbage = Pubkey::new_unique();
    let mut account = env.price.account(backstop::oracle::PYTH_LEGACY_PROGRAM_ID);
    account.data[0] = 0;
    env.ctx.set_account(&garbage, &account.into());
    let listing = ListMarket { oracle: garbage, ..good };
    assert_backstop_error!(list(&mut env, listing, &governance).await, BackstopError::OracleInvalidData);

    let short = Pubkey::new_unique();
    let mut account = env.price.account(backstop::oracle::PYTH_LEGACY_PROGRAM_ID);
    account.data.truncate(3_000);
    env.ctx.set_account(&short, &account.into());
    let listing = ListMarket { oracle: short, ..good };
    assert_backstop_error!(list(&mut env, listing, &governance).await, BackstopError::OracleInvalidData);

    let nine_decimals = env.create_mint(9).await;
    let listing = ListMarket { collateral_mint: nine_decimals, ..good };
    assert_backstop_error!(list(&mut env, listing, &governance).await, BackstopError::InvalidCollateralMint);

    // A fund in another token cannot back this market.
    let other_mint = env.create_mint(6).await;
    let ix = initialize_insurance_fund(governance.pubkey(), env.payer(), other_mint, 1);
    env.send(&[ix], &[&governance]).await.expect("fund 1");
    let listing = ListMarket { insurance_fund: pda::insurance_fund(1), ..good };
    assert_backstop_error!(list(&mut env, listing, &governance).await, BackstopError::MintMismatch);

    assert!(env.account(pda::market(0)).await.is_none());
    list(&mut env, good, &governance).await.expect("the good listing");
    assert_backstop_error!(list(&mut env, good, &governance).await, BackstopError::InvalidId);
}

#[tokio::test]
async fn a_market_lists_on_a_real_legacy_price_account_even_when_stale() {
    // Freshness is judged at each use, not at listing: the 2024 fixture is years old here.
    let mut env = env_without_market().await;
    let governance = env.governance.insecure_clone();
    let original = LegacyPrice::from_fixture(pyth::LEGACY_SOL_USD);
    env.price = original;
    env.write_oracle().await;
    let listing = env.list_market(default_params());
    list(&mut env, listing, &governance).await.expect("listing");
    let market = env.market_state().await;
    assert_eq!(market.params.max_open_interest, 10_000 * BASE_PRECISION_U64);
}

#[tokio::test]
async fn margin_account_and_lp_position_are_created_once() {
    let mut env = Env::new().await;
    let alice = env.trader(0).await;
    let margin = env.margin(&alice).await;
    assert_eq!((margin.owner, margin.market), (alice.pubkey(), env.market));
    assert_eq!(margin.balances, Default::default());
    let again = create_margin_account(env.market, alice.pubkey());
    assert_already_initialized(env.act(&alice, again).await);

    let bob = env.lp(0).await;
    let position = env.lp_position(&bob).await;
    assert_eq!((position.owner, position.market, position.shares), (bob.pubkey(), env.market, 0));
    let again = create_lp_position(env.market, bob.pubkey());
    assert_already_initialized(env.act(&bob, again).await);
}
