//! Random sequences of every flow over the functional core: after each step the books must add up (every token
//! in the vault is owed to someone, every market total is the sum of its parts), and at the end, closing and
//! withdrawing everything can never take out more than went in.

use backstop_math::constants::{BASE_PRECISION, BASE_PRECISION_U64, PRICE_PRECISION};
use backstop_math::ledger::{self, MarketLedger};
use backstop_math::margin::TraderBalances;
use backstop_math::oracle::OraclePrice;
use backstop_math::params::MarketParams;
use proptest::prelude::*;

const TRADERS: usize = 4;
const LPS: usize = 2;
const USDC: u64 = 1_000_000;
/// The insurance fund's starting capital, from stakers outside the market.
const FUND_SEED: u64 = 2_000 * USDC;

fn params() -> MarketParams {
    MarketParams {
        initial_margin_bps: 1_000,
        maintenance_margin_bps: 500,
        liquidation_penalty_bps: 250,
        liquidator_reward_share_bps: 5_000,
        taker_fee_bps: 10,
        fee_fund_share_bps: 5_000,
        fee_lp_share_bps: 4_000,
        fee_treasury_share_bps: 1_000,
        exec_conf_scale_bps: 10_000,
        oracle_max_conf_bps: 200,
        oracle_max_age_secs: 60,
        unrealized_profit_cap_bps: 5_000,
        max_open_interest: 1_000 * BASE_PRECISION_U64,
        min_order_size: BASE_PRECISION_U64 / 1_000,
        fund_draw_cap: 1_000 * USDC,
        fund_draw_window_secs: 3_600,
        funding_coefficient_ppm: 5_000,
        funding_cap_ppm: 2_000,
        lp_exit_delay_secs: 10,
        funding_depth: 10 * BASE_PRECISION_U64,
        fee_floor_bps: 10,
        fee_cap_bps: 10,
        fee_vol_coefficient: 0,
        volatility_window_secs: 3_600,
        fund_share_max_bps: 5_000,
        coverage_target_bps: 0,
        treasury_yields_to_fund: 0,
        breaker_conf_bps: 0,
        breaker_move_bps: 0,
        breaker_window_secs: 600,
        breaker_cooldown_secs: 1_800,
        oracle_max_ema_divergence_bps: 2_000,
        fill_max_age_secs: 60,
        liquidation_max_age_secs: 60,
        stress_shock_floor_bps: 1_000,
        stress_shock_cap_bps: 5_000,
        stress_sigmas_tenths: 40,
        stress_horizon_secs: 3_600,
    }
}

#[derive(Debug, Clone)]
enum Step {
    Deposit {
        trader: usize,
        amount: u64,
    },
    Withdraw {
        trader: usize,
        amount: u64,
    },
    Trade {
        trader: usize,
        delta: i64,
    },
    LpDeposit {
        lp: usize,
        amount: u64,
    },
    /// Ask to leave with this share (bps) of the LP's shares, served after the exit delay.
    LpRequest {
        lp: usize,
        shares_bps: u64,
    },
    /// Serve the LP's pending request, whatever its age (refused before the delay).
    LpWithdraw {
        lp: usize,
    },
    /// New price as a percentage move from the current one (gaps included), and confidence in bps.
    Price {
        move_pct: i64,
        conf_bps: i64,
    },
    Liquidate {
        trader: usize,
        liquidator: usize,
    },
    /// Cover with the fund allowed to pay this share (bps) of its balance.
    Cover {
        trader: usize,
        fund_bps: u64,
    },
    Sweep,
    /// Time passes (up to a day): funding accrues at the current skew.
    Elapse {
        secs: i64,
    },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (0..TRADERS, 1..10_000 * USDC).prop_map(|(trader, amount)| Step::Deposit { trader, amount }),
        (0..TRADERS, 1..10_000 * USDC).prop_map(|(trader, amount)| Step::Withdraw { trader, amount }),
        (0..TRADERS, -200 * BASE_PRECISION..200 * BASE_PRECISION)
            .prop_map(|(trader, delta)| Step::Trade { trader, delta }),
        (0..LPS, 1..100_000 * USDC).prop_map(|(lp, amount)| Step::LpDeposit { lp, amount }),
        (0..LPS, 1..=10_000u64).prop_map(|(lp, shares_bps)| Step::LpRequest { lp, shares_bps }),
        (0..LPS).prop_map(|lp| Step::LpWithdraw { lp }),
        (-60i64..60, 0i64..150).prop_map(|(move_pct, conf_bps)| Step::Price { move_pct, conf_bps }),
        (0..TRADERS, 0..TRADERS).prop_map(|(trader, liquidator)| Step::Liquidate { trader, liquidator }),
        (0..TRADERS, 0..=10_000u64).prop_map(|(trader, fund_bps)| Step::Cover { trader, fund_bps }),
        Just(Step::Sweep),
        (1i64..86_400).prop_map(|secs| Step::Elapse { secs }),
    ]
}

