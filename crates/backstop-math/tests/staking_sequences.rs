//! Random sequences of staking flows, revenue sweeps, covers and time: the fund's books always equal the tokens
//! it holds, shares and locks add up, and stakers as a whole never take out more than they put in plus revenue
//! less covers.

use backstop_math::staking::{self, FundBook, FundParams, StakeBook};
use proptest::prelude::*;

const STAKERS: usize = 4;

fn params() -> FundParams {
    FundParams { cooldown_secs: 3_600, vesting_period_secs: 7_200, gate_bps: 2_500, gate_window_secs: 3_600 }
}

#[derive(Debug, Clone)]
enum Op {
    Stake {
        who: usize,
        amount: u64,
    },
    Request {
        who: usize,
        bps: u64,
    },
    Cancel {
        who: usize,
    },
    /// Request/cancel pairs in a row (the review's F2 storm).
    Storm {
        who: usize,
        pairs: u8,
    },
    /// `exposure`: deficits pending in the fund's markets when the staker leaves.
    Unstake {
        who: usize,
        exposure: u64,
    },
    Revenue {
        amount: u64,
    },
    Cover {
        bps: u64,
    },
    Elapse {
        secs: i64,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0..STAKERS, 1u64..1_000_000_000_000).prop_map(|(who, amount)| Op::Stake { who, amount }),
        (0..STAKERS, 1u64..=10_000).prop_map(|(who, bps)| Op::Request { who, bps }),
        (0..STAKERS).prop_map(|who| Op::Cancel { who }),
        (0..STAKERS, 1u8..20).prop_map(|(who, pairs)| Op::Storm { who, pairs }),
        (0..STAKERS, prop_oneof![Just(0u64), 0u64..2_000_000_000_000])
            .prop_map(|(who, exposure)| Op::Unstake { who, exposure }),
        (0u64..100_000_000_000).prop_map(|amount| Op::Revenue { amount }),
        (0u64..=10_000).prop_map(|bps| Op::Cover { bps }),
        (1i64..20_000).prop_map(|secs| Op::Elapse { secs }),
    ]
}

fn cases() -> ProptestConfig {
    ProptestConfig::with_cases(
        std::env::var("BACKSTOP_PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(512),
    )
}

proptest! {
    #![proptest_config(cases())]

    #[test]
    fn staking_books_balance_after_every_step(ops in prop::collection::vec(op(), 1..150)) {
        let mut fund = FundBook::default();
        let mut stakers = [StakeBook::default(); STAKERS];
        let (mut vault, mut staked, mut paid, mut revenue, mut covered) = (0u64, 0u64, 0u64, 0u64, 0u64);
        let mut now = 1_000_000i64;
        for op in &ops {
            match *op {
                Op::Stake { who, amount } => {
                    if let Ok((f, s, _)) = staking::stake(&fund, &stakers[who], amount, now, &staking::OtherAssets::NONE) {
                        fund = f;
                        stakers[who] = s;
                        vault += amount;
                        staked += amount;
                    }
                }
                Op::Request { who, bps } => {
                    let shares = u64::try_from(u128::from(stakers[who].shares) * u128::from(bps) / 10_000).unwrap();
                    if let Ok((f, s)) = staking::request_unstake(&fund, &stakers[who], shares, now, &params(), &staking::OtherAssets::NONE) {
                        prop_assert!(s.request_value <= fund.share_value(shares, now, &staking::OtherAssets::NONE).unwrap());
                        fund = f;
                        stakers[who] = s;
                    }
                }
                Op::Storm { who, pairs } => {
                    // Cancelled value never blocks anyone: the queue ahead of the frontier is no longer after.
                    let ahead = |f: &FundBook| f.queue_requested.saturating_sub(f.queue_released);
                    let before = ahead(&fund);
                    for _ in 0..pairs {
                        let shares = stakers[who].in_epoch_of(&fund).shares;
                        let Ok((f, s)) = staking::request_unstake(&fund, &stakers[who], shares, now, &params(), &staking::OtherAssets::NONE) else {
                            break;
                        };
                        let (f, s) = staking::cancel_unstake(&f, &s).unwrap();
                        fund = f;
                        stakers[who] = s;
                    }
                    prop_assert!(ahead(&fund) <= before, "a request/cancel storm pushed the queue back");
                }
                Op::Cancel { who } => {
                    if let Ok((f, s)) = staking::cancel_unstake(&fund, &stakers[who]) {
                        fund = f;
                        stakers[who] = s;
                    }
                }
                Op::Unstake { who, exposure } => {
                    if let Ok(done) = staking::unstake(&fund, &stakers[who], now, &params(), exposure, &staking::OtherAssets::NONE) {
                        prop_assert!(done.fund.window_used <= done.fund.window_budget, "the gate holds");
                        let net = fund.balance.saturating_sub(fund.unvested(now).unwrap().max(exposure));
                        let fair = u128::from(net) * u128::from(done.shares_burned) / u128::from(fund.total_shares);
                        prop_assert!(u128::from(done.quote) <= fair + 1, "a leaver bears pending deficits pro rata");
                        fund = done.fund;
                        stakers[who] = done.position;
                        vault -= done.quote;
                        paid += done.quote;
                    }
                }
                Op::Revenue { amount } => {
                    fund.add_revenue(amount, now, params().vesting_period_secs).unwrap();
                    vault += amount;
                    revenue += amount;
                }
                Op::Cover { bps } => {
                    let amount = u64::try_from(u128::from(fund.balance) * u128::from(bps) / 10_000).unwrap();
                    fund.pay_cover(amount, now, &staking::OtherAssets::NONE).unwrap();
                    vault -= amount;
                    covered += amount;
                }
                Op::Elapse { secs } => now += secs,
            }
            prop_assert_eq!(fund.balance, vault, "the books are the tokens");
            // Positions as the current share epoch sees them (split or voided since): the totals are their sums, up
            // to the shares a reverse split's rounding left to no one (under one a position).
            let live: Vec<StakeBook> = stakers.iter().map(|s| s.in_epoch_of(&fund)).collect();
            let (held, locked) = (live.iter().map(|s| s.shares).sum::<u64>(), live.iter().map(|s| s.locked_shares).sum::<u64>());
            prop_assert!(fund.total_shares >= held && fund.total_shares - held <= STAKERS as u64, "shares add up");
            prop_assert!(fund.locked_shares >= locked && fund.locked_shares - locked <= STAKERS as u64, "locks add up");
            prop_assert!(live.iter().all(|s| s.locked_shares <= s.shares));
            prop_assert!(
                fund.total_shares == 0 || fund.value(now).unwrap().saturating_mul(1_000_000) >= fund.total_shares / 100,
                "a fund is never left with shares that would overflow the next stake"
            );
            prop_assert!(fund.unvested(now).unwrap() <= fund.balance);
            prop_assert!(paid <= staked + revenue - covered.min(staked + revenue), "no staker is paid from nowhere");
        }
    }
}
