//! Random sequences over a fund holding quote and two other assets (SOL-like with 9 decimals, BONK-like with 5):
//! stakes of each, prices that move, vanish and come back, covers paid in quote and then by auction, revenue,
//! requests, cancels and in-kind exits with deficits pending. After every step:
//!
//! - every vault holds what the books say it owes, and no payout or sale takes more than a holding;
//! - an exit takes of each vault at most its shares' part, whatever the prices (so a manipulated print cannot
//!   redeem more of anything);
//! - a stake followed at once by an exit at the same prices never gets back more than it brought, at the
//!   prices' midpoint;
//! - an auction fill never pays the bidder more than its quote buys at the sale price, nor raises more than is
//!   open.

use backstop_math::assets::auction::{self, AuctionRules};
use backstop_math::assets::{self, AssetParams, AssetPrice, Holding};
use backstop_math::constants::ASSET_PRICE_PRECISION;
use backstop_math::lp;
use backstop_math::price::OraclePrice;
use backstop_math::staking::{self, FundBook, FundParams, OtherAssets, StakeBook};
use proptest::prelude::*;

const STAKERS: usize = 4;
const DECIMALS: [u8; 2] = [9, 5];
/// Starting prices: $150 and $0.00002.
const START: [i64; 2] = [150 * ASSET_PRICE_PRECISION, 20_000_000];

fn asset_params() -> [AssetParams; 2] {
    let rules = |max| AuctionRules {
        start_discount_bps: 100,
        step_bps_per_minute: 50,
        max_discount_bps: max,
        _padding: [0; 2],
    };
    [
        AssetParams { haircut_bps: 1_000, auction: rules(800), ..Default::default() },
        AssetParams { haircut_bps: 3_000, auction: rules(2_500), ..Default::default() },
    ]
}

fn fund_params() -> FundParams {
    FundParams { cooldown_secs: 3_600, vesting_period_secs: 7_200, gate_bps: 5_000, gate_window_secs: 3_600 }
}

#[derive(Debug, Clone)]
enum Op {
    StakeQuote {
        who: usize,
        amount: u64,
    },
    StakeAsset {
        who: usize,
        asset: usize,
        amount: u64,
    },
    /// The asset's price times `permille / 1 000` (0: no usable price until the next move).
    Price {
        asset: usize,
        permille: u64,
    },
    Revenue {
        amount: u64,
    },
    /// A deficit of `amount`: quote first, then an auction of `asset` `elapsed` seconds in.
    Cover {
        amount: u64,
        asset: usize,
        elapsed: i64,
    },
    Request {
        who: usize,
        bps: u64,
    },
    Cancel {
        who: usize,
    },
    Unstake {
        who: usize,
        exposure: u64,
    },
    Elapse {
        secs: i64,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0..STAKERS, 1u64..100_000_000_000).prop_map(|(who, amount)| Op::StakeQuote { who, amount }),
        (0..STAKERS, 0..2usize, 1u64..10_000_000_000_000).prop_map(|(who, asset, amount)| Op::StakeAsset {
            who,
            asset,
            amount
        }),
        (0..2usize, prop_oneof![Just(0u64), 300u64..3_000]).prop_map(|(asset, permille)| Op::Price { asset, permille }),
        (0u64..10_000_000_000).prop_map(|amount| Op::Revenue { amount }),
        (1u64..200_000_000_000, 0..2usize, 0i64..7_200).prop_map(|(amount, asset, elapsed)| Op::Cover {
            amount,
            asset,
            elapsed
        }),
        (0..STAKERS, 1u64..=10_000).prop_map(|(who, bps)| Op::Request { who, bps }),
        (0..STAKERS).prop_map(|who| Op::Cancel { who }),
        (0..STAKERS, prop_oneof![Just(0u64), 0u64..100_000_000_000])
            .prop_map(|(who, exposure)| Op::Unstake { who, exposure }),
        (1i64..20_000).prop_map(|secs| Op::Elapse { secs }),
    ]
}

