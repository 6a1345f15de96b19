//! `backstop-sim`: the crash laboratory's command line. `simulate` replays a price series (or a synthetic path)
//! against the real program on the in-process bank with the real keeper between price steps; `sweep` runs it over
//! fund sizes and seeds; `table` puts several sweeps side by side; `demo` walks a scripted market and prints every
//! balance.

use backstop_sim::quiet::SilencedStdout;
use backstop_sim::simulation::{self as sim, prices, SimConfig};
use clap::{Parser, Subcommand};
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "backstop-sim",
    version,
    about = "Backstop's crash laboratory: the real program and keeper on an in-process bank"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::ValueEnum, Clone, Copy, PartialEq, Eq)]
enum OracleFormat {
    /// The legacy push price account.
    Legacy,
    /// A PriceUpdateV2 account (the pull oracle).
    Pull,
}

#[derive(Subcommand)]
enum Command {
    /// A scripted market on the in-process bank, every balance printed.
    Demo,
    /// Replays a price series (CSV `unix_ts,price`, or a synthetic path) against the real program on the
    /// in-process bank, with the real keeper between price steps; writes report.json, report.md, chart.png and chart.svg.
    Simulate {
        #[command(flatten)]
        run: RunArgs,
        /// The trader population's seed.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Insurance fund capital, whole dollars.
        #[arg(long, default_value_t = 20_000)]
        fund: u64,
    },
    /// Runs the replay for every fund size and seed: the distribution of deficits and of what each layer paid, and
    /// the smallest fund that covered every deficit; writes sweep.md, sweep.csv and sweep.json.
    Sweep {
        #[command(flatten)]
        run: RunArgs,
        /// Seeds 1..=N.
        #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=1_000))]
        seeds: u64,
        /// Fund sizes to try, whole dollars, comma-separated.
        #[arg(long, value_delimiter = ',', default_value = "1000,2000,5000,10000,20000,50000,100000")]
        funds: Vec<u64>,
        /// Runs in parallel (on the bank engine, one bank each). Default: the machine's cores.
        #[arg(long)]
        threads: Option<usize>,
        /// Also run every seed with a static fee and fund share, and compare (compare.md, static.json).
        #[arg(long)]
        compare_static: bool,
    },
    /// One comparison table across series and settings, from the output directories of several `sweep` runs
    /// (their sweep.json and static.json); writes table.md and table.csv into --out.
    Table {
        /// Directories a `sweep` wrote.
        #[arg(required = true)]
        sweeps: Vec<PathBuf>,
        #[arg(long, default_value = "out")]
        out: PathBuf,
    },
}

/// What every replay takes: the path, the population, the market and the stress.
#[derive(clap::Args)]
struct RunArgs {
    /// A price series (CSV `unix_ts,price`). Given more than once, one market per series, all backed by one fund on
    /// the same day (e.g. BTC and ETH of 19 May 2021).
    #[arg(long, conflicts_with = "synthetic")]
    prices: Vec<PathBuf>,
    /// A synthetic jump/GBM path instead of a file.
    #[arg(long)]
    synthetic: bool,
    #[arg(long, default_value = "out")]
    out: PathBuf,
    #[arg(long, default_value_t = 100)]
    traders: usize,
    /// Highest trader leverage, in tenths (80 = 8x).
    #[arg(long, default_value_t = 80)]
    max_leverage_tenths: u64,
    #[arg(long, default_value_t = 70)]
    long_pct: u64,
    /// Replay at most this many price steps, subsampled evenly; 0 (the default) replays every row.
    #[arg(long, default_value_t = 0)]
    steps: usize,
    /// LP pool capital, whole dollars.
    #[arg(long, default_value_t = 2_000_000)]
    lp: u64,
    /// Synthetic path: minutes, annualised volatility, jump probability per minute and jump size (%).
    #[arg(long, default_value_t = 600)]
    minutes: usize,
    #[arg(long, default_value_t = 0.9)]
    volatility: f64,
    #[arg(long, default_value_t = 0.01)]
    jump_prob: f64,
    #[arg(long, default_value_t = -8.0, allow_negative_numbers = true)]
    jump_pct: f64,
    /// Which Pyth account format carries the moving price.
    #[arg(long, value_enum, default_value_t = OracleFormat::Legacy)]
    oracle: OracleFormat,
    /// Seconds between a print and the keeper's round on it (default: the keeper's 5 s polling interval).
    #[arg(long, default_value_t = 5)]
    keeper_latency: u32,
    /// Minutes from the start during which no keeper runs, FROM:TO (congestion; none by default).
    #[arg(long, value_parser = parse_window)]
    keeper_down: Option<(u32, u32)>,
    /// Trades per step by random traders through the replay (half reduce, half add).
    #[arg(long, default_value_t = 2)]
    trades_per_step: usize,
    /// Sweep no revenue into the fund during the replay: test its buffer alone.
    #[arg(long)]
    fund_buffer_only: bool,
    /// Seconds by which the oracle trails the market (0: on time).
    #[arg(long, default_value_t = 0)]
    oracle_delay: u32,
    /// The fund's staker asks to leave once the fund has drawn this % of its peak (none by default).
    #[arg(long)]
    stakers_exit_at: Option<u32>,
    /// `bank`: the real program on the in-process bank, every action a transaction (the ground truth; the default
    /// of `simulate`). `core`: the program's own state transitions in memory from a bank-built start, hundreds of
    /// times faster, identical totals (the default of `sweep`).
    #[arg(long, value_enum)]
    engine: Option<sim::engine::EngineKind>,
    /// Market parameters by name over the simulator's market, `--set name=value` as the CLI takes them.
    #[command(flatten)]
    overrides: backstop_app::commands::listing::ParamOverrides,
}

