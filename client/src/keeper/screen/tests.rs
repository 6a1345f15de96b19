use super::*;
use crate::keeper::round_plan;
use backstop_math::constants::{BASE_PRECISION as SOL, BASE_PRECISION_U64, PRICE_PRECISION, QUOTE_PRECISION as USD};
use backstop_math::position::{value_floor, Position};
use proptest::prelude::*;

fn account(collateral: i64, base: i64, entry_price: i64) -> MarginAccount {
    let mut account: MarginAccount = bytemuck::Zeroable::zeroed();
    let entry_notional = i64::try_from(value_floor(base, entry_price).unwrap()).unwrap();
    account.balances.collateral = collateral;
    account.balances.position = Position { base, entry_notional };
    account
}

fn at(dollars: i64, conf_cents: i64) -> OraclePrice {
    OraclePrice { price: dollars * PRICE_PRECISION, conf: conf_cents * PRICE_PRECISION / 100, publish_time: 0 }
}

/// A market whose funding moves fast enough to matter within minutes: 1 % an hour at full skew.
fn funded_params() -> MarketParams {
    MarketParams {
        funding_coefficient_ppm: 20_000,
        funding_cap_ppm: 10_000,
        funding_depth: BASE_PRECISION_U64,
        ..crate::presets::production()
    }
}

fn books(long: u64, short: u64, since: i64) -> MarketLedger {
    MarketLedger {
        open_interest_long: long,
        open_interest_short: short,
        last_funding_time: since,
        ..Default::default()
    }
}

fn keyed(accounts: &[MarginAccount]) -> Vec<(Pubkey, &MarginAccount)> {
    accounts.iter().enumerate().map(|(i, account)| (Pubkey::new_from_array([i as u8 + 1; 32]), account)).collect()
}

#[test]
fn a_quiet_round_assesses_nothing_and_a_move_only_the_accounts_it_can_reach() {
    let params = crate::presets::production();
    let books = books(0, 0, 1);
    // 10 SOL long from $100 on $60 (cushion ~$10 at $100: liquidatable near $98.9), the same with $400 (far),
    // 10 SOL short with $400, and a flat account.
    let accounts = [
        account(60 * USD, 10 * SOL, 100 * USD),
        account(400 * USD, 10 * SOL, 100 * USD),
        account(400 * USD, -10 * SOL, 100 * USD),
        account(5 * USD, 0, 0),
    ];
    let scanned = keyed(&accounts);
    let mut screen = HealthScreen::new();
    let first = screen.plan(&scanned, &books, &params, &at(100, 0), 10);
    assert_eq!(first, ScreenedRound { plan: vec![], assessed: 4 });
    assert_eq!(screen.len(), 4);
    // Nothing moved: nothing to redo.
    assert_eq!(screen.plan(&scanned, &books, &params, &at(100, 0), 20).assessed, 0);
    // 50 cents down moves no cushion by more than 10 SOL × $0.50 × 1.05 = $5.25: nothing to redo.
    let cents = |price: i64| OraclePrice { price, conf: 0, publish_time: 0 };
    assert_eq!(screen.plan(&scanned, &books, &params, &cents(99_500_000), 30).assessed, 0);
    // $1 down could take $10.50: only the thin long is redone (still healthy, $0.50 above maintenance).
    let moved = screen.plan(&scanned, &books, &params, &at(99, 0), 30);
    assert_eq!(moved, ScreenedRound { plan: vec![], assessed: 1 });
    // $2 down: the thin long is liquidatable; the plan is round_plan's.
    let all: Vec<&MarginAccount> = accounts.iter().collect();
    let crashed = screen.plan(&scanned, &books, &params, &at(98, 0), 40);
    assert_eq!(crashed.plan, round_plan(&all, &books, &params, &at(98, 0), 40));
    assert_eq!(crashed.plan, [(0, Verdict::Liquidate)]);
    assert_eq!(screen.len(), 3, "an account to act on is never screened");
}

#[test]
fn the_account_s_own_change_or_a_change_of_rules_is_assessed_again() {
    let params = crate::presets::production();
    let books = books(0, 0, 1);
    let mut accounts = [account(400 * USD, 10 * SOL, 100 * USD), account(400 * USD, -10 * SOL, 100 * USD)];
    let mut screen = HealthScreen::new();
    screen.plan(&keyed(&accounts), &books, &params, &at(100, 0), 10);
    accounts[1].balances.collateral -= USD;
    assert_eq!(screen.plan(&keyed(&accounts), &books, &params, &at(100, 0), 10).assessed, 1);
    let socialized = MarketLedger { social_loss_index: SOCIAL_ONE / 2, ..books };
    assert_eq!(screen.plan(&keyed(&accounts), &socialized, &params, &at(100, 0), 10).assessed, 2);
    let tightened = MarketParams { maintenance_margin_bps: params.maintenance_margin_bps + 1, ..params };
    assert_eq!(screen.plan(&keyed(&accounts), &socialized, &tightened, &at(100, 0), 10).assessed, 2);
    // An account no longer scanned is forgotten.
    assert_eq!(screen.plan(&keyed(&accounts[..1]), &socialized, &tightened, &at(100, 0), 10).assessed, 0);
    assert_eq!(screen.len(), 1);
}

