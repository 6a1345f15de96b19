//! The replay, on either engine, of one market or of several backed by one fund on the same day: traders open at
//! the first prices, then each step publishes every market's print, lets traders trade, measures the fund's
//! coverage, runs the keeper, audits and records; a last keeper round and sweep close the books. Each market gets
//! its own report (its prices, positions, liquidations and waterfall); the fund's figures are the same in each.

use super::engine::Engine;
use super::prices::{PricePoint, Rng};
use super::report::{Report, Sample};
use super::{conf_of, readings, reconcile, stress, SimConfig};
use backstop::state::Market;
use backstop_app::RoundReport;
use backstop_math::params::MarketParams;
use backstop_tests::USDC;

/// Steps between the simulation's sweeps of fund revenue (the keeper's own default is every 10 rounds).
const SWEEP_EVERY: usize = 5;

/// One market's step before the keeper acts.
struct Shown {
    /// The series' price at the step, and the print the oracle showed (later when the oracle is delayed).
    price_e8: i64,
    shown_e8: i64,
    ema_e8: i64,
    activity: stress::Activity,
}

/// A replay in progress.
struct Replay<'a, E: Engine> {
    engine: E,
    config: &'a SimConfig,
    markets: &'a [Vec<PricePoint>],
    /// Each market's traders, and the draws that decide how they trade.
    traders: Vec<Vec<stress::Trader>>,
    rngs: Vec<Rng>,
    reports: Vec<Report>,
    /// What each market's vault and counters held when the replay began.
    start: Vec<reconcile::Holdings>,
}