fn parse_window(text: &str) -> Result<(u32, u32), String> {
    let (from, to) = text.split_once(':').ok_or("expected FROM:TO, minutes from the start")?;
    let minutes = |part: &str| part.trim().parse::<u32>().map_err(|_| format!("`{part}` is not a whole minute"));
    Ok((minutes(from)?, minutes(to)?))
}

impl RunArgs {
    /// The price path of each market, and each one's title.
    fn series(&self, seed: u64) -> Result<(Vec<Vec<prices::PricePoint>>, Vec<String>), String> {
        if !self.prices.is_empty() {
            let stem = |path: &PathBuf| path.file_stem().map_or("series".into(), |s| s.to_string_lossy().to_string());
            let titles: Vec<String> = self.prices.iter().map(stem).collect();
            // Each market's report goes into a directory named after its series.
            if titles.iter().enumerate().any(|(i, title)| titles[..i].contains(title)) {
                return Err("--prices: each market's series once".to_string());
            }
            let series = self.prices.iter().map(|path| prices::read_csv(path)).collect::<Result<Vec<_>, _>>()?;
            return Ok((series, titles));
        }
        if !self.synthetic {
            return Err("give --prices FILE.csv (once per market) or --synthetic".to_string());
        }
        let path = prices::Synthetic {
            start_price: 100.0,
            minutes: self.minutes,
            volatility: self.volatility,
            jump_prob: self.jump_prob,
            jump_pct: self.jump_pct,
            seed,
        };
        path.validate()?;
        Ok((vec![path.generate()], vec![format!("synthetic (seed {seed})")]))
    }

    fn config(&self, seed: u64, fund: u64, engine: sim::engine::EngineKind) -> SimConfig {
        SimConfig {
            engine: self.engine.unwrap_or(engine),
            traders: self.traders,
            seed,
            max_leverage_tenths: self.max_leverage_tenths,
            long_pct: self.long_pct,
            max_steps: self.steps,
            fund_capital: fund,
            lp_capital: self.lp,
            pull_oracle: self.oracle == OracleFormat::Pull,
            stress: sim::stress::Stress {
                keeper_latency_secs: self.keeper_latency,
                keeper_down_minutes: self.keeper_down,
                trades_per_step: self.trades_per_step,
                fund_buffer_only: self.fund_buffer_only,
                oracle_delay_secs: self.oracle_delay,
                staker_exit_drawdown_pct: self.stakers_exit_at,
            },
            ..SimConfig::default()
        }
    }
}

fn progress(unit: &str) -> Result<indicatif::ProgressBar, String> {
    let bar = indicatif::ProgressBar::new(0);
    let template = format!("{{bar:40}} {{pos}}/{{len}} {unit} ({{elapsed}})");
    bar.set_style(indicatif::ProgressStyle::with_template(&template).map_err(|e| e.to_string())?);
    Ok(bar)
}

async fn simulate(run: RunArgs, seed: u64, fund: u64) -> Result<(), String> {
    let (markets, titles) = run.series(seed)?;
    let config = run.config(seed, fund, sim::engine::EngineKind::Bank);
    let params = run.overrides.apply(sim::sim_params())?;
    let bar = progress("price steps")?;
    let silenced = SilencedStdout::new();
    let reports = sim::run_markets(&config, params, &markets, |done, total| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    })
    .await;
    // Beside a run of several markets, each market alone with a fund of its own (the same traders).
    let alone = match markets.len() {
        1 => Ok(Vec::new()),
        _ => sim::joint::alone(&config, params, &markets).await,
    };
    drop(silenced);
    let (reports, alone) = (reports?, alone?);
    bar.finish_and_clear();
    if let [report] = reports.as_slice() {
        sim::write_report(report, &run.out, &titles[0])?;
        print!("{}", report.markdown(&titles[0]));
        println!("\nwrote {}/report.json, report.md, chart.png and chart.svg", run.out.display());
    } else {
        // One directory per market, each market alone under alone/, and the fund's view of them all.
        for (report, title) in reports.iter().zip(&titles) {
            sim::write_report(report, &run.out.join(title), title)?;
        }
        for (report, title) in alone.iter().zip(&titles) {
            sim::write_report(report, &run.out.join("alone").join(title), &format!("{title}, alone"))?;
        }
        let joint = sim::joint::markdown(&reports, &alone, &titles);
        std::fs::write(run.out.join("joint.md"), &joint).map_err(|e| format!("{}: {e}", run.out.display()))?;
        print!("{joint}");
        println!(
            "\nwrote {}/joint.md and a report.json, report.md, chart.png and chart.svg per market",
            run.out.display()
        );
    }
    let findings: usize = reports.iter().chain(&alone).map(|report| report.audit.findings.len()).sum();
    if findings > 0 {
        return Err(format!("the run does not reconcile: {findings} audit finding(s), listed in the report"));
    }
    Ok(())
}