#[test]
fn funding_alone_brings_a_thin_account_back_to_be_assessed() {
    let params = funded_params();
    // All open interest long: longs pay the cap, 1 % of the price an hour.
    let books = books(10 * BASE_PRECISION_U64, 0, 1);
    let accounts = [account(60 * USD, 10 * SOL, 100 * USD)];
    let mut screen = HealthScreen::new();
    screen.plan(&keyed(&accounts), &books, &params, &at(100, 0), 1);
    assert_eq!(screen.plan(&keyed(&accounts), &books, &params, &at(100, 0), 2).assessed, 0);
    // An hour of funding is $10 on 10 SOL at $100: the whole cushion.
    let later = screen.plan(&keyed(&accounts), &books, &params, &at(100, 0), 3_601);
    assert_eq!(later.assessed, 1);
    let all: Vec<&MarginAccount> = accounts.iter().collect();
    assert_eq!(later.plan, round_plan(&all, &books, &params, &at(100, 0), 3_601));
}

const SOCIAL_ONE: u64 = backstop_math::ledger::SOCIAL_INDEX_ONE;

/// One round of a random market: the price, its confidence, time passing, trading elsewhere moving the skew (and
/// so the funding rate), a poke accruing funding at some other print, and one account's own balance changing.
#[derive(Debug, Clone)]
struct Round {
    move_bps: i64,
    conf_bps: i64,
    elapsed: i64,
    long_oi: u64,
    short_oi: u64,
    poke_at_bps: Option<i64>,
    deposit: Option<(usize, i64)>,
}

fn round() -> impl Strategy<Value = Round> {
    (
        -300i64..300,
        0i64..50,
        0i64..1_800,
        0u64..100,
        0u64..100,
        proptest::option::of(-500i64..500),
        proptest::option::of((0usize..8, -20i64..20)),
    )
        .prop_map(|(move_bps, conf_bps, elapsed, long, short, poke_at_bps, deposit)| Round {
            move_bps,
            conf_bps,
            elapsed,
            long_oi: long * BASE_PRECISION_U64,
            short_oi: short * BASE_PRECISION_U64,
            poke_at_bps,
            deposit,
        })
}

/// Accounts near their maintenance line: collateral between a half and three times what maintenance needs at $100.
fn trader() -> impl Strategy<Value = TraderBalances> {
    (-50i64..50, 80i64..120, 50u32..300, -2_000_000i64..2_000_000).prop_map(|(size, entry, need_percent, index)| {
        let base = size * SOL / 2;
        // Maintenance at $100: 5 % of $100 a unit.
        let need = base.abs() / SOL * 5 * USD;
        let mut traded = account(need * i64::from(need_percent) / 100 + USD, base, entry * USD).balances;
        traded.funding_index = index;
        traded
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    /// The screen's plan is `round_plan`'s, round after round: it never skips an account the program would act on.
    #[test]
    fn the_screened_plan_is_always_the_full_plan(
        traders in proptest::collection::vec(trader(), 1..8),
        rounds in proptest::collection::vec(round(), 1..16),
    ) {
        let mut accounts: Vec<MarginAccount> = traders
            .into_iter()
            .map(|balances| {
                let mut account: MarginAccount = bytemuck::Zeroable::zeroed();
                account.balances = balances;
                account
            })
            .collect();
        let params = funded_params();
        let (mut price, mut now) = (100 * PRICE_PRECISION, 1_000i64);
        let mut market = books(0, 0, now);
        let mut screen = HealthScreen::new();
        for round in rounds {
            price = (price + price * round.move_bps / 10_000).max(PRICE_PRECISION);
            now += round.elapsed;
            market.open_interest_long = round.long_oi;
            market.open_interest_short = round.short_oi;
            if let Some(bps) = round.poke_at_bps {
                // A poke at another print accrued funding on chain: the index moved by a rate and price of its own.
                let poked = (price + price * bps / 10_000).max(PRICE_PRECISION);
                market.accrue_funding(now, poked, &params).unwrap();
            }
            if let Some((which, dollars)) = round.deposit {
                let index = which % accounts.len();
                accounts[index].balances.collateral += dollars * USD;
            }
            let oracle = OraclePrice { price, conf: price * round.conf_bps / 10_000, publish_time: now };
            let all: Vec<&MarginAccount> = accounts.iter().collect();
            let screened = screen.plan(&keyed(&accounts), &market, &params, &oracle, now);
            prop_assert_eq!(screened.plan, round_plan(&all, &market, &params, &oracle, now));
        }
    }
}
