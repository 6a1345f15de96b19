//! One comparison table across series and settings: `backstop-sim table DIR...` reads the `sweep.json` (and, when
//! the sweep compared, `static.json`) that each `backstop-sim sweep` wrote, and writes one row per sweep as markdown
//! and CSV. Each sweep is one series under one setting; the table puts them side by side.

use super::format::dollars;
use super::sweep::{Spread, Sweep};
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
    /// The crash deficit the bankruptcy book predicted at the start of each run (every position gapped at once to
    /// the series' extremes), over every run; and in how many runs it was at least the deficits realised.
    pub predicted: Spread,
    pub predicted_at_least_realised: usize,
    pub runs: usize,
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
        // Traders in a run: in every market of it.
        traders: sweep.config.traders * sweep.markets,
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
        predicted: Spread::of(sweep.runs.iter().map(|run| run.totals.predicted_deficit).collect()),
        predicted_at_least_realised: sweep
            .runs
            .iter()
            .filter(|run| run.totals.predicted_deficit >= run.totals.realised_deficit())
            .count(),
        runs: sweep.runs.len(),
    })
}

fn grid(fund: Option<u64>) -> String {
    fund.map_or("none on the grid".to_string(), |f| format!("${f}"))
}

/// One column: its markdown heading, its CSV name, and the row's cell for each.
struct Column {
    heading: &'static str,
    name: &'static str,
    markdown: String,
    csv: String,
}

/// Every column of a row, in order: the one list both formats are written from.
fn columns(row: &Row) -> Vec<Column> {
    let d = &row.deficits;
    let opt = |value: Option<u64>| value.map_or(String::new(), |v| v.to_string());
    let column = |heading, name, markdown: String, csv: String| Column { heading, name, markdown, csv };
    vec![
        column("series", "series", row.series.clone(), row.series.clone()),
        column("setting", "setting", row.setting.clone(), format!("\"{}\"", row.setting)),
        column("engine", "engine", row.engine.to_string(), row.engine.to_string()),
        column("seeds × traders", "seeds", format!("{} × {}", row.seeds, row.traders), row.seeds.to_string()),
        column("", "traders", String::new(), row.traders.to_string()),
        column("audit findings", "audit_findings", row.audit_findings.to_string(), row.audit_findings.to_string()),
        column(
            "deficits over every run (median / p95 / worst)",
            "deficits_median",
            format!("{} / {} / {}", dollars(d.median), dollars(d.p95), dollars(d.worst)),
            d.median.to_string(),
        ),
        column("", "deficits_p95", String::new(), d.p95.to_string()),
        column("", "deficits_worst", String::new(), d.worst.to_string()),
        column(
            "smallest fund covering all",
            "smallest_full_cover_dollars",
            grid(row.smallest_full_cover),
            opt(row.smallest_full_cover),
        ),
        column(
            "largest fund with a loss to traders",
            "largest_with_socialization_dollars",
            grid(row.largest_with_socialization),
            opt(row.largest_with_socialization),
        ),
        column(
            "fees at the largest fund, dynamic / static (median)",
            "fees_dynamic_median",
            format!("{} / {}", dollars(row.fees_dynamic), row.fees_static.map_or("–".to_string(), dollars)),
            row.fees_dynamic.to_string(),
        ),
        column("", "fees_static_median", String::new(), opt(row.fees_static)),
        column(
            "crash deficit the book predicted at the start (median / worst); runs where it bounded the realised",
            "predicted_median",
            format!(
                "{} / {}; {} of {}",
                dollars(row.predicted.median),
                dollars(row.predicted.worst),
                row.predicted_at_least_realised,
                row.runs
            ),
            row.predicted.median.to_string(),
        ),
        column("", "predicted_worst", String::new(), row.predicted.worst.to_string()),
        column("", "predicted_at_least_realised", String::new(), row.predicted_at_least_realised.to_string()),
        column("", "runs", String::new(), row.runs.to_string()),
    ]
}

/// The table as markdown (CSV-only columns, with an empty heading, are folded into the cell before them).
pub fn markdown(rows: &[Row]) -> String {
    let shown = |columns: Vec<Column>| columns.into_iter().filter(|c| !c.heading.is_empty()).collect::<Vec<_>>();
    let Some(first) = rows.first() else { return String::new() };
    let headings: Vec<&str> = shown(columns(first)).iter().map(|c| c.heading).collect();
    let mut out = format!("| {} |\n|{}\n", headings.join(" | "), "---|".repeat(headings.len()));
    for row in rows {
        let cells: Vec<String> = shown(columns(row)).into_iter().map(|c| c.markdown).collect();
        let _ = writeln!(out, "| {} |", cells.join(" | "));
    }
    out
}

/// The table as CSV, amounts in atoms (QUOTE_PRECISION).
pub fn csv(rows: &[Row]) -> String {
    let Some(first) = rows.first() else { return String::new() };
    let names: Vec<&str> = columns(first).iter().map(|c| c.name).collect();
    let mut out = format!("{}\n", names.join(","));
    for row in rows {
        let cells: Vec<String> = columns(row).into_iter().map(|c| c.csv).collect();
        let _ = writeln!(out, "{}", cells.join(","));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{csv, markdown, Row};
    use crate::simulation::sweep::Spread;

    fn row(fees_static: Option<u64>) -> Row {
        Row {
            series: "sol".to_string(),
            setting: "keeper +5 s, revenue swept".to_string(),
            seeds: 20,
            traders: 100,
            engine: "core",
            audit_findings: 0,
            deficits: Spread { median: 229_000_000, p95: 503_000_000, worst: 503_000_000 },
            smallest_full_cover: Some(1),
            largest_with_socialization: None,
            fees_dynamic: 4_595_000_000,
            fees_static,
            predicted: Spread { median: 900_000_000, p95: 1_500_000_000, worst: 1_600_000_000 },
            predicted_at_least_realised: 20,
            runs: 20,
        }
    }

    #[test]
    fn every_row_has_a_cell_under_every_heading_in_both_formats() {
        let rows = [row(Some(2_205_000_000)), row(None)];
        let md = markdown(&rows);
        let cells = |line: &str| line.matches('|').count();
        let lines: Vec<&str> = md.lines().collect();
        assert_eq!(lines.len(), 4);
        assert!(lines.iter().all(|line| cells(line) == cells(lines[0])), "{md}");
        assert!(md.contains("| $229 / $503 / $503 |") && md.contains("| $4595 / $2205 |") && md.contains("/ – |"));
        assert!(md.contains("| $900 / $1600; 20 of 20 |"), "{md}");
        let csv = csv(&rows);
        let fields = |line: &str| line.split(',').count() - line.matches(", ").count();
        let lines: Vec<&str> = csv.lines().collect();
        assert!(lines.iter().all(|line| fields(line) == fields(lines[0])), "{csv}");
        let tail = ",900000000,1600000000,20,20";
        assert!(lines[1].ends_with(&format!(",4595000000,2205000000{tail}")), "{csv}");
        assert!(lines[2].ends_with(&format!(",4595000000,{tail}")), "{csv}");
    }
}
