//! What a risk committee asks of a crash: over many trader populations (seeds), how large are the deficits, how
//! much of them does a fund of each size cover, and what is the smallest fund that covers them all. Every run is
//! audited as a single run is, on the engine the configuration names: the core engine (the program's state
//! transitions in memory, from one bank-built start per fund size) or the bank itself; runs go in parallel.

use super::core_engine::CoreStart;
use super::engine::EngineKind;
use super::format::{dollars, engine_words};
use super::prices::PricePoint;
use super::report::Totals;
use super::{core_start, run_core_from, run_markets, SimConfig};
use backstop_math::params::MarketParams;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;

/// One run of the sweep: a fund size and a seed, and what came of it.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Run {
    /// The fund's seed capital, whole dollars.
    pub fund: u64,
    pub seed: u64,
    pub totals: Totals,
    /// Every deficit the run covered: the four waterfall layers together (each cover audited).
    pub deficits: u64,
    pub audit_findings: usize,
}

impl Run {
    /// Whether the fund covered every deficit of the run: nothing reached the LP pool, the traders or the books,
    /// and no deficit was left waiting for cover at the end.
    pub fn fully_covered(&self) -> bool {
        let t = &self.totals;
        t.lp_clawback == 0 && t.socialized_loss == 0 && t.uncovered == 0 && t.pending_deficit_at_end == 0
    }
}

/// Median, 95th percentile (nearest rank) and worst of a sample.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Spread {
    pub median: u64,
    pub p95: u64,
    pub worst: u64,
}

impl Spread {
    pub fn of(mut values: Vec<u64>) -> Self {
        if values.is_empty() {
            return Self::default();
        }
        values.sort_unstable();
        let rank = |q: usize| values[((values.len() * q).div_ceil(100)).clamp(1, values.len()) - 1];
        Self { median: rank(50), p95: rank(95), worst: values[values.len() - 1] }
    }
}

/// One fund size over every seed.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct FundRow {
    pub fund: u64,
    pub runs: usize,
    /// Runs in which the fund covered every deficit.
    pub fully_covered: usize,
    pub deficits: Spread,
    pub fund_paid: Spread,
    pub fund_drawdown: Spread,
    pub lp_clawback: Spread,
    pub socialized: Spread,
    pub uncovered: Spread,
}

/// The sweep's answer.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Sweep {
    /// The series' name (its file's stem), for tables across series.
    #[serde(default)]
    pub series: String,
    pub config: SimConfig,
    /// Markets backed by the one fund in every run (each with `config.traders` traders).
    #[serde(default = "one")]
    pub markets: usize,
    pub seeds: Vec<u64>,
    pub rows: Vec<FundRow>,
    /// The smallest fund on the grid that covered every deficit for every seed.
    pub smallest_full_cover: Option<u64>,
    /// The largest fund on the grid at which some seed's deficit reached the traders (socialized or uncovered).
    pub largest_with_socialization: Option<u64>,
    /// Audit findings over all runs (any one fails the sweep).
    pub audit_findings: usize,
    pub runs: Vec<Run>,
}

/// Runs every (fund, seed) pair on `threads` threads and gathers the answer. `markets`: one series per market the
/// fund backs (several: each run's totals are the markets' together, the fund's taken once).
pub fn sweep(
    config: &SimConfig,
    params: MarketParams,
    markets: &[Vec<PricePoint>],
    funds: &[u64],
    seeds: &[u64],
    threads: usize,
    on_run: impl Fn(usize, usize) + Sync,
) -> Result<Sweep, String> {
    let jobs: Vec<(u64, u64)> = funds.iter().flat_map(|&fund| seeds.iter().map(move |&seed| (fund, seed))).collect();
    for &(fund, seed) in &jobs {
        SimConfig { fund_capital: fund, seed, ..*config }.validate()?;
    }
    let starts = core_starts(config, params, markets, funds)?;
    let queue = Mutex::new(jobs.clone());
    let done: Mutex<Vec<Result<Run, String>>> = Mutex::new(Vec::with_capacity(jobs.len()));
    let job = Job { config, params, markets, starts: &starts };
    std::thread::scope(|scope| {
        for _ in 0..threads.max(1) {
            scope.spawn(|| worker(&job, &queue, &done, jobs.len(), &on_run));
        }
    });
    let mut runs = done
        .into_inner()
        .map_err(|_| "a sweep worker panicked".to_string())?
        .into_iter()
        .collect::<Result<Vec<_>, _>>()?;
    runs.sort_by_key(|run| (run.fund, run.seed));
    Ok(summarise(config, markets.len(), seeds, funds, runs))
}

/// What every run of a sweep shares.
struct Job<'a> {
    config: &'a SimConfig,
    params: MarketParams,
    markets: &'a [Vec<PricePoint>],
    /// On the core engine, each fund size's bank-built start.
    starts: &'a BTreeMap<u64, CoreStart>,
}

