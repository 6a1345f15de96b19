//! A scripted SOL-PERP session on an in-process bank: an LP funds the pool, two traders take opposite sides,
//! the price moves, the winner closes and withdraws, and every balance is printed and reconciled.

use backstop_tests::{usd, Env, ONE, USDC};

fn dollars(atoms: i128) -> String {
    let sign = if atoms < 0 { "-" } else { "" };
    let abs = atoms.unsigned_abs();
    format!("{sign}${}.{:06}", abs / 1_000_000, abs % 1_000_000)
}

fn units(base: i64) -> String {
    let sign = if base < 0 { "-" } else { "" };
    let abs = base.unsigned_abs();
    format!("{sign}{}.{:03}", abs / 1_000_000_000, abs % 1_000_000_000 / 1_000_000)
}

async fn show(env: &mut Env, title: &str) {
    let market = env.market_state().await;
    let books = market.books;
    let vault = env.token_balance(env.vault).await;
    println!("  -- {title}");
    println!(
        "     oracle ${}.{:02}   open interest long {} / short {}",
        market.last_oracle_price / 1_000_000,
        market.last_oracle_price % 1_000_000 / 10_000,
        units(i64::try_from(books.open_interest_long).unwrap_or(i64::MAX)),
        units(i64::try_from(books.open_interest_short).unwrap_or(i64::MAX)),
    );
    println!(
        "     LP pool {}   fund fees {}   treasury fees {}   vault {} (owed {})",
        dollars(books.pool_balance.into()),
        dollars(books.fund_fee_accrued.into()),
        dollars(books.treasury_fee_accrued.into()),
        dollars(vault.into()),
        dollars(books.vault_liability().map(i128::from).unwrap_or(-1)),
    );
}

async fn show_trader(env: &mut Env, name: &str, trader: &backstop_tests::Actor) {
    let account = env.margin(trader).await;
    let wallet = env.token_balance(trader.token).await;
    let b = account.balances;
    println!(
        "     {name:<5} position {:>8} SOL  entry {}  collateral {}  realized {}  fees {}  wallet {}",
        units(b.position.base),
        dollars(b.position.entry_notional.into()),
        dollars(b.collateral.into()),
        dollars(account.realized_pnl.into()),
        dollars(account.fees_paid.into()),
        dollars(wallet.into()),
    );
}

pub async fn run() {
    println!("Backstop demo: the real program in an in-process bank (solana-program-test, SPL Token, Pyth layout)");
    let mut env = Env::new().await;
    println!("1. Exchange, insurance fund and SOL-PERP listed at $100.00 ± $0.01 (10x max, 10 bps taker fee)");

    let lp = env.lp(100_000 * USDC).await;
    println!("2. An LP deposits $100,000 into the pool: {} shares", env.lp_position(&lp).await.shares);

    let alice = env.trader(1_000 * USDC).await;
    let bob = env.trader(1_000 * USDC).await;
    println!("3. Alice and Bob each deposit $1,000");
    env.act(&alice, env.flow(&alice).trade(20 * ONE)).await.expect("alice buys");
    env.act(&bob, env.flow(&bob).trade(-10 * ONE)).await.expect("bob sells");
    println!("4. Alice buys 20 SOL at the ask; Bob sells 10 SOL at the bid; the pool holds the other side");
    show(&mut env, "after opening").await;
    show_trader(&mut env, "alice", &alice).await;
    show_trader(&mut env, "bob", &bob).await;

    env.advance(60).await;
    env.set_price(usd(112), 1_500_000).await;
    println!("5. One minute later SOL trades at $112.00 ± $0.015");
    env.act(&alice, env.flow(&alice).trade(-20 * ONE)).await.expect("alice closes");
    let cash = u64::try_from(env.margin(&alice).await.balances.collateral).unwrap_or(0);
    env.act(&alice, env.flow(&alice).withdraw(cash)).await.expect("alice withdraws");
    println!(
        "6. Alice closes at the bid, realising her profit against the pool, and withdraws {}",
        dollars(cash.into())
    );
    show(&mut env, "after Alice leaves").await;
    show_trader(&mut env, "alice", &alice).await;
    show_trader(&mut env, "bob", &bob).await;

    let vault = env.token_balance(env.vault).await;
    let owed = env.market_state().await.books.vault_liability().unwrap_or(u64::MAX);
    let verdict = if vault == owed { "balanced to the atom" } else { "MISMATCH" };
    println!("7. Conservation: vault {} = owed {}: {verdict}", dollars(vault.into()), dollars(owed.into()));
    if vault != owed {
        std::process::exit(1);
    }
}