struct World {
    market: MarketLedger,
    traders: [TraderBalances; TRADERS],
    lp_shares: [u64; LPS],
    lp_requests: [ledger::LpExitRequest; LPS],
    vault: u64,
    fund_vault: u64,
    socializations: u64,
    deposited: u64,
    withdrawn: u64,
    price: OraclePrice,
    now: i64,
}

impl World {
    fn new() -> Self {
        Self {
            market: MarketLedger::default(),
            traders: [TraderBalances::default(); TRADERS],
            lp_shares: [0; LPS],
            lp_requests: [ledger::LpExitRequest::default(); LPS],
            vault: 0,
            fund_vault: FUND_SEED,
            socializations: 0,
            deposited: 0,
            withdrawn: 0,
            price: OraclePrice { price: 100 * PRICE_PRECISION, conf: 10_000, publish_time: 0 },
            now: 1_000,
        }
    }

    /// Applies a step; refusals leave everything as it was (the program's transaction would fail).
    fn apply(&mut self, step: &Step) {
        let params = params();
        match *step {
            Step::Deposit { trader, amount } => {
                if let Ok(books) = ledger::deposit(&self.traders[trader], &self.market, amount) {
                    self.commit_trader(trader, books);
                    self.vault += amount;
                    self.deposited += amount;
                }
            }
            Step::Withdraw { trader, amount } => {
                let price = Some(&self.price);
                if let Ok(books) = ledger::withdraw(&self.traders[trader], &self.market, amount, price, &params) {
                    self.commit_trader(trader, books);
                    self.vault -= amount;
                    self.withdrawn += amount;
                }
            }
            Step::Trade { trader, delta } => {
                if let Ok(outcome) = ledger::trade(
                    &self.traders[trader],
                    &self.market,
                    delta,
                    &self.price,
                    &params,
                    &ledger::TradeControls::base(&params),
                ) {
                    self.commit_trader(trader, outcome.books);
                }
            }
            Step::LpDeposit { lp, amount } => {
                if let Ok(outcome) = ledger::lp_deposit(&self.market, amount, &self.price) {
                    self.market = outcome.market;
                    self.lp_shares[lp] += outcome.shares;
                    self.vault += amount;
                    self.deposited += amount;
                }
            }
            Step::LpRequest { lp, shares_bps } => {
                let shares = u64::try_from(u128::from(self.lp_shares[lp]) * u128::from(shares_bps) / 10_000).unwrap();
                let (held, delay) = (self.lp_shares[lp], params.lp_exit_delay_secs);
                if let Ok(request) =
                    ledger::request_lp_withdraw(&self.market, shares, held, &self.price, self.now, delay)
                {
                    self.lp_requests[lp] = request;
                }
            }
            Step::LpWithdraw { lp } => {
                let request = self.lp_requests[lp];
                let (shares, imr) = (request.shares, params.initial_margin_bps);
                let (held, now) = (self.lp_shares[lp], self.now);
                if let Ok((outcome, left)) =
                    ledger::lp_withdraw(&self.market, shares, held, &request, &self.price, now, imr)
                {
                    assert!(outcome.amount <= request.value, "never more than the value at request");
                    self.lp_requests[lp] = left;
                    self.market = outcome.market;
                    self.lp_shares[lp] -= shares;
                    self.vault -= outcome.amount;
                    self.withdrawn += outcome.amount;
                }
            }
            Step::Liquidate { trader, liquidator } => {
                if trader == liquidator {
                    return;
                }
                let (a, b) = (&self.traders[trader], &self.traders[liquidator]);
                if let Ok(outcome) = ledger::liquidate(a, b, &self.market, &self.price, &params) {
                    assert!(outcome.liquidator_reward <= outcome.penalty_charged);
                    assert!(outcome.penalty_charged <= outcome.penalty_due);
                    self.traders[trader] = outcome.liquidatee;
                    self.traders[liquidator] = outcome.liquidator;
                    self.market = outcome.market;
                }
            }
            Step::Cover { trader, fund_bps } => {
                let available = u64::try_from(u128::from(self.fund_vault) * u128::from(fund_bps) / 10_000).unwrap();
                if let Ok(outcome) =
                    ledger::cover_bankruptcy(&self.traders[trader], &self.market, &self.price, available)
                {
                    let plan = outcome.plan;
                    assert_eq!(plan.fund + plan.lp_clawback + plan.socialized + plan.uncovered, outcome.deficit);
                    assert_eq!(outcome.books.trader.collateral, 0);
                    self.commit_trader(trader, outcome.books);
                    self.fund_vault -= plan.fund;
                    self.vault += plan.fund;
                    self.socializations += u64::from(plan.socialized > 0);
                }
            }
            Step::Elapse { secs } => {
                self.now += secs;
                self.market.accrue_funding(self.now, self.price.price, &params).unwrap();
            }
            Step::Sweep => {
                let sweep = ledger::sweep_fund_revenue(&self.market);
                self.market = sweep.market;
                self.vault -= sweep.fees + sweep.penalties;
                self.fund_vault += sweep.fees + sweep.penalties;
            }
            Step::Price { move_pct, conf_bps } => {
                let price = (self.price.price * (100 + move_pct) / 100).max(1_000);
                self.price = OraclePrice { price, conf: price * conf_bps / 10_000, publish_time: 0 };
            }
        }
    }

