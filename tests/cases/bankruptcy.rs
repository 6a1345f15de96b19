//! cover_bankruptcy: each branch of the waterfall with exact numbers, the account usable afterwards, and every
//! rejection.

use backstop::error::BackstopError;
use backstop::events::{AccountTouched, BankruptcyCovered, WaterfallLayer, WaterfallStep};
use backstop_math::ledger::SOCIAL_INDEX_ONE;
use backstop_math::margin::TraderBalances;
use backstop_tests::scenes::thin_pool_gap;
use backstop_tests::*;
use solana_signer::Signer;

const THOUSAND: u64 = 1_000 * USDC;
const ENTRY: i64 = 9 * 100_010_000;
const COLLATERAL: i64 = 100_000_000 - 900_090;

/// Alice, 9x long, gapped to $85 and liquidated: bankrupt with this deficit.
const DEFICIT: u64 = (ENTRY - 9 * 84_990_000 - COLLATERAL) as u64;

async fn bankrupt_alice(fund: u64) -> (Env, Actor, Actor) {
    bankrupt_alice_with(default_params(), fund).await
}

/// Alice bankrupt with [`DEFICIT`] on a market with `params`, the fund holding `fund`.
async fn bankrupt_alice_with(params: backstop_math::params::MarketParams, fund: u64) -> (Env, Actor, Actor) {
    let mut env = Env::with_params(params).await;
    if fund > 0 {
        env.seed_fund(fund).await;
    }
    let _lp = env.lp(100 * THOUSAND).await;
    let (alice, keeper) = env.alice_gapped_to_85().await;
    env.act(&keeper, env.keeper_accounts().liquidate(keeper.pubkey(), alice.pubkey())).await.expect("liquidate");
    assert_eq!(env.margin(&alice).await.balances.collateral, -i64::try_from(DEFICIT).unwrap());
    (env, alice, keeper)
}

fn steps(events: &[Vec<u8>]) -> Vec<(WaterfallLayer, u64, u64)> {
    events
        .iter()
        .filter_map(|data| {
            let body = data.strip_prefix(<WaterfallStep as anchor_lang::Discriminator>::DISCRIMINATOR)?;
            let step = <WaterfallStep as anchor_lang::AnchorDeserialize>::deserialize(&mut &body[..]).ok()?;
            Some((step.layer, step.amount, step.remaining))
        })
        .collect()
}

#[tokio::test]
async fn the_fund_covers_all() {
    let (mut env, alice, keeper) = bankrupt_alice(THOUSAND).await;
    let market_vault_before = env.token_balance(env.vault).await;
    let pool_before = env.market_state().await.books.pool_balance;
    let ix = env.keeper_accounts().cover_bankruptcy(keeper.pubkey(), alice.pubkey());
    let events = env.simulate_events(&keeper, ix.clone()).await;
    env.act(&keeper, ix).await.expect("cover");

    assert_eq!(
        steps(&events),
        vec![(WaterfallLayer::InsuranceFund, DEFICIT, 0)],
        "only the layers that bore something"
    );
    let summary: BankruptcyCovered = decode_event(&events).expect("BankruptcyCovered");
    assert_eq!(
        (summary.deficit, summary.paid_by_fund, summary.fund_balance_after),
        (DEFICIT, DEFICIT, THOUSAND - DEFICIT)
    );
    assert_eq!(env.margin(&alice).await.balances.collateral, 0);
    let fund = env.fund_state().await;
    assert_eq!((fund.book.balance, fund.deficits_covered), (THOUSAND - DEFICIT, DEFICIT));
    assert_eq!(env.token_balance(env.vault).await, market_vault_before + DEFICIT);
    let market = env.market_state().await;
    // The pool keeps the credit it took for Alice's loss: now it is real tokens.
    assert_eq!(market.books.pool_balance, pool_before);
    assert_eq!(market.books.pending_deficit, 0);
    assert_eq!(market.cumulative_fund_cover, DEFICIT);
    env.assert_vault_matches_books().await;
    env.assert_fund_vault_matches_books().await;
}

