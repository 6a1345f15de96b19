//! The simulation report: per-step samples, totals that reconcile with on-chain state, JSON and Markdown.

use super::prices::PricePoint;
use super::reconcile::Audit;
use super::SimConfig;
use backstop::state::InsuranceFund;
use std::fmt::Write as _;

#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Sample {
    pub unix_ts: i64,
    pub price_e8: i64,
    /// The publishers' EMA the oracle carried (lagging the price as Pyth's does).
    pub ema_e8: i64,
    /// The print lay beyond the market's EMA band: liquidations ran at the band's edge, new risk was refused.
    pub beyond_ema_band: bool,
    pub fund_balance: u64,
    pub coverage_bps: u64,
    pub open_interest_notional: u64,
    pub liquidations: usize,
    pub bankruptcies: usize,
    /// Trades by traders during the step, and how many the market refused.
    pub trades: usize,
    pub trades_refused: usize,
    /// Whether a keeper ran this step (not during a downtime window).
    pub keeper_ran: bool,
    pub cumulative_fund_cover: u64,
    pub cumulative_lp_clawback: u64,
    pub cumulative_socialized: u64,
    pub cumulative_uncovered: u64,
    pub cumulative_fees: u64,
    /// The fund's lifetime inflows by source (swept fees, swept liquidation penalties).
    pub fund_inflow_fees: u64,
    pub fund_inflow_penalties: u64,
    pub funding_rate_ppb: i64,
    /// The market's stressed deficit at its target shock after the keeper's round, from its bankruptcy book, and
    /// the fund's adequacy against it (bps, `u64::MAX` with nothing at stake).
    #[serde(default)]
    pub stressed_deficit: u64,
    #[serde(default)]
    pub adequacy_bps: u64,
}

/// Totals, all in quote atoms (6 decimals) unless named otherwise.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Totals {
    pub steps: usize,
    /// Traders whose opening order the market accepted (the rest stayed flat).
    pub traders_opened: usize,
    /// Trades during the replay, and how many were refused.
    pub trades: usize,
    pub trades_refused: usize,
    pub liquidations: usize,
    pub bankruptcies: usize,
    /// Steps whose print lay beyond the EMA band, and the liquidations made in them.
    pub steps_beyond_ema_band: usize,
    pub liquidations_beyond_ema_band: usize,
    pub fund_start: u64,
    pub fund_end: u64,
    /// Fee and penalty revenue swept into the fund during the run.
    pub fund_inflows: u64,
    /// Deficits the fund paid during the run (in every market it backs).
    pub fund_covers: u64,
    /// Of those, what this market drew (all of them when the fund backs one market).
    #[serde(default)]
    pub market_fund_cover: u64,
    /// fund_start + stakes + fund_inflows − fund_covers − unstakes − fund_end: zero when the fund closes to the unit.
    pub reconciliation_error: i128,
    /// Liquidations and covers of the keeper's last round, after the replay (a keeper back after any downtime).
    pub final_round_liquidations: usize,
    pub final_round_covers: usize,
    /// The fund's highest balance so far (after sweeps too), from which drawdown is measured.
    pub fund_peak: u64,
    /// Cash deficits of accounts still holding a position at the end (solvent on their unrealized profit).
    pub pending_deficit_at_end: u64,
    pub max_fund_drawdown: u64,
    pub min_coverage_bps: u64,
    pub lp_clawback: u64,
    pub socialized_loss: u64,
    pub uncovered: u64,
    pub fees_collected: u64,
    /// The staker's exit, when `--stakers-exit-at` asked for one.
    #[serde(default)]
    pub staker_exit: super::stress::StakerExit,
    pub price_min_e8: i64,
    pub price_max_e8: i64,
    /// The market's crash deficit predicted at the start from its bankruptcy book: what its positions would leave
    /// unpaid had the series' lowest price (for longs) or highest (for shorts) come at once, before any
    /// liquidation. Against it, what the replay realised ([`Totals::realised_deficit`]).
    #[serde(default)]
    pub predicted_deficit: u64,
    /// The largest stressed deficit at the market's target shock over the replay, and the fund's lowest adequacy
    /// against it (bps; `u64::MAX` when nothing was ever at stake).
    #[serde(default)]
    pub max_stressed_deficit: u64,
    #[serde(default)]
    pub min_adequacy_bps: u64,
}

