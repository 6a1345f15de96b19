//! Unit tests of a fund's assets: bounds, the sides each use takes, the wrong-way discount, the auction, and a
//! three-asset fund that stakes, covers through the auction and redeems in kind.

extern crate std;
use super::auction::*;
use super::*;
use crate::constants::ASSET_PRICE_PRECISION;
use crate::oracle::{OracleGuards, RawOracleReading};
use crate::staking::{self, FundBook, FundParams, StakeBook};

pub(super) const SOL_DECIMALS: u8 = 9;
const BONK_DECIMALS: u8 = 5;
const SOL_MARKET: u16 = 0;
const BTC_MARKET: u16 = 1;
/// One dollar at ASSET_PRICE_PRECISION.
pub(super) const USD: i64 = ASSET_PRICE_PRECISION;

pub(super) fn sol_params() -> AssetParams {
    let mut correlations = [MarketCorrelation::default(); MAX_CORRELATIONS];
    correlations[0] = MarketCorrelation { market_id: SOL_MARKET, correlation_bps: 10_000 };
    correlations[1] = MarketCorrelation { market_id: BTC_MARKET, correlation_bps: 7_000 };
    AssetParams {
        haircut_bps: 1_000,
        default_correlation_bps: 5_000,
        correlation_count: 2,
        _padding: [0; 2],
        auction: AuctionRules {
            start_discount_bps: 100,
            step_bps_per_minute: 25,
            max_discount_bps: 800,
            _padding: [0; 2],
        },
        correlations,
    }
}

pub(super) fn print(price: i64, conf: i64) -> AssetPrice {
    AssetPrice { print: OraclePrice { price, conf, publish_time: 0 }, ema: 0 }
}

#[test]
fn asset_params_bounds() {
    assert_eq!(sol_params().validate(), Ok(()));
    let refused = |change: fn(&mut AssetParams)| {
        let mut params = sol_params();
        change(&mut params);
        params.validate()
    };
    let bad = Err(MathError::InvalidAssetParams);
    assert_eq!(refused(|p| p.haircut_bps = 9_001), bad, "haircut past 90 %");
    assert_eq!(refused(|p| p.auction.max_discount_bps = 1_001), bad, "a sale deeper than the haircut");
    assert_eq!(refused(|p| p.auction.start_discount_bps = 900), bad, "a start past the deepest discount");
    assert_eq!(refused(|p| p.auction.step_bps_per_minute = 0), bad, "a discount that never grows");
    assert_eq!(refused(|p| p.auction.step_bps_per_minute = 1_001), bad);
    assert_eq!(refused(|p| p.correlations[1].market_id = SOL_MARKET), bad, "two correlations for one market");
    assert_eq!(refused(|p| p.correlations[0].correlation_bps = 10_001), bad);
    assert_eq!(refused(|p| p.default_correlation_bps = 10_001), bad);
    assert_eq!(refused(|p| p.correlations[2].correlation_bps = 1), bad, "an unused entry that is not zero");
    assert_eq!(refused(|p| p.correlation_count = 9), bad);
    let mut deep = sol_params();
    deep.haircut_bps = 9_000;
    deep.auction.max_discount_bps = 5_001;
    assert_eq!(deep.validate(), bad, "no sale deeper than 50 %, whatever the haircut");
    assert_eq!(scale(MAX_ASSET_DECIMALS + 1), Err(MathError::InvalidAssetParams));
}

#[test]
fn each_use_takes_the_side_against_whoever_is_paid() {
    // 10 SOL at $150.00 ± $0.10, haircut 10 %.
    let params = sol_params();
    let holding = Holding {
        amount: 10_000_000_000,
        decimals: SOL_DECIMALS,
        params: &params,
        price: Some(print(150 * USD, USD / 10)),
    };
    assert_eq!(holding.claim_value(), Ok(1_349_100_000), "$149.90 × 10 less 10 %");
    assert_eq!(holding.buy_in_value(), Ok(1_501_000_000), "$150.10 × 10, no haircut");
    let unpriced = Holding { price: None, ..holding };
    assert_eq!(unpriced.claim_value(), Ok(0), "an exit counts an unpriced asset at nothing");
    assert_eq!(unpriced.buy_in_value(), Ok(0));
    let others = other_assets([holding, unpriced]).unwrap();
    assert_eq!(others, OtherAssets { claim: 1_349_100_000, buy_in: 1_501_000_000, held: true, complete: false });
    assert_eq!(others.require_complete(), Err(MathError::FundAssetUnpriced), "stakes and exits wait for a price");
    let none_held = Holding { amount: 0, ..unpriced };
    assert!(other_assets([holding, none_held]).unwrap().complete, "an asset the fund holds none of needs no price");
}