#[tokio::test]
async fn the_fund_covers_part_and_the_pool_the_rest() {
    let fund = 10 * USDC;
    let (mut env, alice, keeper) = bankrupt_alice(fund).await;
    let pool_before = env.market_state().await.books.pool_balance;
    let ix = env.keeper_accounts().cover_bankruptcy(keeper.pubkey(), alice.pubkey());
    let events = env.simulate_events(&keeper, ix.clone()).await;
    env.act(&keeper, ix).await.expect("cover");
    assert_eq!(
        steps(&events),
        vec![(WaterfallLayer::InsuranceFund, fund, DEFICIT - fund), (WaterfallLayer::LpClawback, DEFICIT - fund, 0),]
    );
    assert_eq!(env.fund_state().await.book.balance, 0);
    let market = env.market_state().await;
    assert_eq!(market.books.pool_balance, pool_before - (DEFICIT - fund));
    assert_eq!(market.cumulative_lp_clawback, DEFICIT - fund);
    env.assert_vault_matches_books().await;
    env.assert_fund_vault_matches_books().await;
}

#[tokio::test]
async fn the_market_draw_cap_limits_the_fund_per_window() {
    let mut params = default_params();
    params.fund_draw_cap = 5 * USDC;
    params.fund_draw_window_secs = 3_600;
    let (mut env, alice, keeper) = bankrupt_alice_with(params, THOUSAND).await;
    env.act(&keeper, env.keeper_accounts().cover_bankruptcy(keeper.pubkey(), alice.pubkey())).await.expect("cover");
    let market = env.market_state().await;
    assert_eq!(market.cumulative_fund_cover, 5 * USDC);
    assert_eq!(market.cumulative_lp_clawback, DEFICIT - 5 * USDC);
    assert_eq!(market.fund_draw.drawn, 5 * USDC);
    assert_eq!(env.fund_state().await.book.balance, THOUSAND - 5 * USDC);
}

#[tokio::test]
async fn fund_and_pool_exhausted_socialize_the_rest_over_every_positive_balance() {
    // +20 %: Bob's short is wiped out; Carol's idle $1,000 is enough to socialize the rest over.
    let (mut env, alice, bob, carol, keeper) = thin_pool_gap(THOUSAND, usd(120)).await;
    let carol = carol.expect("carol");
    let deficit = env.margin(&bob).await.balances.collateral.unsigned_abs();
    let market = env.market_state().await;
    let price = env.oracle_price();
    let equity = market.books.pool_value_for_withdrawal(&price).unwrap();
    assert!(equity < 0, "the pool owes Alice more than it holds");
    let shortfall = u64::try_from(-equity).unwrap().min(deficit);
    let positive = market.books.total_positive_collateral;
    let before = [env.margin(&alice).await.balances.collateral, env.margin(&carol).await.balances.collateral];
    assert_eq!(env.margin(&keeper).await.balances.collateral, 0, "a bankrupt liquidation pays no reward");

    let ix = env.keeper_accounts().cover_bankruptcy(keeper.pubkey(), bob.pubkey());
    let events = env.simulate_events(&keeper, ix.clone()).await;
    env.act(&keeper, ix).await.expect("cover");
    assert_eq!(
        steps(&events),
        vec![
            (WaterfallLayer::LpClawback, deficit - shortfall, shortfall),
            (WaterfallLayer::SocializedLoss, shortfall, 0),
        ]
    );
    // Every positive balance is scaled by (positive − shortfall) / positive, rounded down, applied when touched.
    let index = env.market_state().await.books.social_loss_index;
    assert_eq!(
        u128::from(index),
        u128::from(SOCIAL_INDEX_ONE) * u128::from(positive - shortfall) / u128::from(positive)
    );
    for (actor, before) in [(&alice, before[0]), (&carol, before[1])] {
        let expected = u128::try_from(before).unwrap() * u128::from(index) / u128::from(SOCIAL_INDEX_ONE);
        // A 1-atom withdrawal touches the account: it applies the loss, then leaves `expected − 1`.
        env.act(actor, env.flow(actor).withdraw(1)).await.expect("withdraw touches");
        let after = env.margin(actor).await.balances.collateral;
        assert_eq!(after, i64::try_from(expected).unwrap() - 1, "pro rata");
    }
    assert_eq!(env.margin(&bob).await.balances.collateral, 0);
    env.assert_vault_matches_books().await;
}