    fn commit_trader(&mut self, trader: usize, books: ledger::Books) {
        self.traders[trader] = books.trader;
        self.market = books.market;
    }

    fn check_books(&self) {
        let m = &self.market;
        assert_eq!(self.vault, m.vault_liability().unwrap(), "vault vs liability");
        assert_eq!(self.vault + self.fund_vault, FUND_SEED + self.deposited - self.withdrawn, "value conserved");
        // Socialized losses apply lazily: compare the market's totals with every account brought up to date.
        let current: Vec<i64> = self
            .traders
            .iter()
            .map(|t| t.collateral - i64::try_from(ledger::pending_social_loss(t, m).unwrap()).unwrap())
            .collect();
        let collateral: i64 = current.iter().sum();
        let dust = i64::try_from(self.socializations).unwrap() * i64::try_from(TRADERS).unwrap();
        assert!(m.total_collateral >= collateral && m.total_collateral - collateral <= dust, "collateral total");
        let positive: u64 = current.iter().map(|c| u64::try_from((*c).max(0)).unwrap()).sum();
        assert!(m.total_positive_collateral >= positive);
        let deficit: u64 =
            self.traders.iter().map(|t| if t.collateral < 0 { t.collateral.unsigned_abs() } else { 0 }).sum();
        assert_eq!(m.pending_deficit, deficit);
        let bankrupt: u64 = self
            .traders
            .iter()
            .filter(|t| t.position.is_flat() && t.collateral < 0)
            .map(|t| t.collateral.unsigned_abs())
            .sum();
        assert_eq!(m.bankrupt_deficit, bankrupt, "bankruptcies awaiting cover");
        // The review's F1 state: a deficit for the waterfall beside a claim on the pool the same account holds.
        assert!(self.traders.iter().all(|t| t.collateral >= 0 || t.unsettled_pnl == 0), "a claim beside a deficit");
        let long: u64 = self.traders.iter().map(|t| u64::try_from(t.position.base.max(0)).unwrap()).sum();
        let short: u64 = self.traders.iter().map(|t| t.position.base.min(0).unsigned_abs()).sum();
        assert_eq!((m.open_interest_long, m.open_interest_short), (long, short));
        assert_eq!(m.net_entry_notional, self.traders.iter().map(|t| t.position.entry_notional).sum::<i64>());
        assert_eq!(m.total_unsettled_pnl, self.traders.iter().map(|t| t.unsettled_pnl).sum::<u64>());
        assert_eq!(m.lp_shares, self.lp_shares.iter().sum::<u64>());
        assert!(m.pool_balance >= m.pending_deficit, "pool cash never pays out a loss it has not received");
        // The market's estimate of unsettled funding matches the accounts' own, to one atom each.
        let pending: i128 = self.traders.iter().map(|t| i128::from(ledger::pending_funding(t, m).unwrap())).sum();
        let estimate = m.unsettled_funding().unwrap();
        assert!((pending - estimate).abs() <= i128::try_from(TRADERS).unwrap(), "funding {pending} vs {estimate}");
    }

