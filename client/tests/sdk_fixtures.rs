//! The TypeScript SDK's health and liquidation-price math (sdk/ts/src/health.ts) is checked against the core on
//! shared fixtures: this test writes every case's inputs and the core's answers to sdk/ts/test/fixtures/health.json
//! and fails when the committed file differs (`UPDATE_DOCS=1` rewrites it); the SDK's tests compute each case and
//! compare to the atom. Integers are written as strings: JSON numbers lose precision past 2⁵³ in JavaScript.
//! Each case also carries a market whose socialized loss and funding moved since the account's last touch, and the
//! account as margin will see it after that touch (`ledger::settled_for_margin`). Cases the core refuses are kept,
//! with the refusal by name. The production preset's parameters are written beside them (fixtures/presets.json), which the SDK's tests list
//! a market with.

mod common;

use backstop_math::constants::{BASE_PRECISION, PRICE_PRECISION, QUOTE_PRECISION};
use backstop_math::error::MathResult;
use backstop_math::governance::RULES;
use backstop_math::ledger::{
    projected_trade, settled_for_margin, touch, trade, MarketLedger, TradeControls, SOCIAL_INDEX_ONE,
};
use backstop_math::margin::TraderBalances;
use backstop_math::oracle::OraclePrice;
use backstop_math::params::MarketParams;
use backstop_math::position::Position;
use serde_json::{json, Value};

const FIXTURE: &str = "sdk/ts/test/fixtures/health.json";
const PRESETS: &str = "sdk/ts/test/fixtures/presets.json";
const RANDOM_CASES: usize = 240;

/// splitmix64: the same cases on every machine, in integers only (no platform's `pow` in the way).
struct Cases(u64);

impl Cases {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// In `low..high`, every order of magnitude as likely: a power of ten, then a uniform value within it.
    fn magnitude(&mut self, low: u64, high: u64) -> u64 {
        let (low, high) = (low.max(1), high.max(2));
        let decades = high.ilog10() - low.ilog10() + 1;
        let floor = 10u64.pow(low.ilog10() + u32::try_from(self.next() % u64::from(decades)).expect("few decades"));
        let (from, to) = (floor.max(low), floor.saturating_mul(10).min(high));
        from + self.next() % (to - from).max(1)
    }

    fn signed(&mut self, low: u64, high: u64) -> i64 {
        let magnitude = i64::try_from(self.magnitude(low, high)).expect("below i64::MAX");
        if self.next().is_multiple_of(2) {
            magnitude
        } else {
            -magnitude
        }
    }

    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound
    }
}

struct Case {
    params: MarketParams,
    balances: TraderBalances,
    market: MarketLedger,
    price: OraclePrice,
    /// A trade to preview: signed base and the taker fee rate, bps.
    trade: (i64, u32),
}

fn balances(base: i64, entry_price: i64, collateral: i64, unsettled: u64) -> TraderBalances {
    let position = match base {
        0 => Position::default(),
        _ => Position::default().apply_fill(base, entry_price).expect("entry in range").position,
    };
    TraderBalances { collateral, position, unsettled_pnl: unsettled, ..Default::default() }
}

/// A market whose socialized-loss index, epoch and funding index have moved since `trader`'s last touch (or not:
/// a third of the cases), with the pool's totals large enough that a full touch and a trade can run on it.
fn market_since(random: &mut Cases, trader: &mut TraderBalances) -> MarketLedger {
    let mut market = MarketLedger {
        pool_balance: random.magnitude(1, 1 << 50),
        total_collateral: 1 << 60,
        total_positive_collateral: 1 << 60,
        total_unsettled_pnl: trader.unsettled_pnl,
        // Both sides open, the account's own position among them (a trade takes it out before adding the new one).
        open_interest_long: (1 << 50) + u64::try_from(trader.position.base.max(0)).expect("long"),
        open_interest_short: (1 << 50) + trader.position.base.min(0).unsigned_abs(),
        ..Default::default()
    };
    if random.below(3) == 0 {
        return market;
    }
    let one = SOCIAL_INDEX_ONE;
    market.social_loss_epoch = random.below(3);
    market.social_loss_index = one - random.magnitude(1, one / 2);
    market.social_loss_carry_index = one - random.magnitude(1, one / 2);
    trader.social_loss_epoch = market.social_loss_epoch.saturating_sub(random.below(3));
    // Within an epoch the index only falls: the account's, from its last touch, is at or above the market's.
    trader.social_loss_index = if trader.social_loss_epoch == market.social_loss_epoch {
        market.social_loss_index + random.below(one - market.social_loss_index + 1)
    } else {
        one - random.magnitude(1, one / 2)
    };
    trader.funding_index = random.signed(1, 1 << 40);
    market.cumulative_funding_index = trader.funding_index + random.signed(1, 1 << 36);
    market
}