fn sweep(run: RunArgs, seeds: u64, funds: Vec<u64>, threads: Option<usize>, compare: bool) -> Result<(), String> {
    let (series, titles) = run.series(1)?;
    let title = titles.join(" + ");
    let config = run.config(1, funds.first().copied().unwrap_or(0), sim::engine::EngineKind::Core);
    let params = run.overrides.apply(sim::sim_params())?;
    let seeds: Vec<u64> = (1..=seeds).collect();
    let threads = threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let bar = progress("runs")?;
    let silenced = SilencedStdout::new();
    let tick = |done: usize, total: usize| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    };
    let result = sim::sweep::sweep(&config, params, &series, &funds, &seeds, threads, tick);
    // The comparison: the largest fund of the grid, every seed, the same runs under static rules.
    let fund = funds.iter().copied().max().unwrap_or(config.fund_capital);
    let fixed = match (compare, &result) {
        (true, Ok(_)) => {
            let fixed = sim::sweep::static_fees(params);
            Some(sim::sweep::sweep(&config, fixed, &series, &[fund], &seeds, threads, tick))
        }
        _ => None,
    };
    drop(silenced);
    let mut sweep = result?;
    sweep.series = title.clone();
    bar.finish_and_clear();
    std::fs::create_dir_all(&run.out).map_err(|e| format!("{}: {e}", run.out.display()))?;
    let write = |name: &str, text: String| {
        std::fs::write(run.out.join(name), text).map_err(|e| format!("{}: {e}", run.out.join(name).display()))
    };
    write("sweep.md", sweep.markdown(&title))?;
    write("sweep.csv", sweep.csv())?;
    write("sweep.json", serde_json::to_string_pretty(&sweep).map_err(|e| e.to_string())?)?;
    print!("{}", sweep.markdown(&title));
    println!("\nwrote {}/sweep.md, sweep.csv and sweep.json", run.out.display());
    if let Some(fixed) = fixed {
        let mut fixed = fixed?;
        fixed.series = title.clone();
        let table = sim::sweep::comparison_markdown(&title, fund, &sweep, &fixed);
        write("compare.md", table.clone())?;
        write("static.json", serde_json::to_string_pretty(&fixed).map_err(|e| e.to_string())?)?;
        print!("\n{table}");
        if fixed.audit_findings > 0 {
            return Err("audit findings in the comparison's runs".to_string());
        }
    }
    if sweep.audit_findings > 0 {
        return Err(format!("{} audit finding(s) across the runs: see sweep.json", sweep.audit_findings));
    }
    Ok(())
}

fn table(sweeps: &[PathBuf], out: &std::path::Path) -> Result<(), String> {
    let rows = sweeps.iter().map(|dir| sim::table::read(dir)).collect::<Result<Vec<_>, _>>()?;
    std::fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
    let markdown = sim::table::markdown(&rows);
    for (name, text) in [("table.md", markdown.clone()), ("table.csv", sim::table::csv(&rows))] {
        std::fs::write(out.join(name), text).map_err(|e| format!("{}: {e}", out.join(name).display()))?;
    }
    print!("{markdown}");
    println!("\nwrote {}/table.md and table.csv", out.display());
    Ok(())
}

fn main() {
    // The in-process bank logs every instruction at debug level; the tools print their own account of events.
    if std::env::var_os("RUST_LOG").is_none() {
        std::env::set_var("RUST_LOG", "error");
    }
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Sweep { run, seeds, funds, threads, compare_static } => {
            sweep(run, seeds, funds, threads, compare_static)
        }
        Command::Table { sweeps, out } => table(&sweeps, &out),
        command => match tokio::runtime::Builder::new_current_thread().enable_all().build() {
            Err(error) => Err(format!("cannot start the runtime: {error}")),
            Ok(runtime) => runtime.block_on(async {
                match command {
                    Command::Demo => {
                        backstop_sim::demo::run().await;
                        Ok(())
                    }
                    Command::Simulate { run, seed, fund } => simulate(run, seed, fund).await,
                    Command::Sweep { .. } | Command::Table { .. } => Ok(()),
                }
            }),
        },
    };
    if let Err(error) = result {
        eprintln!("error: {error}");
        std::process::exit(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The misparse: a negative jump needed `--jump-pct=-20`; `--jump-pct -20` read `-20` as an option.
    #[test]
    fn a_negative_jump_size_parses_without_an_equals_sign() {
        let cli =
            Cli::try_parse_from(["backstop-sim", "simulate", "--synthetic", "--jump-pct", "-20"]).expect("parses");
        let Command::Simulate { run, .. } = cli.command else { panic!("simulate") };
        assert_eq!(run.jump_pct, -20.0);
    }
}