#[test]
fn a_token_worth_a_millionth_of_a_dollar_keeps_its_digits() {
    // BONK/USD as Pyth publishes it (expo −10): $0.00002341 ± $0.00000002.
    let reading = RawOracleReading {
        price: 234_100,
        conf: 200,
        expo: -10,
        publish_time: 100,
        trading: true,
        ema_price: 0,
        ema_conf: 0,
    };
    let guards = OracleGuards { max_age_secs: 60, max_conf_bps: 200, last_publish_time: 0, max_ema_divergence_bps: 0 };
    let price = AssetPrice::read(&reading, &guards, 100, 30).unwrap();
    assert_eq!((price.print.price, price.print.conf, price.ema), (23_410_000, 20_000, 0));
    let params = AssetParams {
        haircut_bps: 3_000,
        auction: AuctionRules { max_discount_bps: 2_000, step_bps_per_minute: 50, ..Default::default() },
        ..Default::default()
    };
    // 100 million BONK.
    let holding = Holding { amount: 10_000_000_000_000, decimals: BONK_DECIMALS, params: &params, price: Some(price) };
    assert_eq!(holding.claim_value(), Ok(1_637_300_000), "$2 339 less 30 %");
    assert_eq!(AssetPrice::read(&reading, &guards, 131, 30), Err(MathError::OracleTooOldToFill), "a stale print");
    // At the markets' 10^-6 the same print would be 23 ± 1: a 4 % band.
    let coarse = crate::oracle::validate_reading(&reading, &guards, 100).map(|v| (v.print.price, v.print.conf));
    assert_eq!(coarse, Ok((23, 1)));
}

#[test]
fn the_ema_bounds_which_recent_print_a_caller_can_choose() {
    let guards =
        OracleGuards { max_age_secs: 60, max_conf_bps: 200, last_publish_time: 0, max_ema_divergence_bps: 500 };
    // SOL/USD at expo −8: the EMA at $150, prints 2 % either side of it (inside the 5 % band).
    let reading = |price: i64| RawOracleReading {
        price: price * 100_000_000,
        conf: 10_000_000,
        expo: -8,
        publish_time: 100,
        trading: true,
        ema_price: 15_000_000_000,
        ema_conf: 10_000_000,
    };
    let high_print = AssetPrice::read(&reading(153), &guards, 100, 30).unwrap();
    assert_eq!((high_print.low(), high_print.high()), (Ok(150 * USD), Ok(153 * USD + USD / 10)));
    let low_print = AssetPrice::read(&reading(147), &guards, 100, 30).unwrap();
    assert_eq!((low_print.low(), low_print.high()), (Ok(147 * USD - USD / 10), Ok(150 * USD)));
    // A stake valued at a high print counts at the EMA; a fund valued at a low print counts at the EMA.
    assert_eq!(AssetPrice::read(&reading(160), &guards, 100, 30), Err(MathError::OracleDivergedFromEma));
}

#[test]
fn an_asset_counts_at_its_value_in_the_crash_it_backs() {
    let params = sol_params();
    let holding = Holding {
        amount: 10_000_000_000,
        decimals: SOL_DECIMALS,
        params: &params,
        price: Some(print(150 * USD, USD / 10)),
    };
    let claim = holding.claim_value().unwrap();
    // Against the SOL perp's 30 % crash SOL falls 30 %; against BTC's, 70 % of it; elsewhere half.
    assert_eq!(holding.stressed_value(SOL_MARKET, 3_000), Ok(claim * 7 / 10));
    assert_eq!(holding.stressed_value(BTC_MARKET, 3_000), Ok(claim * 79 / 100));
    assert_eq!(holding.stressed_value(7, 3_000), Ok(claim * 85 / 100));
    assert_eq!(stressed_assets([holding], SOL_MARKET, 3_000), Ok((claim, claim * 7 / 10)));
    assert_eq!(holding.stressed_value(SOL_MARKET, 20_000), Ok(0), "a shock past 100 % leaves nothing");
}

#[test]
fn the_discount_grows_by_the_minute_to_its_cap() {
    let rules = sol_params().auction;
    assert_eq!(rules.discount_bps(0), 100);
    assert_eq!(rules.discount_bps(59), 100, "whole minutes only");
    assert_eq!(rules.discount_bps(60), 125);
    assert_eq!(rules.discount_bps(600), 350);
    assert_eq!(rules.discount_bps(3_600), 800, "capped");
    assert_eq!(rules.discount_bps(-5), 100, "a clock behind the record starts at the start");
}