/// On the core engine, one bank per fund size builds the start every seed then copies (none on the bank engine).
fn core_starts(
    config: &SimConfig,
    params: MarketParams,
    markets: &[Vec<PricePoint>],
    funds: &[u64],
) -> Result<BTreeMap<u64, CoreStart>, String> {
    let mut starts = BTreeMap::new();
    if config.engine != EngineKind::Core {
        return Ok(starts);
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| format!("cannot start a runtime: {error}"))?;
    for &fund in funds {
        let config = SimConfig { fund_capital: fund, ..*config };
        starts.insert(fund, runtime.block_on(core_start(&config, params, markets))?);
    }
    Ok(starts)
}

fn worker(
    job: &Job,
    queue: &Mutex<Vec<(u64, u64)>>,
    done: &Mutex<Vec<Result<Run, String>>>,
    total: usize,
    on_run: &(impl Fn(usize, usize) + Sync),
) {
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            if let Ok(mut done) = done.lock() {
                done.push(Err(format!("cannot start a runtime: {error}")));
            }
            return;
        }
    };
    loop {
        let Some((fund, seed)) = queue.lock().ok().and_then(|mut queue| queue.pop()) else { return };
        let config = SimConfig { fund_capital: fund, seed, ..*job.config };
        let reports = match job.starts.get(&fund) {
            Some(start) => runtime.block_on(run_core_from(start, &config, job.params, job.markets)),
            None => runtime.block_on(run_markets(&config, job.params, job.markets, |_, _| {})),
        };
        let outcome = reports.map(|reports| {
            let t = Totals::joint(&reports);
            let deficits = t.fund_covers + t.lp_clawback + t.socialized_loss + t.uncovered;
            let audit_findings = reports.iter().map(|report| report.audit.findings.len()).sum();
            Run { fund, seed, deficits, audit_findings, totals: t }
        });
        let finished = match done.lock() {
            Ok(mut done) => {
                done.push(outcome);
                done.len()
            }
            Err(_) => return,
        };
        on_run(finished, total);
    }
}

fn one() -> usize {
    1
}

fn summarise(config: &SimConfig, markets: usize, seeds: &[u64], funds: &[u64], runs: Vec<Run>) -> Sweep {
    let mut rows = Vec::with_capacity(funds.len());
    for &fund in funds {
        let of: Vec<&Run> = runs.iter().filter(|run| run.fund == fund).collect();
        let spread = |f: &dyn Fn(&Run) -> u64| Spread::of(of.iter().map(|run| f(run)).collect());
        rows.push(FundRow {
            fund,
            runs: of.len(),
            fully_covered: of.iter().filter(|run| run.fully_covered()).count(),
            deficits: spread(&|run| run.deficits),
            fund_paid: spread(&|run| run.totals.fund_covers),
            fund_drawdown: spread(&|run| run.totals.max_fund_drawdown),
            lp_clawback: spread(&|run| run.totals.lp_clawback),
            socialized: spread(&|run| run.totals.socialized_loss),
            uncovered: spread(&|run| run.totals.uncovered),
        });
    }
    rows.sort_by_key(|row| row.fund);
    // The smallest fund from which every larger fund on the grid also covered every run: a smaller one that happened
    // to cover while a larger one did not is no answer.
    let covers = |row: &FundRow| row.runs > 0 && row.fully_covered == row.runs;
    let smallest_full_cover = (0..rows.len()).find(|&i| rows[i..].iter().all(covers)).map(|i| rows[i].fund);
    let largest_with_socialization =
        rows.iter().filter(|row| row.socialized.worst + row.uncovered.worst > 0).map(|row| row.fund).max();
    let audit_findings = runs.iter().map(|run| run.audit_findings).sum();
    Sweep {
        series: String::new(),
        config: *config,
        markets,
        seeds: seeds.to_vec(),
        rows,
        smallest_full_cover,
        largest_with_socialization,
        audit_findings,
        runs,
    }
}

