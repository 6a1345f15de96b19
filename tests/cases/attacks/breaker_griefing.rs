//! Breaker griefing on a pull market: anyone may post any verified update newer than the stored one, so a griefer
//! could pick a momentarily wide-confidence print from the last minute, post it, and trip the breaker (reduce-only
//! for the cooldown: half an hour of no new positions) with one transaction, and re-read it to keep it tripped.
//! A first fix (wide prints spanning 10 s) fell to two cherry-picked wide prints 12 s apart. The confidence
//! trigger now reads the publishers' average confidence (Pyth's EMA of it), which one print barely moves.

use backstop::oracle::PYTH_RECEIVER_PROGRAM_ID;
use backstop_tests::builders::governance as gov;
use backstop_tests::pyth::PULL_SOL_USD;
use backstop_tests::*;

const THOUSAND: u64 = 1_000 * USDC;

#[tokio::test]
async fn one_wide_print_posted_and_re_read_cannot_trip_the_breaker() {
    let mut params = default_params();
    params.breaker_conf_bps = 50; // 0.5 %
    let mut env = Env::pull_with_params(PULL_SOL_USD, PYTH_RECEIVER_PROGRAM_ID, 0, params).await;
    let _lp = env.lp(100 * THOUSAND).await;
    let alice = env.trader(THOUSAND).await;
    // The griefer posts momentary wide prints (± $0.60, 0.6 %) 12 s apart and pokes the breaker with each; the
    // publishers' average confidence stays at ± $0.01.
    for _ in 0..3 {
        let now = env.now;
        env.pull.as_mut().expect("pull").set(usd(100), 60_000_000, now).set_ema_conf(1_000_000);
        env.write_oracle().await;
        env.send(&[gov::refresh_market(env.market, env.oracle, env.fund)], &[]).await.expect("poke");
        env.advance(12).await;
    }
    assert_eq!(env.market_state().await.breaker.tripped, 0);
    env.set_price(usd(100), 1_000_000).await;
    env.act(&alice, env.flow(&alice).trade(ONE)).await.expect("trading goes on");
}
