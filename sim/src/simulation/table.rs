//! One comparison table across series and settings: `backstop-sim table DIR...` reads the `sweep.json` (and, when
//! the sweep compared, `static.json`) that each `backstop-sim sweep` wrote, and writes one row per sweep as markdown
//! and CSV. Each sweep is one series under one setting; the table puts them side by side.

use super::sweep::{dollars, Spread, Sweep};
use std::fmt::Write as _;
use std::path::Path;

/// One sweep, summarised.
#[derive(Debug, Clone)]
pub struct Row {
    pub series: String,
    pub setting: String,
    pub seeds: usize,
    pub traders: usize,
    pub engine: &'static str,
    /// Audit findings over every run of the sweep (and of its static comparison): a row with any is not a result.
    pub audit_findings: usize,
    /// Deficits over every run: every fund size and seed (the fund's size moves the dynamic fee and its share, so
    /// deficits differ a little between sizes).
    pub deficits: Spread,
    pub smallest_full_cover: Option<u64>,
    pub largest_with_socialization: Option<u64>,
    /// Fees collected, median over the seeds at the grid's largest fund, dynamic and (when compared) static.
    pub fees_dynamic: u64,
    pub fees_static: Option<u64>,
}

/// The stress a sweep ran under, in words.
pub fn setting(sweep: &Sweep) -> String {
    let s = &sweep.config.stress;
    let mut words = vec![format!("keeper +{} s", s.keeper_latency_secs)];
    if let Some((from, to)) = s.keeper_down_minutes {
        words.push(format!("keeper down min {from}–{to}"));
    }
    if s.oracle_delay_secs > 0 {
        words.push(format!("oracle {} s late", s.oracle_delay_secs));
    }
    words.push(format!("{} trades/step", s.trades_per_step));
    words.push(if s.fund_buffer_only { "buffer only".to_string() } else { "revenue swept".to_string() });
    if let Some(pct) = s.staker_exit_drawdown_pct {
        words.push(format!("staker leaves at {pct} % drawdown"));
    }
    if sweep.config.max_steps > 0 {
        words.push(format!("≤ {} steps", sweep.config.max_steps));
    }
    words.join(", ")
}

/// Reads one sweep's directory.
pub fn read(dir: &Path) -> Result<Row, String> {
    let load = |name: &str| -> Result<Option<Sweep>, String> {
        let path = dir.join(name);
        if !path.exists() {
            return Ok(None);
        }
        let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        serde_json::from_str(&text).map(Some).map_err(|e| format!("{}: {e}", path.display()))
    };
    let sweep = load("sweep.json")?.ok_or_else(|| format!("{}: no sweep.json", dir.display()))?;
    let largest = sweep.rows.iter().map(|row| row.fund).max().unwrap_or(0);
    let fees_at = |sweep: &Sweep| {
        let runs = sweep.runs.iter().filter(|run| run.fund == largest);
        Spread::of(runs.map(|run| run.totals.fees_collected).collect()).median
    };
    let fixed = load("static.json")?;
    let findings = sweep.audit_findings + fixed.as_ref().map_or(0, |f| f.audit_findings);
    Ok(Row {
        series: if sweep.series.is_empty() { dir.display().to_string() } else { sweep.series.clone() },
        setting: setting(&sweep),
        seeds: sweep.seeds.len(),
        traders: sweep.config.traders,
        engine: match sweep.config.engine {
            super::engine::EngineKind::Bank => "bank",
            super::engine::EngineKind::Core => "core",
        },
        audit_findings: findings,
        deficits: Spread::of(sweep.runs.iter().map(|run| run.deficits).collect()),
        smallest_full_cover: sweep.smallest_full_cover,
        largest_with_socialization: sweep.largest_with_socialization,
        fees_dynamic: fees_at(&sweep),
        fees_static: fixed.as_ref().map(fees_at),
    })
}

fn grid(fund: Option<u64>) -> String {
    fund.map_or("none on the grid".to_string(), |f| format!("${f}"))
}

pub fn markdown(rows: &[Row]) -> String {
    let mut out = String::from(
        "| series | setting | engine, seeds × traders | audit findings | deficits over every run (median / p95 / worst) \
         | smallest fund covering all | largest fund with a loss to traders | fees at the largest fund, dynamic / \
         static (median) |\n|---|---|---|---|---|---|---|---|\n",
    );
    for row in rows {
        let d = &row.deficits;
        let fees_static = row.fees_static.map_or("–".to_string(), dollars);
        let _ = writeln!(
            out,
            "| {} | {} | {}, {} × {} | {} | {} / {} / {} | {} | {} | {} / {} |",
            row.series,
            row.setting,
            row.engine,
            row.seeds,
            row.traders,
            row.audit_findings,
            dollars(d.median),
            dollars(d.p95),
            dollars(d.worst),
            grid(row.smallest_full_cover),
            grid(row.largest_with_socialization),
            dollars(row.fees_dynamic),
            fees_static
        );
    }
    out
}

pub fn csv(rows: &[Row]) -> String {
    let mut out = String::from(
        "series,setting,engine,seeds,traders,audit_findings,deficits_median,deficits_p95,deficits_worst,smallest_full_cover_dollars,\
         largest_with_socialization_dollars,fees_dynamic_median,fees_static_median\n",
    );
    let opt = |value: Option<u64>| value.map_or(String::new(), |v| v.to_string());
    for row in rows {
        let d = &row.deficits;
        let _ = writeln!(
            out,
            "{},\"{}\",{},{},{},{},{},{},{},{},{},{},{}",
            row.series,
            row.setting,
            row.engine,
            row.seeds,
            row.traders,
            row.audit_findings,
            d.median,
            d.p95,
            d.worst,
            opt(row.smallest_full_cover),
            opt(row.largest_with_socialization),
            row.fees_dynamic,
            opt(row.fees_static)
        );
    }
    out
}