#[test]
fn a_fill_at_each_stage_pays_the_bidder_less_as_the_auction_starts_and_more_as_it_ages() {
    let rules = sol_params().auction;
    let sol = print(150 * USD, USD / 10); // the high side: $150.10
    let at = |elapsed| fill(150_000_000, 1_000_000_000, 100_000_000_000, SOL_DECIMALS, &sol, &rules, elapsed).unwrap();
    let (start, middle, end) = (at(0), at(600), at(7_200));
    assert_eq!((start.discount_bps, middle.discount_bps, end.discount_bps), (100, 350, 800));
    assert_eq!(start.price, 148_599_000_000_000, "$150.10 less 1 %");
    assert!(start.asset < middle.asset && middle.asset < end.asset);
    for fill in [start, middle, end] {
        assert!(fill.quote <= 150_000_000);
        // The bidder never pays less than the sale price for what it receives.
        assert!(u128::from(fill.quote) * 10u128.pow(15) >= u128::from(fill.asset) * fill.price.unsigned_abs() as u128);
    }
    // $150 bought 1.0862 SOL, worth $163.04 at $150.10: the bidder's discount is 8 % of that.
    assert_eq!(end.discount_value, 13_043_478);
}

#[test]
fn a_partial_fill_sells_what_the_fund_holds_and_takes_only_its_price() {
    let rules = sol_params().auction;
    let sol = print(150 * USD, 0);
    // 1 SOL left against a $1 000 bid: the bidder gets the one SOL and pays $148.50 for it.
    let fill = fill(1_000_000_000, 5_000_000_000, 1_000_000_000, SOL_DECIMALS, &sol, &rules, 0).unwrap();
    assert_eq!((fill.asset, fill.quote), (1_000_000_000, 148_500_000));
    // A bid past the open deficit raises only the deficit.
    let capped = super::auction::fill(1_000_000_000, 30_000_000, 1_000_000_000, SOL_DECIMALS, &sol, &rules, 0).unwrap();
    assert!(capped.quote <= 30_000_000);
    assert_eq!(
        super::auction::fill(1_000_000_000, 0, 1_000_000_000, SOL_DECIMALS, &sol, &rules, 0),
        Err(MathError::NothingToAuction),
        "nothing open"
    );
    assert_eq!(
        super::auction::fill(0, 5_000_000_000, 1_000_000_000, SOL_DECIMALS, &sol, &rules, 0),
        Err(MathError::NothingToAuction),
        "an empty bid"
    );
    assert_eq!(
        super::auction::fill(1_000_000_000, 5_000_000_000, 0, SOL_DECIMALS, &sol, &rules, 0),
        Err(MathError::NothingToAuction),
        "nothing left to sell"
    );
}

#[test]
fn the_deficit_auction_opens_fills_and_closes() {
    let mut auction = DeficitAuction::default();
    assert_eq!(auction.record(500, 1_000, 1_800), Ok(0));
    assert_eq!(auction.record(200, 1_300, 1_800), Ok(0));
    // (500 × 1 000 + 200 × 1 300) / 700 = 1 085.7: the start moves to the value-weighted time, rounded later.
    assert_eq!((auction.open, auction.started_at), (700, 1_086));
    assert!(auction.is_live(1_086 + 1_799, 1_800));
    assert_eq!(auction.close(1_500, 1_800), 0, "live: nothing to close");
    let fill = Fill { quote: 300, asset: 2, discount_bps: 100, price: 150, discount_value: 3 };
    auction.apply(&fill).unwrap();
    assert_eq!((auction.open, auction.raised, auction.discount_given), (400, 300, 3));
    assert!(!auction.is_live(2_886, 1_800));
    assert_eq!(auction.close(2_886, 1_800), 400, "what it did not raise goes on down the waterfall");
    assert_eq!(auction, DeficitAuction { open: 0, started_at: 0, raised: 300, discount_given: 3 });
    // A deficit recorded after an auction's time is up, never closed, does not join it: the old one is closed
    // (its remainder returned for the later layers) and the new one gets a whole auction of its own.
    auction.record(100, 0, 1_800).unwrap();
    assert_eq!(auction.record(1_000_000, 1_900, 1_800), Ok(100));
    assert_eq!((auction.open, auction.started_at), (1_000_000, 1_900));
    assert_eq!(auction_size(1_000, 600, 2_000), 600, "within the draw cap");
    assert_eq!(auction_size(1_000, 6_000, 200), 200, "within what the assets can claim");
}

pub(super) const DAY: i64 = 86_400;

pub(super) fn fund_params() -> FundParams {
    FundParams { cooldown_secs: 3_600, vesting_period_secs: 0, gate_bps: 10_000, gate_window_secs: 3_600 }
}