    /// Everyone leaves: close every position, cover every bankruptcy, withdraw all cash, redeem all shares.
    fn unwind(&mut self) {
        for trader in 0..TRADERS {
            let base = self.traders[trader].position.base;
            if base != 0 {
                self.apply(&Step::Trade { trader, delta: -base });
            }
            self.apply(&Step::Cover { trader, fund_bps: 10_000 });
        }
        for trader in 0..TRADERS {
            let base = self.traders[trader].position.base;
            if base != 0 {
                self.apply(&Step::Trade { trader, delta: -base });
            }
            let cash = u64::try_from(self.traders[trader].collateral.max(0)).unwrap();
            if cash > 0 {
                self.apply(&Step::Withdraw { trader, amount: cash });
            }
        }
        for lp in 0..LPS {
            self.apply(&Step::LpRequest { lp, shares_bps: 10_000 });
        }
        self.apply(&Step::Elapse { secs: i64::from(params().lp_exit_delay_secs) });
        for lp in 0..LPS {
            self.apply(&Step::LpWithdraw { lp });
        }
    }
}

/// Cases per run: fast by default, deeper with `BACKSTOP_PROPTEST_CASES=100000`.
fn config() -> ProptestConfig {
    let cases = std::env::var("BACKSTOP_PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(512);
    ProptestConfig::with_cases(cases)
}

fn sequence() -> impl Strategy<Value = Vec<Step>> {
    prop::collection::vec(step(), 1..120)
}

/// Runs one sequence, checking the books after every step, then everyone leaves.
fn run_sequence(steps: &[Step]) -> Result<(), TestCaseError> {
    let mut world = World::new();
    for step in steps {
        world.apply(step);
        world.check_books();
    }
    world.unwind();
    world.check_books();
    // What left can never exceed what came in; the difference is fees, bad debt and unsettled claims still
    // in the vault.
    prop_assert!(world.withdrawn <= world.deposited + (FUND_SEED - world.fund_vault.min(FUND_SEED)));
    prop_assert_eq!(world.deposited + FUND_SEED - world.withdrawn, world.vault + world.fund_vault);
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn books_balance_after_every_step_and_nothing_is_minted(steps in sequence()) {
        run_sequence(&steps)?;
    }
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.replace('_', "").parse().ok()).unwrap_or(default)
}

/// The long fuzz (docs/security.md): sequences until `BACKSTOP_FUZZ_STEPS` steps (default 1,000,000) have
/// run, from seed `BACKSTOP_FUZZ_SEED`; prints the steps, the seed and, on failure, the shrunk counterexample.
#[test]
#[ignore = "long: scripts/long-fuzz.sh runs it"]
fn long_fuzz_over_the_functional_core() {
    use proptest::test_runner::{RngAlgorithm, TestError, TestRng, TestRunner};
    use std::sync::atomic::{AtomicU64, Ordering};

    let target = env_u64("BACKSTOP_FUZZ_STEPS", 1_000_000);
    let seed = env_u64("BACKSTOP_FUZZ_SEED", 0x0000_bac5_709f);
    let mut seed_bytes = [0u8; 32];
    seed_bytes[..8].copy_from_slice(&seed.to_le_bytes());
    // 120-step sequences average ~60 steps: enough cases to pass the target, stopped early once it is reached.
    let cases = u32::try_from(target / 50 + 1).unwrap_or(u32::MAX);
    let config = ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() };
    let mut runner = TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &seed_bytes));
    let (steps_run, sequences) = (AtomicU64::new(0), AtomicU64::new(0));
    let started = std::time::Instant::now();
    let result = runner.run(&sequence(), |steps| {
        if steps_run.load(Ordering::Relaxed) >= target {
            return Ok(());
        }
        let outcome = run_sequence(&steps);
        if outcome.is_ok() {
            steps_run.fetch_add(steps.len() as u64, Ordering::Relaxed);
            sequences.fetch_add(1, Ordering::Relaxed);
        }
        outcome
    });
    let (steps, sequences) = (steps_run.load(Ordering::Relaxed), sequences.load(Ordering::Relaxed));
    println!(
        "functional core: {steps} steps in {sequences} sequences, seed {seed:#x}, {:.1} s",
        started.elapsed().as_secs_f64()
    );
    match result {
        Ok(()) => println!("no counterexample"),
        Err(TestError::Fail(reason, steps)) => panic!("counterexample ({reason}):\n{steps:#?}"),
        Err(error) => panic!("{error}"),
    }
    assert!(steps >= target, "ran {steps} of {target} steps");
}