fn cases() -> Vec<Case> {
    let production = backstop_client::presets::production();
    let usd = QUOTE_PRECISION;
    let price = |p: i64, conf: i64| OraclePrice { price: p, conf, publish_time: 0 };
    let at_rest = |balances| Case {
        params: production,
        balances,
        market: MarketLedger::default(),
        price: price(0, 0),
        trade: (BASE_PRECISION, 5),
    };
    // By hand: a 10x long on the initial line, the same long after a fall, a short, profit past the cap, flat, the
    // smallest position, and two the core refuses (a size whose notional overflows, and i64::MIN).
    let mut out = vec![
        Case {
            price: price(100 * PRICE_PRECISION, 0),
            ..at_rest(balances(10 * BASE_PRECISION, 100 * PRICE_PRECISION, 100 * usd, 0))
        },
        Case {
            price: price(94 * PRICE_PRECISION, PRICE_PRECISION / 10),
            ..at_rest(balances(10 * BASE_PRECISION, 100 * PRICE_PRECISION, 100 * usd, 0))
        },
        Case {
            price: price(2_100 * PRICE_PRECISION, PRICE_PRECISION),
            ..at_rest(balances(-3 * BASE_PRECISION, 2_000 * PRICE_PRECISION, 700 * usd, 0))
        },
        Case {
            price: price(300 * PRICE_PRECISION, 0),
            ..at_rest(balances(BASE_PRECISION, 100 * PRICE_PRECISION, 10 * usd, 5 * usd.unsigned_abs()))
        },
        Case { price: price(PRICE_PRECISION, 0), ..at_rest(balances(0, PRICE_PRECISION, 42, 0)) },
        Case { price: price(1, 0), ..at_rest(balances(1, 1, 0, 0)) },
        Case { price: price(i64::MAX / 2, 0), ..at_rest(balances(i64::MAX / 2, 1, 0, 0)) },
        Case {
            price: price(PRICE_PRECISION, 0),
            ..at_rest(TraderBalances {
                position: Position { base: i64::MIN, entry_notional: -1 },
                ..Default::default()
            })
        },
        // Flat and bankrupt; equity past i64 (collateral near the top, a profit on top of it); a short no i64 price
        // liquidates (its collateral covers any rise: the doubling runs out of prices); a sale the interval leaves
        // no positive price for (the core refuses it as uncertain).
        Case { price: price(PRICE_PRECISION, 0), ..at_rest(balances(0, PRICE_PRECISION, -5 * usd, 0)) },
        Case {
            price: price(200 * PRICE_PRECISION, 0),
            ..at_rest(balances(BASE_PRECISION, 100 * PRICE_PRECISION, i64::MAX - 10, 0))
        },
        Case { price: price(PRICE_PRECISION, 0), ..at_rest(balances(-1, PRICE_PRECISION, i64::MAX / 2, 0)) },
        Case {
            price: price(100 * PRICE_PRECISION, 100 * PRICE_PRECISION),
            trade: (-BASE_PRECISION, 5),
            ..at_rest(balances(BASE_PRECISION, 100 * PRICE_PRECISION, 100 * usd, 0))
        },
    ];
    let mut random = Cases(0x005E_ED0F_BAC5_7099);
    while out.len() < RANDOM_CASES {
        let mut params = production;
        params.maintenance_margin_bps = u32::try_from(random.magnitude(50, 5_000)).expect("bps");
        params.initial_margin_bps =
            params.maintenance_margin_bps + u32::try_from(random.magnitude(1, 5_000)).expect("bps");
        params.unrealized_profit_cap_bps = u32::try_from(random.below(10_001)).expect("bps");
        params.exec_conf_scale_bps = u32::try_from(random.below(30_001)).expect("bps");
        let entry = i64::try_from(random.magnitude(1, 1_000_000 * PRICE_PRECISION.unsigned_abs())).expect("price");
        let base = random.signed(1, 1_000_000 * BASE_PRECISION.unsigned_abs());
        let now = i64::try_from(random.magnitude(1, 1_000_000 * PRICE_PRECISION.unsigned_abs())).expect("price");
        let conf =
            if random.below(3) == 0 { 0 } else { now / 10_000 * i64::try_from(random.below(300)).expect("small") };
        let collateral = random.signed(1, 100_000_000 * usd.unsigned_abs());
        let unsettled = if random.below(2) == 0 { 0 } else { random.magnitude(1, 1_000_000 * usd.unsigned_abs()) };
        let Ok(fill) = Position::default().apply_fill(base, entry) else { continue };
        let mut balances =
            TraderBalances { collateral, position: fill.position, unsettled_pnl: unsettled, ..Default::default() };
        let market = market_since(&mut random, &mut balances);
        let trade = (
            random.signed(1, 1_000_000 * BASE_PRECISION.unsigned_abs()),
            u32::try_from(random.below(101)).expect("bps"),
        );
        out.push(Case { params, balances, market, price: price(now, conf), trade });
    }
    out
}