#[tokio::test]
async fn after_cover_the_account_is_usable_again() {
    let (mut env, alice, keeper) = bankrupt_alice(THOUSAND).await;
    env.act(&keeper, env.keeper_accounts().cover_bankruptcy(keeper.pubkey(), alice.pubkey())).await.expect("cover");
    env.mint_to(alice.token, 50 * USDC).await;
    env.act(&alice, env.flow(&alice).deposit(50 * USDC)).await.expect("deposit again");
    env.act(&alice, env.flow(&alice).trade(ONE)).await.expect("trade again");
    env.assert_vault_matches_books().await;
}

#[tokio::test]
async fn cover_rejections_change_nothing() {
    let (mut env, alice, keeper) = bankrupt_alice(THOUSAND).await;
    let accounts = env.keeper_accounts();
    // A solvent account.
    env.assert_rejected(
        &keeper,
        accounts.cover_bankruptcy(keeper.pubkey(), keeper.pubkey()),
        BackstopError::NotBankrupt,
    )
    .await;
    // Another fund (same mint) than the market's.
    let governance = env.governance.insecure_clone();
    let ix = initialize_insurance_fund(governance.pubkey(), env.payer(), env.mint, 1);
    env.send(&[ix], &[&governance]).await.expect("fund 1");
    let other_fund = pda::insurance_fund(1);
    let wrong = KeeperAccounts { insurance_fund: other_fund, fund_vault: pda::fund_vault(&other_fund), ..accounts };
    env.assert_rejected(&keeper, wrong.cover_bankruptcy(keeper.pubkey(), alice.pubkey()), BackstopError::FundMismatch)
        .await;
    let wrong = KeeperAccounts { fund_vault: pda::fund_vault(&other_fund), ..accounts };
    env.assert_rejected(&keeper, wrong.cover_bankruptcy(keeper.pubkey(), alice.pubkey()), BackstopError::VaultMismatch)
        .await;
    // The fund vault passed as the market vault too: not the market's vault.
    let wrong = KeeperAccounts { vault: pda::fund_vault(&env.fund), ..accounts };
    env.assert_rejected(&keeper, wrong.cover_bankruptcy(keeper.pubkey(), alice.pubkey()), BackstopError::VaultMismatch)
        .await;
    let wrong = KeeperAccounts { vault: alice.token, ..accounts };
    env.assert_rejected(&keeper, wrong.cover_bankruptcy(keeper.pubkey(), alice.pubkey()), BackstopError::VaultMismatch)
        .await;
    env.advance(61).await;
    env.assert_rejected(
        &keeper,
        accounts.cover_bankruptcy(keeper.pubkey(), alice.pubkey()),
        BackstopError::OracleStale,
    )
    .await;
}

