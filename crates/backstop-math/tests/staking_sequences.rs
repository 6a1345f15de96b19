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
    Stake { who: usize, amount: u64 },
    Request { who: usize, bps: u64 },
    Cancel { who: usize },
    Unstake { who: usize },
    Revenue { amount: u64 },
    Cover { bps: u64 },
    Elapse { secs: i64 },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0..STAKERS, 1u64..1_000_000_000_000).prop_map(|(who, amount)| Op::Stake { who, amount }),
        (0..STAKERS, 1u64..=10_000).prop_map(|(who, bps)| Op::Request { who, bps }),
        (0..STAKERS).prop_map(|who| Op::Cancel { who }),
        (0..STAKERS).prop_map(|who| Op::Unstake { who }),
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
                    if let Ok((f, s, _)) = staking::stake(&fund, &stakers[who], amount, now) {
                        fund = f;
                        stakers[who] = s;
                        vault += amount;
                        staked += amount;
                    }
                }
                Op::Request { who, bps } => {
                    let shares = u64::try_from(u128::from(stakers[who].shares) * u128::from(bps) / 10_000).unwrap();
                    if let Ok((f, s)) = staking::request_unstake(&fund, &stakers[who], shares, now, &params()) {
                        prop_assert!(s.request_value <= fund.share_value(shares, now).unwrap());
                        fund = f;
                        stakers[who] = s;
                    }
                }
                Op::Cancel { who } => {
                    if let Ok((f, s)) = staking::cancel_unstake(&fund, &stakers[who]) {
                        fund = f;
                        stakers[who] = s;
                    }
                }
                Op::Unstake { who } => {
                    if let Ok(done) = staking::unstake(&fund, &stakers[who], now, &params()) {
                        prop_assert!(done.fund.window_used <= done.fund.window_budget, "the gate holds");
                        fund = done.fund;
                        stakers[who] = done.position;
                        vault -= done.amount;
                        paid += done.amount;
                    }
                }
                Op::Revenue { amount } => {
                    fund.add_revenue(amount, now, params().vesting_period_secs).unwrap();
                    vault += amount;
                    revenue += amount;
                }
                Op::Cover { bps } => {
                    let amount = u64::try_from(u128::from(fund.balance) * u128::from(bps) / 10_000).unwrap();
                    fund.pay_cover(amount, now).unwrap();
                    vault -= amount;
                    covered += amount;
                }
                Op::Elapse { secs } => now += secs,
            }
            prop_assert_eq!(fund.balance, vault, "the books are the tokens");
            prop_assert_eq!(fund.total_shares, stakers.iter().map(|s| s.shares).sum::<u64>());
            prop_assert_eq!(fund.locked_shares, stakers.iter().map(|s| s.locked_shares).sum::<u64>());
            prop_assert!(stakers.iter().all(|s| s.locked_shares <= s.shares));
            prop_assert!(fund.unvested(now).unwrap() <= fund.balance);
            prop_assert!(paid <= staked + revenue - covered.min(staked + revenue), "no staker is paid from nowhere");
        }
    }
}