/// A result as the fixtures write it: the value, or the core's refusal by name.
fn answer<T>(result: MathResult<T>, value: impl FnOnce(T) -> Value) -> Value {
    match result {
        Ok(ok) => value(ok),
        Err(error) => json!({ "error": format!("{error:?}") }),
    }
}

fn render(cases: &[Case]) -> String {
    let text = |value: i128| Value::String(value.to_string());
    let rows: Vec<Value> = cases
        .iter()
        .map(|case| {
            let (b, p, at, m) = (&case.balances, &case.params, &case.price, &case.market);
            json!({
                "params": {
                    "initialMarginBps": p.initial_margin_bps,
                    "maintenanceMarginBps": p.maintenance_margin_bps,
                    "unrealizedProfitCapBps": p.unrealized_profit_cap_bps,
                    "execConfScaleBps": p.exec_conf_scale_bps,
                },
                "balances": {
                    "collateral": text(b.collateral.into()),
                    "base": text(b.position.base.into()),
                    "entryNotional": text(b.position.entry_notional.into()),
                    "unsettledPnl": text(b.unsettled_pnl.into()),
                    "socialLossIndex": text(b.social_loss_index.into()),
                    "socialLossEpoch": text(b.social_loss_epoch.into()),
                    "fundingIndex": text(b.funding_index.into()),
                },
                "market": {
                    "socialLossIndex": text(m.social_loss_index.into()),
                    "socialLossEpoch": text(m.social_loss_epoch.into()),
                    "socialLossCarryIndex": text(m.social_loss_carry_index.into()),
                    "cumulativeFundingIndex": text(m.cumulative_funding_index.into()),
                },
                "price": { "price": text(at.price.into()), "conf": text(at.conf.into()) },
                "health": answer(b.health(at, p), |health| json!({
                    "maintenanceEquity": text(health.maintenance_equity.into()),
                    "initialEquity": text(health.initial_equity.into()),
                    "maintenanceRequirement": text(health.maintenance_requirement.into()),
                    "initialRequirement": text(health.initial_requirement.into()),
                    "meetsInitial": health.meets_initial(),
                    "meetsMaintenance": health.meets_maintenance(),
                })),
                "liquidatable": answer(b.is_liquidatable(at, p), Value::Bool),
                "liquidationPrice": answer(b.liquidation_price(p, at.conf), |price| price.map_or(Value::Null, |price| text(price.into()))),
                "trade": { "delta": text(case.trade.0.into()), "feeBps": case.trade.1 },
                "projected": answer(projected_trade(b, case.trade.0, at, p, case.trade.1), |after| json!({
                    "collateral": text(after.collateral.into()),
                    "unsettledPnl": text(after.unsettled_pnl.into()),
                    "base": text(after.position.base.into()),
                    "entryNotional": text(after.position.entry_notional.into()),
                })),
                "settled": answer(settled_for_margin(b, m), |settled| json!({
                    "collateral": text(settled.collateral.into()),
                    "unsettledPnl": text(settled.unsettled_pnl.into()),
                    "fundingIndex": text(settled.funding_index.into()),
                    "socialLossIndex": text(settled.social_loss_index.into()),
                    "socialLossEpoch": text(settled.social_loss_epoch.into()),
                })),
            })
        })
        .collect();
    serde_json::to_string_pretty(&rows).expect("plain values") + "\n"
}