/// Runs the replay over `timeline` (the steps' times); a report per market of `markets`.
pub(super) async fn replay<E: Engine>(
    mut engine: E,
    config: &SimConfig,
    params: MarketParams,
    markets: &[Vec<PricePoint>],
    timeline: &[i64],
    mut on_step: impl FnMut(usize, usize),
) -> Result<Vec<Report>, String> {
    let first = *timeline.first().ok_or("no step to replay")?;
    let mut rngs: Vec<Rng> = (0..markets.len()).map(|m| Rng::new(market_seed(config.seed, m))).collect();
    let mut traders = Vec::with_capacity(markets.len());
    let mut opened = Vec::with_capacity(markets.len());
    // A keeper round before anyone trades refreshes every market, so the opening trades give the fund the share
    // the market's state sets, not the cautious share of a market never refreshed.
    engine.keeper_round(0).await?;
    for (market, series) in markets.iter().enumerate() {
        let price = stress::delayed_price(series, first, 0) / 100;
        let (population, count) = open_positions(&mut engine, market, config, &mut rngs[market], price).await?;
        traders.push(population);
        opened.push(count);
    }
    let start_fund = engine.fund().await?;
    let rules: Vec<(&'static str, u64)> =
        backstop_math::governance::RULES.iter().map(|r| (r.name, (r.read)(&params))).collect();
    let mut reports = Vec::with_capacity(markets.len());
    for (market, series) in markets.iter().enumerate() {
        let mut report = Report::new(config, series, timeline, start_fund.book.balance);
        report.market_params.clone_from(&rules);
        report.markets_backed = markets.len();
        report.audit.fund_audited_elsewhere = market > 0;
        report.trader_seed = market_seed(config.seed, market);
        report.totals.traders_opened = opened[market];
        reports.push(report);
    }
    let (start, start_markets) = readings::holdings(&mut engine).await?;
    for (m, (report, market)) in reports.iter_mut().zip(&start_markets).enumerate() {
        let (low, high) = (report.series_price_min_e8 / 100, report.series_price_max_e8 / 100);
        report.totals.predicted_deficit = readings::predicted_deficit(&mut engine, m, market, low, high).await?;
    }
    let mut run = Replay { engine, config, markets, traders, rngs, reports, start };
    let t0 = run.engine.now();
    for (n, unix_ts) in timeline.iter().enumerate() {
        run.step(t0 + (unix_ts - first), *unix_ts, unix_ts - first, n).await?;
        on_step(n + 1, timeline.len());
    }
    run.close(timeline[timeline.len() - 1], &start_fund).await?;
    Ok(run.reports)
}

impl<E: Engine> Replay<'_, E> {
    /// One step at `unix_ts` of the series (`at` on the engine's clock, `elapsed` since the first step).
    async fn step(&mut self, at: i64, unix_ts: i64, elapsed: i64, n: usize) -> Result<(), String> {
        if at > self.engine.now() {
            self.engine.set_clock(at).await;
        }
        let shown = self.publish_and_trade(unix_ts).await?;
        // Coverage as the move left it, before the keeper acts: the fund net of deficits already awaiting it.
        let prices: Vec<i64> = shown.iter().map(|s| s.price_e8 / 100).collect();
        let coverage_bps = readings::coverage_before_keeper(&mut self.engine, &prices).await?;
        let keeper_ran = self.config.stress.keeper_up(elapsed);
        let rounds = if keeper_ran {
            // The keeper acts `keeper_latency_secs` after the print (its round begins with the breaker poke, so
            // funding accrues with real elapsed time between steps).
            let late = at + i64::from(self.config.stress.keeper_latency_secs);
            if late > self.engine.now() {
                self.engine.set_clock(late).await;
            }
            // Markets take turns at being covered first.
            self.keeper_round(n % self.markets.len()).await?
        } else {
            vec![RoundReport::default(); self.markets.len()]
        };
        let markets = self.audit(unix_ts).await?;
        let fund = self.engine.fund().await?;
        let mut risks = Vec::with_capacity(markets.len());
        for (m, market) in markets.iter().enumerate() {
            risks.push(readings::crash_risk(&mut self.engine, m, market, fund.book.balance).await?);
        }
        for (m, ((step, round), market)) in shown.iter().zip(&rounds).zip(&markets).enumerate() {
            let (stressed_deficit, adequacy_bps) = risks[m];
            self.reports[m].record(Sample {
                unix_ts,
                price_e8: step.price_e8,
                ema_e8: step.ema_e8,
                beyond_ema_band: beyond_band(step.shown_e8, step.ema_e8, market.params.oracle_max_ema_divergence_bps),
                fund_balance: fund.book.balance,
                coverage_bps,
                open_interest_notional: market.books.open_interest_notional(step.price_e8 / 100),
                liquidations: round.liquidated.len(),
                bankruptcies: round.covered.len(),
                trades: step.activity.trades,
                trades_refused: step.activity.refused,
                keeper_ran,
                cumulative_fund_cover: market.cumulative_fund_cover,
                cumulative_lp_clawback: market.cumulative_lp_clawback,
                cumulative_socialized: market.cumulative_socialized,
                cumulative_uncovered: market.cumulative_uncovered,
                cumulative_fees: market.cumulative_fees,
                fund_inflow_fees: fund.inflow_fees,
                fund_inflow_penalties: fund.inflow_penalties,
                funding_rate_ppb: market.books.funding_rate_ppb,
                stressed_deficit,
                adequacy_bps,
            });
        }
        if let Some(pct) = self.config.stress.staker_exit_drawdown_pct {
            self.staker_exits(pct, fund.book.balance, unix_ts).await?;
        }
        if (n + 1).is_multiple_of(SWEEP_EVERY) && !self.config.stress.fund_buffer_only {
            self.sweep().await?;
        }
        Ok(())
    }

    /// Every market's oracle shows its print (`oracle_delay_secs` late; by default on time), then traders trade.
    async fn publish_and_trade(&mut self, unix_ts: i64) -> Result<Vec<Shown>, String> {
        let delay = self.config.stress.oracle_delay_secs;
        let mut shown = Vec::with_capacity(self.markets.len());
        for (m, series) in self.markets.iter().enumerate() {
            let shown_e8 = stress::delayed_price(series, unix_ts, delay);
            self.engine.set_price(m, shown_e8, conf_of(shown_e8, self.config.conf_bps)).await;
            let ema_e8 = self.engine.ema_e8(m).unwrap_or(shown_e8);
            let price_e8 = stress::delayed_price(series, unix_ts, 0);
            shown.push(Shown { price_e8, shown_e8, ema_e8, activity: stress::Activity::default() });
        }
        let per_step = self.config.stress.trades_per_step;
        for (m, step) in shown.iter_mut().enumerate() {
            let price = step.price_e8 / 100;
            let (traders, rng) = (&self.traders[m], &mut self.rngs[m]);
            step.activity = stress::trade_some(&mut self.engine, traders, rng, per_step, price).await?;
        }
        Ok(shown)
    }

    /// One keeper round over every market, `first` first; its failures counted by reason.
    async fn keeper_round(&mut self, first: usize) -> Result<Vec<RoundReport>, String> {
        let rounds = self.engine.keeper_round(first).await?;
        for (report, round) in self.reports.iter_mut().zip(&rounds) {
            for failure in &round.failed {
                report.audit.keeper_failure(&failure.reason);
            }
        }
        Ok(rounds)
    }

    /// The audit of one step: every cover since the last, each vault against its books, the markets' counters
    /// against the fund's, every account against its market's totals. The markets as the audit read them.
    async fn audit(&mut self, unix_ts: i64) -> Result<Vec<Market>, String> {
        for (m, cover) in self.engine.take_covers() {
            match self.reports.get_mut(m) {
                Some(report) => report.audit.cover(&cover),
                None => self.reports[0].audit.find(format!("t={unix_ts}: a cover in a market the run does not hold")),
            }
        }
        let (holdings, markets) = readings::holdings(&mut self.engine).await?;
        for (m, (now, market)) in holdings.iter().zip(&markets).enumerate() {
            self.reports[m].audit.step(unix_ts, now, &self.start[m]);
            let accounts = self.engine.margin_accounts(m).await?;
            self.reports[m].audit.books(unix_ts, &accounts, &market.books);
        }
        Ok(markets)
    }

    /// The fund's staker leaves as the fund draws (one staker, one fund: every market's report shows its exit).
    async fn staker_exits(&mut self, pct: u32, balance: u64, unix_ts: i64) -> Result<(), String> {
        let drawn = (self.reports[0].totals.fund_peak, balance);
        let mut exit = self.reports[0].totals.staker_exit;
        stress::staker_exits(&mut self.engine, pct, drawn, unix_ts, &mut exit).await?;
        for report in &mut self.reports {
            report.totals.staker_exit = exit;
        }
        Ok(())
    }

    /// Sweeps every market's fund revenue into the fund.
    async fn sweep_markets(&mut self) -> Result<(), String> {
        for m in 0..self.markets.len() {
            sweep(&mut self.engine, m, &mut self.reports[m]).await?;
        }
        Ok(())
    }

    /// Sweeps every market's fund revenue; a new peak for the drawdown that follows.
    async fn sweep(&mut self) -> Result<(), String> {
        self.sweep_markets().await?;
        let balance = self.engine.fund().await?.book.balance;
        for report in &mut self.reports {
            report.after_sweep(balance.saturating_add(report.totals.staker_exit.paid));
        }
        Ok(())
    }

    /// A keeper comes back after any downtime: one last round, so no deficit is left waiting for a cover; the
    /// fund's revenue swept so the totals close; the last audit; the totals closed against the fund's counters.
    async fn close(&mut self, last_ts: i64, start_fund: &backstop::state::InsuranceFund) -> Result<(), String> {
        let turn = self.reports[0].samples.len() % self.markets.len();
        let last = self.keeper_round(turn).await?;
        for (report, round) in self.reports.iter_mut().zip(&last) {
            report.record_final_round(round);
        }
        if !self.config.stress.fund_buffer_only {
            self.sweep_markets().await?;
        }
        let markets = self.audit(last_ts).await?;
        let end_fund = self.engine.fund().await?;
        for (m, market) in markets.iter().enumerate() {
            let report = &mut self.reports[m];
            report.close(start_fund, &end_fund, market);
            report.totals.market_fund_cover = market.cumulative_fund_cover.saturating_sub(self.start[m].layers[0]);
            report.totals.pending_deficit_at_end = market.books.pending_deficit;
            let error = report.totals.reconciliation_error;
            report.audit.close(error, market.books.bankrupt_deficit);
        }
        Ok(())
    }
}