impl Totals {
    /// Every bankruptcy's deficit in this market, whoever bore it: the fund, the pool, traders, or nobody.
    pub fn realised_deficit(&self) -> u64 {
        self.market_fund_cover
            .saturating_add(self.lp_clawback)
            .saturating_add(self.socialized_loss)
            .saturating_add(self.uncovered)
    }

    /// The totals of several markets backed by one fund in one run, as one: what happened in the markets summed,
    /// the fund's figures (the same in each market's report) taken once. Prices and step counts are market 0's.
    pub fn joint(reports: &[Report]) -> Self {
        let Some(first) = reports.first() else { return Self::default() };
        let mut joint = first.totals.clone();
        for other in &reports[1..] {
            let (j, o) = (&mut joint, &other.totals);
            j.traders_opened += o.traders_opened;
            j.trades += o.trades;
            j.trades_refused += o.trades_refused;
            j.liquidations += o.liquidations;
            j.bankruptcies += o.bankruptcies;
            j.steps_beyond_ema_band += o.steps_beyond_ema_band;
            j.liquidations_beyond_ema_band += o.liquidations_beyond_ema_band;
            j.final_round_liquidations += o.final_round_liquidations;
            j.final_round_covers += o.final_round_covers;
            j.market_fund_cover += o.market_fund_cover;
            j.pending_deficit_at_end += o.pending_deficit_at_end;
            j.lp_clawback += o.lp_clawback;
            j.socialized_loss += o.socialized_loss;
            j.uncovered += o.uncovered;
            j.fees_collected += o.fees_collected;
            j.predicted_deficit += o.predicted_deficit;
            // Each market's worst, summed: at most what they reached together.
            j.max_stressed_deficit += o.max_stressed_deficit;
            j.min_adequacy_bps = j.min_adequacy_bps.min(o.min_adequacy_bps);
        }
        joint
    }
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Report {
    pub config: SimConfig,
    pub series_rows: usize,
    /// The whole series' price range, whatever the keeper saw of it.
    pub series_price_min_e8: i64,
    pub series_price_max_e8: i64,
    /// Median seconds between the replayed steps (the keeper acts once per step).
    pub step_secs: i64,
    /// How many markets the fund backed in this run (this report is one of them).
    pub markets_backed: usize,
    /// The seed this market's traders were drawn from (the run's seed for market 0; see `replay::market_seed`): a
    /// run of this market alone with this seed meets the same population.
    pub trader_seed: u64,
    /// Every market parameter the run used, by name (the CLI's names).
    pub market_params: Vec<(&'static str, u64)>,
    pub samples: Vec<Sample>,
    pub totals: Totals,
    /// The run's own audit: vaults against books, every cover's waterfall, keeper failures by reason.
    pub audit: Audit,
}

impl Report {
    /// The report of one market replaying `series` at the times of `timeline`.
    pub fn new(config: &SimConfig, series: &[PricePoint], timeline: &[i64], fund_start: u64) -> Self {
        let mut gaps: Vec<i64> = timeline.windows(2).map(|w| w[1] - w[0]).collect();
        gaps.sort_unstable();
        Self {
            config: *config,
            series_rows: series.len(),
            series_price_min_e8: series.iter().map(|p| p.price_e8).min().unwrap_or(0),
            series_price_max_e8: series.iter().map(|p| p.price_e8).max().unwrap_or(0),
            step_secs: gaps.get(gaps.len() / 2).copied().unwrap_or(0),
            audit: Audit::default(),
            markets_backed: 1,
            trader_seed: config.seed,
            market_params: Vec::new(),
            samples: Vec::with_capacity(timeline.len()),
            totals: Totals {
                fund_start,
                min_coverage_bps: u64::MAX,
                min_adequacy_bps: u64::MAX,
                price_min_e8: i64::MAX,
                ..Default::default()
            },
        }
    }

    pub fn record(&mut self, sample: Sample) {
        let t = &mut self.totals;
        t.steps += 1;
        t.liquidations += sample.liquidations;
        t.trades += sample.trades;
        t.trades_refused += sample.trades_refused;
        t.bankruptcies += sample.bankruptcies;
        if sample.beyond_ema_band {
            t.steps_beyond_ema_band += 1;
            t.liquidations_beyond_ema_band += sample.liquidations;
        }
        t.min_coverage_bps = t.min_coverage_bps.min(sample.coverage_bps);
        t.max_stressed_deficit = t.max_stressed_deficit.max(sample.stressed_deficit);
        t.min_adequacy_bps = t.min_adequacy_bps.min(sample.adequacy_bps);
        if sample.keeper_ran {
            t.price_min_e8 = t.price_min_e8.min(sample.price_e8);
            t.price_max_e8 = t.price_max_e8.max(sample.price_e8);
        }
        // A drawdown is what the fund lost, not what its stakers took out: what they withdrew counts as still held.
        let held = sample.fund_balance.saturating_add(t.staker_exit.paid);
        t.fund_peak = t.fund_peak.max(t.fund_start);
        t.max_fund_drawdown = t.max_fund_drawdown.max(t.fund_peak.saturating_sub(held));
        t.fund_peak = t.fund_peak.max(held);
        t.lp_clawback = sample.cumulative_lp_clawback;
        t.socialized_loss = sample.cumulative_socialized;
        t.uncovered = sample.cumulative_uncovered;
        t.fees_collected = sample.cumulative_fees;
        self.samples.push(sample);
    }

    /// A sweep refilled the fund to `balance`: a new peak for the drawdown that follows.
    pub fn after_sweep(&mut self, balance: u64) {
        self.totals.fund_peak = self.totals.fund_peak.max(balance);
    }

    /// The keeper's last round after the replay.
    pub fn record_final_round(&mut self, round: &backstop_app::RoundReport) {
        self.totals.final_round_liquidations = round.liquidated.len();
        self.totals.final_round_covers = round.covered.len();
        self.totals.liquidations += round.liquidated.len();
        self.totals.bankruptcies += round.covered.len();
    }

    /// Closes the totals against the fund's own lifetime counters and the market's waterfall counters at the end
    /// (the keeper's last round after the replay counts: a loss it socialized is a loss).
    pub fn close(&mut self, start: &InsuranceFund, end: &InsuranceFund, market: &backstop::state::Market) {
        let t = &mut self.totals;
        t.lp_clawback = market.cumulative_lp_clawback;
        t.socialized_loss = market.cumulative_socialized;
        t.uncovered = market.cumulative_uncovered;
        t.fees_collected = market.cumulative_fees;
        t.fund_end = end.book.balance;
        t.fund_inflows = (end.inflow_fees + end.inflow_penalties) - (start.inflow_fees + start.inflow_penalties);
        t.fund_covers = end.deficits_covered - start.deficits_covered;
        let stakes = i128::from(end.inflow_stakes) - i128::from(start.inflow_stakes);
        let unstakes = i128::from(end.outflow_unstakes) - i128::from(start.outflow_unstakes);
        t.reconciliation_error = i128::from(t.fund_start) + stakes + i128::from(t.fund_inflows)
            - i128::from(t.fund_covers)
            - unstakes
            - i128::from(t.fund_end);
        if t.steps == 0 {
            t.min_coverage_bps = 0;
        }
        if t.price_min_e8 == i64::MAX {
            // The keeper never ran: it saw no price.
            (t.price_min_e8, t.price_max_e8) = (0, 0);
        }
    }

    pub fn markdown(&self, title: &str) -> String {
        let t = &self.totals;
        let usd = super::format::dollars_and_cents;
        let price = |e8: i64| format!("{}.{:04}", e8 / 100_000_000, e8 % 100_000_000 / 10_000);
        let mut out = String::new();
        let _ = writeln!(out, "# Backstop crash simulation: {title}\n");
        let _ = writeln!(
            out,
            "{} traders (up to {}.{}x, {} % long), LP pool ${}, fund ${}; {} of {} price rows replayed (one keeper \
             round every {} s), seed {}; engine: {}.\n",
            self.config.traders,
            self.config.max_leverage_tenths / 10,
            self.config.max_leverage_tenths % 10,
            self.config.long_pct,
            self.config.lp_capital,
            self.config.fund_capital,
            t.steps,
            self.series_rows,
            self.step_secs,
            self.config.seed,
            super::format::engine_words(self.config.engine)
        );
        let s = &self.config.stress;
        let down = s.keeper_down_minutes.map_or("never".to_string(), |(a, b)| format!("minutes {a}–{b}"));
        let _ = writeln!(
            out,
            "Stress: keeper latency {} s, keeper down {down}, oracle {} s late, {} trades per step, fund {}, staker \
             {}.\n",
            s.keeper_latency_secs,
            s.oracle_delay_secs,
            s.trades_per_step,
            if s.fund_buffer_only { "fed by its buffer only (no revenue swept in)" } else { "fed by swept revenue" },
            s.staker_exit_drawdown_pct
                .map_or("stays".to_string(), |pct| format!("asks to leave at a {pct} % drawdown"))
        );
        if self.markets_backed > 1 {
            let _ = writeln!(
                out,
                "One fund backs {} markets in this run, on the same day: the fund's rows (its balance, inflows, what \
                 it paid, drawdown, coverage over every market's open interest, reconciliation, the staker) are the \
                 fund's across all of them; this market drew {} of what it paid. Its traders were drawn from seed {} \
                 (a run of this market alone with that seed meets the same population).\n",
                self.markets_backed,
                usd(t.market_fund_cover),
                self.trader_seed
            );
        }
        let _ = writeln!(out, "| measure | value |\n|---|---|");
        let rows = [
            ("price range seen by the keeper", format!("{} – {}", price(t.price_min_e8), price(t.price_max_e8))),
            (
                "price range of the whole series",
                format!("{} – {}", price(self.series_price_min_e8), price(self.series_price_max_e8)),
            ),
            ("traders who opened / all", format!("{} / {}", t.traders_opened, self.config.traders)),
            ("trades during the replay / refused", format!("{} / {}", t.trades, t.trades_refused)),
            ("liquidations", t.liquidations.to_string()),
            ("bankruptcies covered", t.bankruptcies.to_string()),
            (
                "steps beyond the EMA band / liquidations in them",
                format!("{} / {}", t.steps_beyond_ema_band, t.liquidations_beyond_ema_band),
            ),
            ("fund at start / end", format!("{} / {}", usd(t.fund_start), usd(t.fund_end))),
            ("fund inflows (fees + penalties)", usd(t.fund_inflows)),
            ("deficits paid by the fund (every market it backs)", usd(t.fund_covers)),
            ("fund max drawdown (from its peak, sweeps included, withdrawals not)", usd(t.max_fund_drawdown)),
            (
                "minimum coverage ratio (before each keeper round, net of deficits awaiting cover)",
                format!("{:.2} %", t.min_coverage_bps as f64 / 100.0),
            ),
            (
                "crash deficit predicted at the start (the book, at the series' lowest and highest prices at once) / \
                 realised (every bankruptcy, whoever bore it)",
                format!("{} / {}", usd(t.predicted_deficit), usd(t.realised_deficit())),
            ),
            (
                "largest stressed deficit at the target shock / the fund's lowest adequacy against it",
                format!("{} / {}", usd(t.max_stressed_deficit), super::format::ratio_bps(t.min_adequacy_bps)),
            ),
            ("LP clawback", usd(t.lp_clawback)),
            ("socialized loss", usd(t.socialized_loss)),
            ("uncovered", usd(t.uncovered)),
            ("trading fees collected", usd(t.fees_collected)),
            (
                "keeper's last round after the replay: liquidations / covers",
                format!("{} / {}", t.final_round_liquidations, t.final_round_covers),
            ),
            (
                "fund reconciliation (start + stakes + in − covers − unstakes − end)",
                format!("{} atoms", t.reconciliation_error),
            ),
            (
                "audit: steps and covers checked, findings",
                format!("{} / {} / {}", self.audit.steps_checked, self.audit.covers_checked, self.audit.findings.len()),
            ),
            ("keeper failures by reason", failures(&self.audit)),
            (
                "staker's exit: asked to leave / its shares' value then / paid / request served (every share burned)",
                exit(&t.staker_exit),
            ),
        ];
        for (name, value) in rows {
            let _ = writeln!(out, "| {name} | {value} |");
        }
        for finding in &self.audit.findings {
            let _ = writeln!(out, "\n**Audit finding**: {finding}");
        }
        out
    }
}

fn exit(exit: &super::stress::StakerExit) -> String {
    let usd = super::format::dollars_and_cents;
    let at = |ts: Option<i64>| {
        ts.map_or("never".to_string(), |ts| format!("{} {}", super::format::utc_date(ts), super::format::utc_clock(ts)))
    };
    match exit.requested_at {
        None => "no request".to_string(),
        Some(_) => format!(
            "{} / {} / {} / {}",
            at(exit.requested_at),
            usd(exit.requested_value),
            usd(exit.paid),
            at(exit.completed_at)
        ),
    }
}

fn failures(audit: &Audit) -> String {
    if audit.keeper_failures.is_empty() {
        return "none".to_string();
    }
    audit.keeper_failures.iter().map(|(reason, count)| format!("{reason} × {count}")).collect::<Vec<_>>().join(", ")
}