#[tokio::test]
async fn two_keepers_covering_the_same_account_in_one_slot_pay_once() {
    let (mut env, alice, keeper) = bankrupt_alice(THOUSAND).await;
    let second = env.trader(0).await;
    let first_ix = env.keeper_accounts().cover_bankruptcy(keeper.pubkey(), alice.pubkey());
    let second_ix = env.keeper_accounts().cover_bankruptcy(second.pubkey(), alice.pubkey());
    // Both in one transaction: the same slot, strictly ordered.
    let (k1, k2) = (keeper.keypair.insecure_clone(), second.keypair.insecure_clone());
    let result = env.send(&[first_ix.clone(), second_ix.clone()], &[&k1, &k2]).await;
    assert_backstop_error!(result, BackstopError::NotBankrupt);
    env.act(&keeper, first_ix).await.expect("first cover");
    env.assert_rejected(&second, second_ix, BackstopError::NotBankrupt).await;
    assert_eq!(env.fund_state().await.deficits_covered, DEFICIT);
}

#[tokio::test]
async fn what_even_every_positive_balance_cannot_bear_is_recorded_uncovered() {
    // +45 % and no idle money: Bob's deficit exceeds the pool's equity and every positive balance (Alice's).
    let (mut env, alice, bob, _, keeper) = thin_pool_gap(0, usd(145)).await;
    let deficit = env.margin(&bob).await.balances.collateral.unsigned_abs();
    let market = env.market_state().await;
    let equity = market.books.pool_value_for_withdrawal(&env.oracle_price()).unwrap();
    let shortfall = u64::try_from(-equity).unwrap().min(deficit);
    let positive = market.books.total_positive_collateral;
    assert!(shortfall > positive, "more to socialize than any balance holds");

    let ix = env.keeper_accounts().cover_bankruptcy(keeper.pubkey(), bob.pubkey());
    let events = env.simulate_events(&keeper, ix.clone()).await;
    env.act(&keeper, ix).await.expect("cover");
    assert_eq!(
        steps(&events),
        vec![
            (WaterfallLayer::LpClawback, deficit - shortfall, shortfall),
            (WaterfallLayer::SocializedLoss, positive, shortfall - positive),
            (WaterfallLayer::Uncovered, shortfall - positive, 0),
        ]
    );
    let market = env.market_state().await;
    assert_eq!((market.cumulative_socialized, market.cumulative_uncovered), (positive, shortfall - positive));
    assert_eq!(market.books.pending_deficit, 0);
    // Alice's balance is taken entirely by the socialized loss when next touched; the rest is recorded, not paid.
    env.act(&alice, env.flow(&alice).trade(-9 * ONE)).await.expect("alice closes");
    env.assert_vault_matches_books().await;
}

#[tokio::test]
async fn anyone_can_touch_a_dormant_account_into_its_socialized_loss_once() {
    let (mut env, alice, bob, carol, keeper) = thin_pool_gap(THOUSAND, usd(120)).await;
    let carol = carol.expect("carol");
    env.act(&keeper, env.keeper_accounts().cover_bankruptcy(keeper.pubkey(), bob.pubkey())).await.expect("cover");
    let socialized = env.market_state().await.cumulative_socialized;
    let unapplied = env.market_book().await.book.social_unapplied(socialized);
    assert!(unapplied > 0, "the book counts the whole loss until it is applied");

    // Carol, flat and dormant: her pro-rata share, applied by the keeper, exactly as her own next touch would.
    for actor in [&carol, &alice] {
        let market = env.market_state().await;
        let before = env.margin(actor).await.balances;
        let owed = backstop_math::ledger::pending_social_loss(&before, &market.books).unwrap();
        let expected = backstop_math::ledger::touch_dormant(&before, &market.books).unwrap().expect("owes").trader;
        assert!(owed > 0);
        // Only the loss: the rest of the account as it was.
        assert_eq!(expected.collateral, before.collateral - i64::try_from(owed).unwrap());
        let (index, epoch) = (expected.social_loss_index, expected.social_loss_epoch);
        assert_eq!(
            expected,
            TraderBalances {
                collateral: expected.collateral,
                social_loss_index: index,
                social_loss_epoch: epoch,
                ..before
            }
        );
        let unapplied_before = env.market_book().await.book.social_unapplied(socialized);
        let touch = env.keeper_accounts().touch_account(pda::margin_account(&env.market, &actor.pubkey()));
        // Permissionless: the payer alone signs.
        let events = env.simulate_events_by(&[], touch.clone()).await;
        env.send(std::slice::from_ref(&touch), &[]).await.expect("touch");
        let record: AccountTouched = decode_event(&events).expect("AccountTouched");
        assert_eq!(
            (record.owner, record.social_loss_applied, record.collateral_before, record.collateral_after),
            (actor.pubkey(), owed, before.collateral, expected.collateral)
        );
        assert_eq!(env.margin(actor).await.balances, expected);
        // The book stops counting it, less the atoms it keeps for the index's rounding.
        let unapplied_after = env.market_book().await.book.social_unapplied(socialized);
        assert_eq!(unapplied_after, unapplied_before - (owed - backstop_math::book::SOCIAL_ROUNDING));
        // Once: a second touch has nothing to apply.
        let watched = env.touched_by(actor);
        env.assert_rejected_by(&watched, &[], touch, BackstopError::NoChange).await;
    }
    env.assert_vault_matches_books().await;
    env.assert_book_agrees(&[&alice, &bob, &carol, &keeper]).await;
}