/// The seed of market `m`'s traders in a run seeded `seed`: each market draws its own population and its own trades,
/// so market `m` of a run of several meets the traders a run of that market alone seeded `market_seed(seed, m)`
/// meets, trading the same way at each step both replay. Market 0's is the run's seed.
pub fn market_seed(seed: u64, m: usize) -> u64 {
    seed.wrapping_add(u64::try_from(m).unwrap_or(u64::MAX).wrapping_mul(MARKET_SEED_STRIDE))
}

/// Far from the seeds a sweep uses, so within a sweep no market of one run draws the population of another run's.
const MARKET_SEED_STRIDE: u64 = 1_000_000;

/// Every trader of `market` deposits and opens at the first price; returns them and how many the market let open
/// (a trader whose order is refused, e.g. drawn too close to the leverage limit once fees count, keeps its
/// collateral flat, and the report says how many did).
async fn open_positions(
    engine: &mut impl Engine,
    market: usize,
    config: &SimConfig,
    rng: &mut Rng,
    price: i64,
) -> Result<(Vec<stress::Trader>, usize), String> {
    let mut traders = Vec::with_capacity(config.traders);
    let mut opened = 0;
    for _ in 0..config.traders {
        let collateral = config.min_collateral + rng.below(config.max_collateral - config.min_collateral + 1);
        let leverage_tenths = 10 + rng.below(config.max_leverage_tenths.saturating_sub(10) + 1);
        let long = rng.below(100) < config.long_pct;
        let index = engine.add_trader(market, collateral * USDC).await?;
        let base = stress::size_for(collateral * USDC, leverage_tenths, price, long);
        if engine.trade(index, base).await {
            opened += 1;
        }
        traders.push(stress::Trader { index, leverage_tenths, long });
    }
    Ok((traders, opened))
}

/// Moves `market`'s accrued fund revenue into the fund; the audit notes a sweep that leaves revenue behind.
async fn sweep(engine: &mut impl Engine, market: usize, report: &mut Report) -> Result<(), String> {
    let books = engine.market(market).await?.books;
    if books.fund_fee_accrued + books.fund_penalty_accrued == 0 {
        return Ok(());
    }
    if let Err(error) = engine.settle_fund_revenue(market).await {
        report.audit.find(format!("t={}: the fund-revenue sweep failed: {error}", engine.now()));
    }
    let left = engine.market(market).await?.books;
    if left.fund_fee_accrued + left.fund_penalty_accrued != 0 {
        report.audit.find(format!("t={}: a sweep left fund revenue in the market", engine.now()));
    }
    Ok(())
}

/// Whether a print lies beyond `bps` of its EMA (the guard's own test, at the published exponent).
fn beyond_band(price_e8: i64, ema_e8: i64, bps: u32) -> bool {
    bps > 0 && i128::from(price_e8 - ema_e8).abs() > i128::from(ema_e8) * i128::from(bps) / 10_000
}
