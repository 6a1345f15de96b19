//! `backstop-sim`: the crash laboratory's command line. `simulate` replays a price series (or a synthetic path)
//! against the real program on the in-process bank with the real keeper between price steps; `demo` walks a
//! scripted market and prints every balance.

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
    /// in-process bank, with the real keeper between price steps; writes report.json, report.md and chart.png.
    Simulate(Simulate),
}

#[derive(clap::Args)]
struct Simulate {
    #[arg(long, conflicts_with = "synthetic")]
    prices: Option<PathBuf>,
    /// A synthetic jump/GBM path instead of a file.
    #[arg(long)]
    synthetic: bool,
    #[arg(long, default_value = "out")]
    out: PathBuf,
    #[arg(long, default_value_t = 100)]
    traders: usize,
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Highest trader leverage, in tenths (80 = 8x).
    #[arg(long, default_value_t = 80)]
    max_leverage_tenths: u64,
    #[arg(long, default_value_t = 70)]
    long_pct: u64,
    /// Replay at most this many price steps, subsampled evenly; 0 (the default) replays every row.
    #[arg(long, default_value_t = 0)]
    steps: usize,
    /// Insurance fund capital, whole USDC.
    #[arg(long, default_value_t = 20_000)]
    fund: u64,
    /// LP pool capital, whole USDC.
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
    /// Market parameters by name over the simulator's market, `--set name=value` as the CLI takes them.
    #[command(flatten)]
    overrides: backstop_app::commands::listing::ParamOverrides,
}

fn parse_window(text: &str) -> Result<(u32, u32), String> {
    let (from, to) = text.split_once(':').ok_or("expected FROM:TO, minutes from the start")?;
    let minutes = |part: &str| part.trim().parse::<u32>().map_err(|_| format!("`{part}` is not a whole minute"));
    Ok((minutes(from)?, minutes(to)?))
}

async fn simulate(args: Simulate) -> Result<(), String> {
    let seed = args.seed;
    let (series, title) = match (&args.prices, args.synthetic) {
        (Some(path), _) => {
            (prices::read_csv(path)?, path.file_stem().map_or("series".into(), |s| s.to_string_lossy().to_string()))
        }
        (None, true) => {
            let path = prices::Synthetic {
                start_price: 100.0,
                minutes: args.minutes,
                volatility: args.volatility,
                jump_prob: args.jump_prob,
                jump_pct: args.jump_pct,
                seed,
            };
            path.validate()?;
            (path.generate(), format!("synthetic (seed {seed})"))
        }
        (None, false) => return Err("give --prices FILE.csv or --synthetic".to_string()),
    };
    let config = SimConfig {
        traders: args.traders,
        seed,
        max_leverage_tenths: args.max_leverage_tenths,
        long_pct: args.long_pct,
        max_steps: args.steps,
        fund_capital: args.fund,
        lp_capital: args.lp,
        pull_oracle: args.oracle == OracleFormat::Pull,
        stress: sim::stress::Stress {
            keeper_latency_secs: args.keeper_latency,
            keeper_down_minutes: args.keeper_down,
            trades_per_step: args.trades_per_step,
            fund_buffer_only: args.fund_buffer_only,
        },
        ..SimConfig::default()
    };
    let params = args.overrides.apply(sim::sim_params())?;
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} price steps ({elapsed})")
            .map_err(|e| e.to_string())?,
    );
    let silenced = backstop_sim::quiet::SilencedStdout::new();
    let report = sim::run_with(&config, params, &series, |done, total| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    })
    .await;
    drop(silenced);
    let report = report?;
    bar.finish_and_clear();
    report.write(&args.out, &title)?;
    print!("{}", report.markdown(&title));
    println!("\nwrote {}/report.json, report.md and chart.png", args.out.display());
    if !report.audit.passed() {
        return Err(format!(
            "the run does not reconcile: {} audit finding(s), listed in the report",
            report.audit.findings.len()
        ));
    }
    Ok(())
}

fn main() {
    // The in-process bank logs every instruction at debug level; the tools print their own account of events.
    if std::env::var_os("RUST_LOG").is_none() {
        std::env::set_var("RUST_LOG", "error");
    }
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("cannot start the runtime: {error}");
            std::process::exit(1);
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Demo => {
                backstop_sim::demo::run().await;
                Ok(())
            }
            Command::Simulate(args) => simulate(args).await,
        }
    });
    if let Err(error) = result {
        eprintln!("error: {error}");
        std::process::exit(1);
    }
}