fn cases() -> ProptestConfig {
    ProptestConfig::with_cases(
        std::env::var("BACKSTOP_PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(512),
    )
}

/// The fund's world: its books, what each vault holds in tokens, and the assets' prices.
struct World {
    fund: FundBook,
    stakers: [StakeBook; STAKERS],
    held: [u64; 2],
    vault_quote: u64,
    vault_assets: [u64; 2],
    mid: [i64; 2],
    /// The publishers' average: it goes halfway to each new price.
    ema: [i64; 2],
    priced: [bool; 2],
    params: [AssetParams; 2],
    now: i64,
}

impl World {
    fn price(&self, asset: usize) -> Option<AssetPrice> {
        let mid = self.mid[asset];
        let print = OraclePrice { price: mid, conf: mid / 1_000, publish_time: self.now };
        self.priced[asset].then_some(AssetPrice { print, ema: self.ema[asset] })
    }

    fn holdings(&self) -> [Holding<'_>; 2] {
        [0, 1].map(|i| Holding {
            amount: self.held[i],
            decimals: DECIMALS[i],
            params: &self.params[i],
            price: self.price(i),
        })
    }

    fn others(&self) -> OtherAssets {
        assets::other_assets(self.holdings()).unwrap()
    }

    /// What the fund holds, at the prices' midpoint, as an exit would see it (unvested revenue excluded).
    fn mid_worth(&self) -> u128 {
        let quote = u128::from(self.fund.value(self.now).unwrap());
        quote
            + (0..2)
                .map(|i| u128::from(assets::value_floor(self.held[i], self.mid[i], DECIMALS[i]).unwrap()))
                .sum::<u128>()
    }

    fn check_books(&self) -> Result<(), TestCaseError> {
        prop_assert_eq!(self.vault_quote, self.fund.balance, "the quote vault holds what the books owe");
        prop_assert_eq!(self.vault_assets, self.held, "each asset vault holds what the books owe");
        let held: u64 = self.stakers.iter().map(|s| s.in_epoch_of(&self.fund).shares).sum();
        prop_assert!(held <= self.fund.total_shares, "positions hold no more shares than exist");
        Ok(())
    }
}

fn run(ops: &[Op]) -> Result<(), TestCaseError> {
    let mut w = World {
        fund: FundBook::default(),
        stakers: [StakeBook::default(); STAKERS],
        held: [0; 2],
        vault_quote: 0,
        vault_assets: [0; 2],
        mid: START,
        ema: START,
        priced: [true; 2],
        params: asset_params(),
        now: 1_000_000,
    };
    for op in ops {
        match *op {
            Op::StakeQuote { who, amount } => {
                let before = w.mid_worth();
                if let Ok((f, s, shares)) = staking::stake(&w.fund, &w.stakers[who], amount, w.now, &w.others()) {
                    (w.fund, w.stakers[who]) = (f, s);
                    w.vault_quote += amount;
                    round_trip_never_profits(&w, shares, before, u128::from(amount))?;
                }
            }
            Op::StakeAsset { who, asset, amount } => {
                let Some(price) = w.price(asset) else { continue };
                let deposit =
                    Holding { amount, decimals: DECIMALS[asset], params: &w.params[asset], price: Some(price) };
                let value = deposit.claim_value().unwrap();
                let before = w.mid_worth();
                if let Ok((f, s, shares)) = staking::stake_asset(&w.fund, &w.stakers[who], value, w.now, &w.others()) {
                    (w.fund, w.stakers[who]) = (f, s);
                    w.held[asset] += amount;
                    w.vault_assets[asset] += amount;
                    let brought = assets::value_floor(amount, w.mid[asset], DECIMALS[asset]).unwrap();
                    round_trip_never_profits(&w, shares, before, u128::from(brought))?;
                }
            }
            Op::Price { asset, permille } => {
                w.priced[asset] = permille > 0;
                if permille > 0 {
                    let moved = i128::from(w.mid[asset]) * i128::from(permille) / 1_000;
                    let bounds = (1_000, 1_000_000 * i128::from(ASSET_PRICE_PRECISION));
                    w.mid[asset] = i64::try_from(moved.clamp(bounds.0, bounds.1)).unwrap();
                    w.ema[asset] += (w.mid[asset] - w.ema[asset]) / 2;
                }
            }
            Op::Revenue { amount } => {
                w.fund.add_revenue(amount, w.now, fund_params().vesting_period_secs).unwrap();
                w.vault_quote += amount;
            }
            Op::Cover { amount, asset, elapsed } => cover(&mut w, amount, asset, elapsed)?,
            Op::Request { who, bps } => {
                let held = u128::from(w.stakers[who].in_epoch_of(&w.fund).shares);
                let shares = u64::try_from(held * u128::from(bps) / 10_000).unwrap();
                if let Ok((f, s)) =
                    staking::request_unstake(&w.fund, &w.stakers[who], shares, w.now, &fund_params(), &w.others())
                {
                    (w.fund, w.stakers[who]) = (f, s);
                }
            }
            Op::Cancel { who } => {
                if let Ok((f, s)) = staking::cancel_unstake(&w.fund, &w.stakers[who]) {
                    (w.fund, w.stakers[who]) = (f, s);
                }
            }
            Op::Unstake { who, exposure } => exit(&mut w, who, exposure)?,
            Op::Elapse { secs } => w.now += secs,
        }
        w.check_books()?;
    }
    Ok(())
}

/// The new shares, redeemed at once at the midpoint prices (as an exit prices shares, virtual offset included),
/// are worth no more than the stake brought.
fn round_trip_never_profits(w: &World, shares: u64, before: u128, brought: u128) -> Result<(), TestCaseError> {
    let after = i128::try_from(before + brought).unwrap();
    let exit_worth = u128::from(lp::amount_for_shares(shares, after, w.fund.total_shares).unwrap());
    prop_assert!(exit_worth <= brought, "a stake round trip profits: {} > {}", exit_worth, brought);
    Ok(())
}

fn cover(w: &mut World, amount: u64, asset: usize, elapsed: i64) -> Result<(), TestCaseError> {
    let quote = amount.min(w.fund.balance);
    w.fund.pay_cover(quote, w.now, &w.others()).unwrap();
    w.vault_quote -= quote;
    let open = auction::auction_size(amount - quote, u64::MAX, w.others().claim);
    let Some(price) = w.price(asset) else { return Ok(()) };
    let rules = w.params[asset].auction;
    let Ok(fill) = auction::fill(open, open, w.held[asset], DECIMALS[asset], &price, &rules, elapsed) else {
        return Ok(());
    };
    prop_assert!(fill.quote <= open && fill.asset <= w.held[asset]);
    let cost = u128::from(fill.asset) * u128::from(fill.price.unsigned_abs());
    prop_assert!(
        u128::from(fill.quote) * assets::scale(DECIMALS[asset]).unwrap().unsigned_abs() >= cost,
        "a sale below its price"
    );
    w.held[asset] -= fill.asset;
    w.vault_assets[asset] -= fill.asset;
    w.fund.reprice_shares(w.now, &w.others()).unwrap();
    Ok(())
}

fn exit(w: &mut World, who: usize, exposure: u64) -> Result<(), TestCaseError> {
    let Ok(done) = staking::unstake(&w.fund, &w.stakers[who], w.now, &fund_params(), exposure, &w.others()) else {
        return Ok(());
    };
    let total = u128::from(w.fund.total_shares);
    let burned = u128::from(done.shares_burned);
    let quote_part = u128::from(w.fund.balance) * burned / total;
    prop_assert!(
        u128::from(done.quote) <= quote_part + 1,
        "quote beyond the shares' part: {} > {}",
        done.quote,
        quote_part
    );
    let out = [0, 1].map(|i| done.in_kind.of(w.held[i]).unwrap());
    // What leaves, valued as the claim was (low side less haircut), is no more than the payout's value, which is
    // never more than the request was worth, whatever the prices did since.
    let paid_value: u64 = done.quote
        + (0..2)
            .map(|i| {
                // An exit needs every asset it holds priced; one it holds none of pays nothing.
                let Some(price) = w.price(i) else { return 0 };
                let (params, decimals) = (&w.params[i], DECIMALS[i]);
                Holding { amount: out[i], decimals, params, price: Some(price) }.claim_value().unwrap()
            })
            .sum::<u64>();
    // (Up to an atom per asset: valuing a part rounds down once where valuing the whole rounded down twice.)
    prop_assert!(paid_value <= done.value + 2, "an exit worth more than its value: {} > {}", paid_value, done.value);
    for (i, out) in out.into_iter().enumerate() {
        let part = u128::from(w.held[i]) * burned / total;
        prop_assert!(u128::from(out) <= part, "asset {} beyond the shares' part: {} > {}", i, out, part);
        w.held[i] -= out;
        w.vault_assets[i] -= out;
    }
    w.vault_quote -= done.quote;
    w.fund = done.fund;
    w.stakers[who] = done.position;
    Ok(())
}

proptest! {
    #![proptest_config(cases())]

    #[test]
    fn every_vault_balances_and_no_exit_takes_more_than_its_part(ops in prop::collection::vec(op(), 1..150)) {
        run(&ops)?;
    }
}
