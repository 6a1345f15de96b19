//! The smaller money-path findings of the security review, each replayed: a drained fund that could not be
//! restaked, empty sweeps that kept revenue from vesting, treasury fees with no way out, fund health blind to
//! pending and uncovered deficits, and a far-future print that would have blocked every honest one.

use backstop::error::BackstopError;
use backstop::state::Exchange;
use backstop_tests::*;

const THOUSAND: u64 = 1_000 * USDC;

/// Alice, 9x long, gapped to $85 and liquidated: $36.080090 pending, against a fund of `fund`.
async fn pending_deficit(fund: u64) -> (Env, Actor, Actor) {
    let mut env = Env::new().await;
    env.seed_fund(fund).await;
    let _lp = env.lp(100 * THOUSAND).await;
    let (alice, keeper) = env.alice_gapped_to_85().await;
    env.act(&keeper, env.keeper_accounts().liquidate(keeper.pubkey(), alice.pubkey())).await.expect("liquidate");
    (env, alice, keeper)
}

/// Replay: a cover took the whole fund, leaving its shares on nothing; a $0.01 stake then minted 1e19 shares and
/// a $100k stake failed with `Overflow`. Now the drained epoch's shares are void and the next staker buys at the
/// first staker's price.
#[tokio::test]
async fn a_drained_fund_can_be_recapitalised() {
    let (mut env, alice, keeper) = pending_deficit(10 * USDC).await;
    env.act(&keeper, env.keeper_accounts().cover_bankruptcy(keeper.pubkey(), alice.pubkey())).await.expect("cover");
    let fund = env.fund_state().await;
    assert_eq!((fund.book.balance, fund.book.total_shares, fund.book.share_epoch), (0, 0, 1));
    let cent = env.staker(10_000).await;
    env.act(&cent, env.staking(&cent).stake(10_000)).await.expect("a cent");
    assert_eq!(env.stake_position(&cent).await.book.shares, 10_000_000, "the first staker's price again");
    let whale = env.staker(100 * THOUSAND).await;
    env.act(&whale, env.staking(&whale).stake(100 * THOUSAND)).await.expect("$100k");
    assert_eq!(env.fund_state().await.book.balance, 100 * THOUSAND + 10_000);
    env.assert_fund_vault_matches_books().await;
}

/// Replay: hourly empty sweeps re-spread unvested revenue and left $256.75 of $700 unvested after its 7 days.
/// An empty sweep now changes nothing.
#[tokio::test]
async fn empty_sweeps_do_not_hold_revenue_back() {
    let mut env = Env::new().await;
    let staker = env.seed_fund(THOUSAND).await;
    let _lp = env.lp(100 * THOUSAND).await;
    let trader = env.trader(100 * THOUSAND).await;
    env.act(&trader, env.flow(&trader).trade(100 * ONE)).await.expect("trade");
    env.send(&[env.keeper_accounts().settle_fund_revenue()], &[]).await.expect("sweep");
    let fund = env.fund_state().await;
    let (revenue, vesting_end) = (fund.book.vesting_amount, fund.book.vesting_end);
    assert!(revenue > 0);
    for _ in 0..24 {
        env.advance(3_600).await;
        env.send(&[env.keeper_accounts().settle_fund_revenue()], &[]).await.expect("empty sweep");
    }
    let fund = env.fund_state().await;
    assert_eq!(fund.book.vesting_end, vesting_end, "the schedule is the first sweep's");
    assert_eq!(fund.book.unvested(vesting_end), Ok(0));
    let _ = staker;
}

/// The treasury's fee share had no way out of the market vault. `sweep_treasury_fees` pays it, permissionlessly,
/// and only to a token account of the exchange's treasury.
#[tokio::test]
async fn treasury_fees_are_swept_to_the_treasury_only() {
    let mut env = Env::new().await;
    let _lp = env.lp(100 * THOUSAND).await;
    let trader = env.trader(10 * THOUSAND).await;
    env.act(&trader, env.flow(&trader).trade(10 * ONE)).await.expect("trade");
    let accrued = env.market_state().await.books.treasury_fee_accrued;
    assert_eq!(accrued, 100_010, "10 % of the 10 bps fee on $1,000.10");
    let exchange: Exchange = env.load(pda::exchange()).await;
    let treasury_token = env.create_token_account(env.mint, exchange.treasury).await;
    let stranger = env.trader(0).await;
    let keeper = env.keeper_accounts();
    let watched = [env.market, env.vault, stranger.token];
    env.assert_rejected_by(
        &watched,
        &[],
        keeper.sweep_treasury_fees(stranger.token),
        BackstopError::NotTreasuryAccount,
    )
    .await;
    let elsewhere = backstop_tests::builders::KeeperAccounts { vault: stranger.token, ..keeper };
    env.assert_rejected_by(&watched, &[], elsewhere.sweep_treasury_fees(treasury_token), BackstopError::VaultMismatch)
        .await;
    env.send(&[keeper.sweep_treasury_fees(treasury_token)], &[]).await.expect("anyone sweeps");
    assert_eq!(env.token_balance(treasury_token).await, accrued);
    assert_eq!(env.market_state().await.books.treasury_fee_accrued, 0);
    let watched = [env.market, env.vault, treasury_token];
    env.assert_rejected_by(&watched, &[], keeper.sweep_treasury_fees(treasury_token), BackstopError::InvalidAmount)
        .await;
    env.assert_vault_matches_books().await;
}

/// Fund health shows what the fund is about to be asked for and the bad debt nobody could absorb.
#[tokio::test]
async fn fund_health_shows_pending_and_uncovered_deficits() {
    let (mut env, _alice, _keeper) = pending_deficit(THOUSAND).await;
    let report = env.simulate_events_by(&[], env.keeper_accounts().fund_health(&[env.market])).await;
    let event = decode_event::<backstop::events::FundHealthReport>(&report).expect("report");
    assert_eq!((event.health.pending_deficits, event.health.uncovered), (36_080_090, 0));
    assert_eq!(event.markets[0].pending_deficit, 36_080_090);
    // The bankrupt account is flat: its deficit is latent, awaiting cover (and nothing else is open).
    assert_eq!(event.markets[0].latent_deficit, 36_080_090);
    assert_eq!(event.health.latent_deficit, 36_080_090);
}

/// A print far ahead of the clock would, once used, have made every honest print `OracleOutOfOrder` (liquidations
/// included). Beyond a few seconds of skew it is refused.
#[tokio::test]
async fn a_far_future_print_is_refused() {
    let mut env = Env::new().await;
    let _lp = env.lp(100 * THOUSAND).await;
    let alice = env.trader(THOUSAND).await;
    let now = env.now;
    env.price.set(usd(100), 1_000_000, now + 3_600);
    env.write_oracle().await;
    env.assert_rejected(&alice, env.flow(&alice).trade(ONE), BackstopError::OracleFromFuture).await;
    env.price.set(usd(100), 1_000_000, now + 10);
    env.write_oracle().await;
    env.act(&alice, env.flow(&alice).trade(ONE)).await.expect("ten seconds of skew are tolerated");
}
