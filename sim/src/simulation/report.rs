//! The simulation report: per-step samples, totals that reconcile with on-chain state, JSON and Markdown.

use super::prices::PricePoint;
use super::SimConfig;
use backstop::state::InsuranceFund;
use std::fmt::Write as _;
use std::path::Path;

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
    pub cumulative_fund_cover: u64,
    pub cumulative_lp_clawback: u64,
    pub cumulative_socialized: u64,
    pub cumulative_uncovered: u64,
    pub cumulative_fees: u64,
    pub funding_rate_ppb: i64,
}

/// Totals, all in quote atoms (6 decimals) unless named otherwise.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Totals {
    pub steps: usize,
    pub liquidations: usize,
    pub bankruptcies: usize,
    /// Steps whose print lay beyond the EMA band, and the liquidations made in them.
    pub steps_beyond_ema_band: usize,
    pub liquidations_beyond_ema_band: usize,
    pub fund_start: u64,
    pub fund_end: u64,
    /// Fee and penalty revenue swept into the fund during the run.
    pub fund_inflows: u64,
    /// Deficits the fund paid during the run.
    pub fund_covers: u64,
    /// fund_start + fund_inflows − fund_covers − fund_end: zero when the books close to the unit.
    pub reconciliation_error: i128,
    pub max_fund_drawdown: u64,
    pub min_coverage_bps: u64,
    pub lp_clawback: u64,
    pub socialized_loss: u64,
    pub uncovered: u64,
    pub fees_collected: u64,
    pub price_min_e8: i64,
    pub price_max_e8: i64,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Report {
    pub config: SimConfig,
    pub series_rows: usize,
    pub samples: Vec<Sample>,
    pub totals: Totals,
}

impl Report {
    pub fn new(config: &SimConfig, series: &[PricePoint], steps: &[usize], fund_start: u64) -> Self {
        Self {
            config: *config,
            series_rows: series.len(),
            samples: Vec::with_capacity(steps.len()),
            totals: Totals { fund_start, min_coverage_bps: u64::MAX, price_min_e8: i64::MAX, ..Default::default() },
        }
    }

    pub fn record(&mut self, sample: Sample) {
        let t = &mut self.totals;
        t.steps += 1;
        t.liquidations += sample.liquidations;
        t.bankruptcies += sample.bankruptcies;
        if sample.beyond_ema_band {
            t.steps_beyond_ema_band += 1;
            t.liquidations_beyond_ema_band += sample.liquidations;
        }
        t.min_coverage_bps = t.min_coverage_bps.min(sample.coverage_bps);
        t.price_min_e8 = t.price_min_e8.min(sample.price_e8);
        t.price_max_e8 = t.price_max_e8.max(sample.price_e8);
        let peak = self.samples.iter().map(|s| s.fund_balance).max().unwrap_or(t.fund_start).max(t.fund_start);
        t.max_fund_drawdown = t.max_fund_drawdown.max(peak.saturating_sub(sample.fund_balance));
        t.lp_clawback = sample.cumulative_lp_clawback;
        t.socialized_loss = sample.cumulative_socialized;
        t.uncovered = sample.cumulative_uncovered;
        t.fees_collected = sample.cumulative_fees;
        self.samples.push(sample);
    }

    /// Closes the totals against the fund's own lifetime counters.
    pub fn close(&mut self, start: &InsuranceFund, end: &InsuranceFund) {
        let t = &mut self.totals;
        t.fund_end = end.book.balance;
        t.fund_inflows = (end.inflow_fees + end.inflow_penalties) - (start.inflow_fees + start.inflow_penalties);
        t.fund_covers = end.deficits_covered - start.deficits_covered;
        t.reconciliation_error =
            i128::from(t.fund_start) + i128::from(t.fund_inflows) - i128::from(t.fund_covers) - i128::from(t.fund_end);
        if t.steps == 0 {
            t.min_coverage_bps = 0;
        }
    }

    pub fn markdown(&self, title: &str) -> String {
        let t = &self.totals;
        let usd = |atoms: u64| format!("${}.{:02}", atoms / 1_000_000, atoms % 1_000_000 / 10_000);
        let price = |e8: i64| format!("{}.{:04}", e8 / 100_000_000, e8 % 100_000_000 / 10_000);
        let mut out = String::new();
        let _ = writeln!(out, "# Backstop crash simulation: {title}\n");
        let _ = writeln!(
            out,
            "{} traders (up to {}.{}x, {} % long), LP pool ${}, fund ${}; {} of {} price rows replayed, seed {}.\n",
            self.config.traders,
            self.config.max_leverage_tenths / 10,
            self.config.max_leverage_tenths % 10,
            self.config.long_pct,
            self.config.lp_capital,
            self.config.fund_capital,
            t.steps,
            self.series_rows,
            self.config.seed
        );
        let _ = writeln!(out, "| measure | value |\n|---|---|");
        let rows = [
            ("price range", format!("{} – {}", price(t.price_min_e8), price(t.price_max_e8))),
            ("liquidations", t.liquidations.to_string()),
            ("bankruptcies covered", t.bankruptcies.to_string()),
            (
                "steps beyond the EMA band / liquidations in them",
                format!("{} / {}", t.steps_beyond_ema_band, t.liquidations_beyond_ema_band),
            ),
            ("fund at start / end", format!("{} / {}", usd(t.fund_start), usd(t.fund_end))),
            ("fund inflows (fees + penalties)", usd(t.fund_inflows)),
            ("deficits paid by the fund", usd(t.fund_covers)),
            ("fund max drawdown", usd(t.max_fund_drawdown)),
            ("minimum coverage ratio", format!("{:.2} %", t.min_coverage_bps as f64 / 100.0)),
            ("LP clawback", usd(t.lp_clawback)),
            ("socialized loss", usd(t.socialized_loss)),
            ("uncovered", usd(t.uncovered)),
            ("trading fees collected", usd(t.fees_collected)),
            ("fund reconciliation (start + in − covers − end)", format!("{} atoms", t.reconciliation_error)),
        ];
        for (name, value) in rows {
            let _ = writeln!(out, "| {name} | {value} |");
        }
        out
    }

    pub fn write(&self, dir: &Path, title: &str) -> Result<(), String> {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let json = serde_json::to_string_pretty(self).map_err(|e| e.to_string())?;
        std::fs::write(dir.join("report.json"), json).map_err(|e| e.to_string())?;
        std::fs::write(dir.join("report.md"), self.markdown(title)).map_err(|e| e.to_string())?;
        super::chart::draw(self, &dir.join("chart.png"), title)
    }
}