/// The Done-when in the core: USDC, SOL and BONK staked; a SOL crash covered with the quote balance and
/// the rest raised by an auction of SOL; then everyone redeems in kind, each the same share of every vault.
#[test]
fn a_three_asset_fund_stakes_covers_through_the_auction_and_redeems_in_kind() {
    let (sol, bonk) = (sol_params(), AssetParams { haircut_bps: 3_000, ..sol_params() });
    let mut sol_held = 0u64;
    let mut bonk_held = 0u64;
    let sol_at = |price| Some(print(price, 0));
    let bonk_price = Some(print(20_000_000, 0)); // $0.00002
    let others = |sol_held, sol_price, bonk_held| {
        other_assets([
            Holding { amount: sol_held, decimals: SOL_DECIMALS, params: &sol, price: sol_price },
            Holding { amount: bonk_held, decimals: BONK_DECIMALS, params: &bonk, price: bonk_price },
        ])
        .unwrap()
    };
    let none = StakeBook::default();
    // Alice: $1 000 of USDC. Bob: 10 SOL at $150 ($1 350 after haircut). Carol: 50 M BONK ($1 000, $700 after).
    let (fund, alice, _) =
        staking::stake(&FundBook::default(), &none, 1_000_000_000, 0, &others(0, sol_at(150 * USD), 0)).unwrap();
    let bob_value = Holding { amount: 10_000_000_000, decimals: SOL_DECIMALS, params: &sol, price: sol_at(150 * USD) }
        .claim_value()
        .unwrap();
    let (fund, bob, _) = staking::stake_asset(&fund, &none, bob_value, 0, &others(0, sol_at(150 * USD), 0)).unwrap();
    sol_held += 10_000_000_000;
    let carol_value = Holding { amount: 5_000_000_000_000, decimals: BONK_DECIMALS, params: &bonk, price: bonk_price }
        .claim_value()
        .unwrap();
    let (mut fund, carol, _) =
        staking::stake_asset(&fund, &none, carol_value, 0, &others(sol_held, sol_at(150 * USD), 0)).unwrap();
    bonk_held += 5_000_000_000_000;
    assert_eq!((bob_value, carol_value), (1_350_000_000, 700_000_000));

    // SOL crashes to $100; a $1 500 deficit: the quote balance pays $1 000, the auction raises $500 from SOL.
    let crash = sol_at(100 * USD);
    fund.pay_cover(1_000_000_000, 60, &others(sol_held, crash, bonk_held)).unwrap();
    let rest = 500_000_000;
    assert_eq!(auction_size(rest, u64::MAX, others(sol_held, crash, bonk_held).claim), rest);
    let sold = fill(rest, rest, sol_held, SOL_DECIMALS, &crash.unwrap(), &sol.auction, 300).unwrap();
    assert_eq!(sold.discount_bps, 225, "five minutes in: 1 % and five steps of 0.25 %");
    sol_held -= sold.asset;
    fund.reprice_shares(360, &others(sol_held, crash, bonk_held)).unwrap();
    assert_eq!(sold.quote, rest);

    // Everyone leaves: each is paid the same share of every vault as of their shares.
    let mut vaults = (fund.balance, sol_held, bonk_held);
    for staker in [alice, bob, carol] {
        let (f, requested) = staking::request_unstake(
            &fund,
            &staker,
            staker.shares,
            DAY,
            &fund_params(),
            &others(vaults.1, crash, vaults.2),
        )
        .unwrap();
        let done =
            staking::unstake(&f, &requested, 2 * DAY, &fund_params(), 0, &others(vaults.1, crash, vaults.2)).unwrap();
        assert!(done.complete);
        let (sol_out, bonk_out) = (done.in_kind.of(vaults.1).unwrap(), done.in_kind.of(vaults.2).unwrap());
        // Never more than the shares' part of what the vault holds now; less by the rounding of the payout's
        // value (a quote atom in ~2 billion), which stays with the fund.
        let shares_now = u128::from(fund.total_shares);
        for (out, held) in [(sol_out, vaults.1), (bonk_out, vaults.2)] {
            let pro_rata = u128::from(held) * u128::from(staker.shares) / shares_now;
            assert!(u128::from(out) <= pro_rata && pro_rata - u128::from(out) <= pro_rata / 1_000_000);
        }
        vaults = (vaults.0 - done.quote, vaults.1 - sol_out, vaults.2 - bonk_out);
        fund = done.fund;
    }
    assert_eq!(vaults.0, fund.balance, "the quote vault holds what the books say");
    assert!(vaults.1 < sol_held / 1_000_000 && vaults.2 < bonk_held / 1_000_000, "only dust stays: {vaults:?}");
}