impl Sweep {
    pub fn markdown(&self, title: &str) -> String {
        let usd = dollars;
        let spread = |s: &Spread| format!("{} / {} / {}", usd(s.median), usd(s.p95), usd(s.worst));
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# Fund-size sweep: {title}\n\n{} seeds ({}–{}) per fund size, {}; every run {}, \
             audited ({} findings). Figures are median / p95 / worst over the seeds.\n",
            self.seeds.len(),
            self.seeds.first().copied().unwrap_or(0),
            self.seeds.last().copied().unwrap_or(0),
            match self.markets {
                1 => format!("{} traders each", self.config.traders),
                n =>
                    format!("{n} markets on one fund, {} traders in each (their figures together)", self.config.traders),
            },
            engine_words(self.config.engine),
            self.audit_findings
        );
        let _ = writeln!(
            out,
            "| fund | fully covered | deficits | fund paid | fund drawdown | LP clawback | socialized | uncovered |\n\
             |---|---|---|---|---|---|---|---|"
        );
        for row in &self.rows {
            let _ = writeln!(
                out,
                "| ${} | {} of {} | {} | {} | {} | {} | {} | {} |",
                row.fund,
                row.fully_covered,
                row.runs,
                spread(&row.deficits),
                spread(&row.fund_paid),
                spread(&row.fund_drawdown),
                spread(&row.lp_clawback),
                spread(&row.socialized),
                spread(&row.uncovered)
            );
        }
        let grid = |fund: Option<u64>| fund.map_or("none on the grid".to_string(), |f| format!("${f}"));
        let _ = writeln!(
            out,
            "\nSmallest fund covering every deficit for every seed: {}. Largest fund at which a loss still reached \
             traders (socialized or uncovered): {}.",
            grid(self.smallest_full_cover),
            grid(self.largest_with_socialization)
        );
        out
    }

    /// One line per run: the raw figures behind the table.
    pub fn csv(&self) -> String {
        let mut out = String::from(
            "fund_dollars,seed,deficits,fund_paid,fund_drawdown,lp_clawback,socialized,uncovered,liquidations,\
             bankruptcies,audit_findings\n",
        );
        for run in &self.runs {
            let t = &run.totals;
            let _ = writeln!(
                out,
                "{},{},{},{},{},{},{},{},{},{},{}",
                run.fund,
                run.seed,
                run.deficits,
                t.fund_covers,
                t.max_fund_drawdown,
                t.lp_clawback,
                t.socialized_loss,
                t.uncovered,
                t.liquidations,
                t.bankruptcies,
                run.audit_findings
            );
        }
        out
    }
}

/// The same market with a static fee and a static fund share: the taker fee at its base, no volatility term, the
/// fund's share never rising as its coverage falls. What the dynamic rules are compared against.
pub fn static_fees(mut params: MarketParams) -> MarketParams {
    params.fee_floor_bps = params.taker_fee_bps;
    params.fee_cap_bps = params.taker_fee_bps;
    params.fee_vol_coefficient = 0;
    params.fund_share_max_bps = params.fee_fund_share_bps;
    params.coverage_target_bps = 0;
    params
}

/// One figure of a run.
type Measure = dyn Fn(&Run) -> u64;

/// Dynamic against static fee and fund share on the same paths and seeds, at the fund size `fund`: one row per
/// measure, median / p95 / worst over the seeds for each.
pub fn comparison_markdown(title: &str, fund: u64, dynamic: &Sweep, fixed: &Sweep) -> String {
    let at = |sweep: &Sweep| sweep.runs.iter().filter(|run| run.fund == fund).cloned().collect::<Vec<Run>>();
    let (dynamic_runs, fixed_runs) = (at(dynamic), at(fixed));
    let usd = dollars;
    let spread = |runs: &[Run], f: &dyn Fn(&Run) -> u64| {
        let s = Spread::of(runs.iter().map(f).collect());
        format!("{} / {} / {}", usd(s.median), usd(s.p95), usd(s.worst))
    };
    let measures: [(&str, &Measure); 7] = [
        ("trading fees collected", &|r| r.totals.fees_collected),
        ("fund inflows (fees + penalties)", &|r| r.totals.fund_inflows),
        ("fund at the end", &|r| r.totals.fund_end),
        ("deficits", &|r| r.deficits),
        ("paid by the fund", &|r| r.totals.fund_covers),
        ("LP clawback", &|r| r.totals.lp_clawback),
        ("socialized + uncovered", &|r| r.totals.socialized_loss + r.totals.uncovered),
    ];
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Dynamic against static fee and fund share: {title}\n\n{} seeds, fund ${}, the same paths; median / p95 / \
         worst over the seeds. Static: the taker fee at its base, the fund's share fixed.\n\n\
         | measure | dynamic | static |\n|---|---|---|",
        dynamic.seeds.len(),
        fund
    );
    for (name, measure) in measures {
        let _ = writeln!(out, "| {name} | {} | {} |", spread(&dynamic_runs, measure), spread(&fixed_runs, measure));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::Spread;

    #[test]
    fn the_static_market_is_valid_and_static() {
        let fixed = super::static_fees(crate::simulation::sim_params());
        assert_eq!(fixed.validate(), Ok(()));
        assert_eq!((fixed.fee_floor_bps, fixed.fee_cap_bps, fixed.fee_vol_coefficient), (5, 5, 0));
        assert_eq!(fixed.fund_share_max_bps, fixed.fee_fund_share_bps);
    }

    #[test]
    fn spreads_use_the_nearest_rank() {
        assert_eq!(Spread::of(vec![]), Spread::default());
        assert_eq!(Spread::of(vec![7]), Spread { median: 7, p95: 7, worst: 7 });
        let hundred: Vec<u64> = (1..=100).rev().collect();
        assert_eq!(Spread::of(hundred), Spread { median: 50, p95: 95, worst: 100 });
        assert_eq!(Spread::of(vec![3, 1, 2, 10]), Spread { median: 2, p95: 10, worst: 10 });
    }
}
