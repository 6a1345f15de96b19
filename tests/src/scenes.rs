//! Prepared markets shared by the native suite and the laboratory's keeper tests.

use crate::{Actor, Env, ONE, USDC};

/// A thin $20 pool between Alice (9 long) and Bob (9 short), $100 each, Carol idle with `idle` (none if 0), and a
/// keeper; the price then moves to `price` and Bob, wiped out, is liquidated into bankruptcy.
pub async fn thin_pool_gap(idle: u64, price: i64) -> (Env, Actor, Actor, Option<Actor>, Actor) {
    let mut env = Env::new().await;
    let _lp = env.lp(20 * USDC).await;
    let alice = env.trader(100 * USDC).await;
    let bob = env.trader(100 * USDC).await;
    let carol = if idle > 0 { Some(env.trader(idle).await) } else { None };
    let keeper = env.trader(0).await;
    // Opposite sides one unit at a time: the pool's net position never exceeds what its $20 margins.
    for _ in 0..9 {
        env.act(&alice, env.flow(&alice).trade(ONE)).await.expect("alice long");
        env.act(&bob, env.flow(&bob).trade(-ONE)).await.expect("bob short");
    }
    env.advance(5).await;
    env.set_price(price, 1_000_000).await;
    env.act(&keeper, env.keeper_accounts().liquidate(keeper.pubkey(), bob.pubkey())).await.expect("liquidate bob");
    (env, alice, bob, carol, keeper)
}
