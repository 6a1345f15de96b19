//! F2 of the security review (High, availability): `cancel_unstake` never gave back the room its request took in
//! the redemption queue, so free request/cancel pairs froze every other staker's exit. Replayed with its numbers.

use backstop_math::staking::FundParams;
use backstop_tests::builders::fund_governance;
use backstop_tests::*;
use solana_signer::Signer;

const DAY: i64 = 86_400;

/// A 10 % staker, a gate of 20 % a day, 100 request/cancel pairs (15 to a transaction: with each instruction's
/// event CPI, as many as fit in the 64-entry instruction trace). Before the
/// fix the other staker's first payment came at day 50; now it comes in the first window after its cooldown.
#[tokio::test]
async fn request_cancel_storms_do_not_delay_another_stakers_exit() {
    let mut env = Env::new().await;
    let gated = FundParams { gate_bps: 2_000, gate_window_secs: DAY as u32, ..default_fund_params() };
    let governance = env.governance.insecure_clone();
    let ix = fund_governance::update_fund_params(governance.pubkey(), env.fund, gated);
    env.send(&[ix], &[&governance]).await.expect("tighter gate: queued");
    env.advance(TIMELOCK).await;
    env.send(&[fund_governance::apply_fund_params(env.fund, env.payer())], &[]).await.expect("applied");
    env.republish().await;
    let attacker = env.seed_fund(100 * USDC).await;
    let victim = env.seed_fund(900 * USDC).await;

    let flows = env.staking(&attacker);
    let shares = env.stake_position(&attacker).await.book.shares;
    let queue_before = env.fund_state().await.book.queue_requested;
    let mut pairs = 0;
    while pairs < 100 {
        let batch = (100 - pairs).min(15);
        let mut instructions = Vec::new();
        for _ in 0..batch {
            instructions.push(flows.request_unstake(shares));
            instructions.push(flows.cancel_unstake());
        }
        let signer = attacker.keypair.insecure_clone();
        env.send(&instructions, &[&signer]).await.expect("a batch of request/cancel pairs");
        pairs += batch;
    }
    // Each request was the queue's last, so its cancel took it out again: the storm left the queue as it found it
    // (and moved no frontier, so no later request can jump the queue either).
    assert_eq!(env.fund_state().await.book.queue_requested, queue_before);

    let victim_shares = env.stake_position(&victim).await.book.shares;
    env.act(&victim, env.staking(&victim).request_unstake(victim_shares)).await.expect("request");
    env.advance(i64::from(gated.cooldown_secs)).await;
    env.act(&victim, env.staking(&victim).unstake(&[env.market])).await.expect("paid in the first window");
    assert_eq!(env.token_balance(victim.token).await, 200 * USDC, "one window's budget: 20 % of $1,000");
    env.assert_fund_vault_matches_books().await;
}

/// A request keeps the cooldown it was made under: a longer one adopted later does not hold it back.
#[tokio::test]
async fn a_pending_request_keeps_its_cooldown_when_the_cooldown_grows() {
    let mut env = Env::new().await;
    let staker = env.seed_fund(100 * USDC).await;
    let shares = env.stake_position(&staker).await.book.shares;
    env.act(&staker, env.staking(&staker).request_unstake(shares)).await.expect("request");
    let longer = FundParams { cooldown_secs: 30 * DAY as u32, ..default_fund_params() };
    let governance = env.governance.insecure_clone();
    let ix = fund_governance::update_fund_params(governance.pubkey(), env.fund, longer);
    env.send(&[ix], &[&governance]).await.expect("a longer cooldown applies at once");
    env.advance(i64::from(default_fund_params().cooldown_secs)).await;
    env.act(&staker, env.staking(&staker).unstake(&[env.market])).await.expect("the old cooldown");
    assert_eq!(env.token_balance(staker.token).await, 100 * USDC);
}