#[tokio::test]
async fn a_touch_never_pays_a_claim_so_it_cannot_widen_a_covers_base() {
    // The review's M-1: a touch that paid a dormant claim into collateral just before a socializing cover widened
    // the base the cover spreads the loss over, moving loss onto the claim's holder. A touch applies only loss.
    let (mut env, alice, bob, carol, keeper) = thin_pool_gap(THOUSAND, usd(120)).await;
    let carol = carol.expect("carol");
    // Alice takes her profit off the thin pool: what it cannot pay stays her claim.
    env.act(&alice, env.flow(&alice).trade(-9 * ONE)).await.expect("alice closes");
    let claim = env.margin(&alice).await.balances.unsettled_pnl;
    assert!(claim > 0, "the pool owes Alice a claim");
    let market = env.market;
    let touch = |owner: &Actor| env.keeper_accounts().touch_account(pda::margin_account(&market, &owner.pubkey()));
    let (alice_touch, carol_touch) = (touch(&alice), touch(&carol));
    // Nothing socialized yet: nothing to apply, and her claim is not paid by anyone's touch.
    let watched = env.touched_by(&alice);
    env.assert_rejected_by(&watched, &[], alice_touch.clone(), BackstopError::NoChange).await;
    let base = env.market_state().await.books.total_positive_collateral;
    env.act(&keeper, env.keeper_accounts().cover_bankruptcy(keeper.pubkey(), bob.pubkey())).await.expect("cover");
    let socialized = env.market_state().await.cumulative_socialized;
    assert!(socialized > 0 && socialized <= base);
    // After the cover, the touch applies her share of the loss and leaves the claim a claim.
    env.send(std::slice::from_ref(&alice_touch), &[]).await.expect("touch alice");
    env.send(std::slice::from_ref(&carol_touch), &[]).await.expect("touch carol");
    assert_eq!(env.margin(&alice).await.balances.unsettled_pnl, claim);
    env.assert_vault_matches_books().await;
}

#[tokio::test]
async fn touch_rejections_change_nothing() {
    let (mut env, alice, keeper) = bankrupt_alice(THOUSAND).await;
    let accounts = env.keeper_accounts();
    let market = env.market;
    let touch = |owner: &Actor| accounts.touch_account(pda::margin_account(&market, &owner.pubkey()));
    // Awaiting its cover, which settles it.
    let watched = env.touched_by(&alice);
    env.assert_rejected_by(&watched, &[], touch(&alice), BackstopError::AccountBankrupt).await;
    // Nothing socialized, no funding: nothing to apply.
    let watched = env.touched_by(&keeper);
    env.assert_rejected_by(&watched, &[], touch(&keeper), BackstopError::NoChange).await;
}