fn check(relative: &str, generated: &str) {
    common::check_generated("sdk_fixtures", relative, generated);
}

#[test]
fn the_sdk_health_fixtures_are_the_cores_answers() {
    check(FIXTURE, &render(&cases()));
}

#[test]
fn the_sdk_presets_are_the_clients() {
    let production = backstop_client::presets::production();
    let params: serde_json::Map<String, Value> =
        RULES.iter().map(|rule| (rule.name.to_string(), Value::String((rule.read)(&production).to_string()))).collect();
    let presets = json!({ "production": params });
    check(PRESETS, &(serde_json::to_string_pretty(&presets).expect("plain values") + "\n"));
}

#[test]
fn a_liquidation_price_is_liquidatable_and_its_outer_neighbour_is_not() {
    for case in cases() {
        let (b, p) = (&case.balances, &case.params);
        let conf = case.price.conf;
        let Ok(Some(price)) = b.liquidation_price(p, conf) else { continue };
        let at = |price: i64| b.is_liquidatable(&OraclePrice { price, conf, publish_time: 0 }, p).unwrap();
        assert!(at(price), "{price}");
        let beyond = if b.position.base > 0 { price + 1 } else { price - 1 };
        assert!(beyond < 1 || !at(beyond), "{price}");
    }
}

/// The settled view is what margin sees after the program's own touch (which also pays claims from the pool):
/// the same maintenance equity and liquidation price, on every case where the touch runs.
#[test]
fn the_settled_view_reads_as_the_touch_does_for_liquidation() {
    let mut compared = 0;
    for case in cases() {
        let (Ok(settled), Ok(touched)) =
            (settled_for_margin(&case.balances, &case.market), touch(&case.balances, &case.market))
        else {
            continue;
        };
        let (Ok(view), Ok(program)) =
            (settled.health(&case.price, &case.params), touched.trader.health(&case.price, &case.params))
        else {
            continue;
        };
        assert_eq!(view.maintenance_equity, program.maintenance_equity);
        assert_eq!(
            settled.liquidation_price(&case.params, case.price.conf),
            touched.trader.liquidation_price(&case.params, case.price.conf)
        );
        compared += 1;
    }
    assert!(compared >= 140, "only {compared} cases compared");
}

/// The trade preview is what the program's own trade leaves for margin, wherever that trade goes through and the
/// account's collateral covers the whole fee.
#[test]
fn the_trade_preview_reads_as_the_program_trade_does_for_liquidation() {
    let mut compared = 0;
    for case in cases() {
        // Limits the preview does not apply, opened wide so the trade runs wherever the margin allows.
        let params = MarketParams { min_order_size: 1, max_open_interest: u64::MAX, ..case.params };
        let (delta, fee_bps) = case.trade;
        let controls =
            TradeControls { taker_fee_bps: fee_bps, fund_share_bps: params.fee_fund_share_bps, reduce_only: false };
        let Ok(traded) = trade(&case.balances, &case.market, delta, &case.price, &params, &controls) else { continue };
        let settled = settled_for_margin(&case.balances, &case.market).expect("the trade settled it");
        if settled.collateral + traded.realized_pnl.min(0) < i64::try_from(traded.fee_due).expect("fee") {
            continue;
        }
        let preview = projected_trade(&settled, delta, &case.price, &params, fee_bps).expect("as the trade");
        let (program, view) = (traded.books.trader, preview);
        assert_eq!(program.position, view.position);
        assert_eq!(
            i128::from(program.collateral) + i128::from(program.unsettled_pnl),
            i128::from(view.collateral) + i128::from(view.unsettled_pnl)
        );
        assert_eq!(
            program.liquidation_price(&params, case.price.conf),
            view.liquidation_price(&params, case.price.conf)
        );
        compared += 1;
    }
    assert!(compared >= 40, "only {compared} cases compared");
}
