//! `backstop`: the command line. `simulate` replays a crash on the in-process bank; `keeper` keeps a market
//! safe on any cluster; the other commands are a trader's, LP's, staker's and governance's client.

use anchor_lang::prelude::Pubkey;
use backstop_app::cli::{set_param, Context};
use backstop_app::rpc::RpcChain;
use backstop_app::sim::{self, prices, SimConfig};
use backstop_app::{Chain, Keeper};
use backstop_tests::builders::governance as gov;
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::str::FromStr;

#[derive(Parser)]
#[command(name = "backstop", about = "Backstop: perpetuals with an insurance fund that backs every bankruptcy")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Where to send transactions, as the Solana CLI does.
#[derive(clap::Args, Clone)]
struct Rpc {
    /// RPC URL.
    #[arg(long, default_value = "http://127.0.0.1:8899")]
    url: String,
    /// Keypair file (default: the Solana CLI's).
    #[arg(long)]
    keypair: Option<PathBuf>,
}

/// A user command's market and token account.
#[derive(clap::Args, Clone)]
struct Target {
    #[command(flatten)]
    rpc: Rpc,
    #[arg(long)]
    market: String,
    /// The user's token account of the collateral mint.
    #[arg(long, default_value = "11111111111111111111111111111111")]
    token: String,
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
    Simulate {
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
        #[arg(long, default_value_t = 400)]
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
        #[arg(long, default_value_t = -8.0)]
        jump_pct: f64,
        /// Which Pyth account format carries the moving price.
        #[arg(long, value_enum, default_value_t = OracleFormat::Legacy)]
        oracle: OracleFormat,
    },
    /// Runs the keeper against an RPC node: liquidate, cover, sweep, every `interval` seconds.
    Keeper {
        #[command(flatten)]
        rpc: Rpc,
        #[arg(long)]
        market: String,
        #[arg(long, default_value_t = 5)]
        interval: u64,
        /// Stop after this many rounds (0: run forever).
        #[arg(long, default_value_t = 0)]
        rounds: u64,
    },
    /// Shows your margin account (with health) and stake position.
    Show(Target),
    Deposit {
        #[command(flatten)]
        target: Target,
        amount: u64,
    },
    Withdraw {
        #[command(flatten)]
        target: Target,
        amount: u64,
    },
    /// Trades a signed base size (atoms, 9 decimals): > 0 buys.
    Trade {
        #[command(flatten)]
        target: Target,
        #[arg(allow_hyphen_values = true)]
        size: i64,
    },
    LpDeposit {
        #[command(flatten)]
        target: Target,
        amount: u64,
    },
    LpWithdraw {
        #[command(flatten)]
        target: Target,
        shares: u64,
    },
    Stake {
        #[command(flatten)]
        target: Target,
        amount: u64,
    },
    RequestUnstake {
        #[command(flatten)]
        target: Target,
        shares: u64,
    },
    CancelUnstake(Target),
    Unstake(Target),
    /// Fund health as the program computes it.
    FundHealth(Target),
    /// Governance: proposes new market parameters, `--set name=value` each (tightening applies at once,
    /// loosening is queued behind the timelock).
    ProposeParams {
        #[command(flatten)]
        target: Target,
        #[arg(long = "set", value_parser = parse_assignment)]
        set: Vec<(String, u64)>,
    },
}

fn parse_assignment(text: &str) -> Result<(String, u64), String> {
    let (name, value) = text.split_once('=').ok_or("expected name=value")?;
    Ok((name.to_string(), value.parse().map_err(|_| format!("{value}: not a number"))?))
}

fn key(text: &str) -> Result<Pubkey, String> {
    Pubkey::from_str(text).map_err(|_| format!("`{text}` is not a public key"))
}

fn chain(rpc: &Rpc) -> Result<RpcChain, String> {
    let path = rpc.keypair.clone().map_or_else(RpcChain::default_keypair_path, |p| p.display().to_string());
    let payer = solana_keypair::read_keypair_file(&path).map_err(|e| format!("keypair {path}: {e}"))?;
    Ok(RpcChain::new(&rpc.url, payer))
}

async fn context(target: &Target) -> Result<Context, String> {
    Ok(Context { chain: chain(&target.rpc)?, market: key(&target.market)?, token: key(&target.token)? })
}

async fn run(command: Command) -> Result<(), String> {
    match command {
        Command::Demo => {
            backstop_app::demo::run().await;
            Ok(())
        }
        Command::Simulate {
            prices: file,
            synthetic,
            out,
            traders,
            seed,
            max_leverage_tenths,
            long_pct,
            steps,
            fund,
            lp,
            minutes,
            volatility,
            jump_prob,
            jump_pct,
            oracle,
        } => {
            let (series, title) = match (&file, synthetic) {
                (Some(path), _) => (
                    prices::read_csv(path)?,
                    path.file_stem().map_or("series".into(), |s| s.to_string_lossy().to_string()),
                ),
                (None, true) => {
                    let path = prices::Synthetic { start_price: 100.0, minutes, volatility, jump_prob, jump_pct, seed };
                    (path.generate(), format!("synthetic (seed {seed})"))
                }
                (None, false) => return Err("give --prices FILE.csv or --synthetic".to_string()),
            };
            let config = SimConfig {
                traders,
                seed,
                max_leverage_tenths,
                long_pct,
                max_steps: steps,
                fund_capital: fund,
                lp_capital: lp,
                pull_oracle: oracle == OracleFormat::Pull,
                ..SimConfig::default()
            };
            let bar = indicatif::ProgressBar::new(0);
            bar.set_style(
                indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} price steps ({elapsed})")
                    .map_err(|e| e.to_string())?,
            );
            let report = sim::run(&config, &series, |done, total| {
                bar.set_length(total as u64);
                bar.set_position(done as u64);
            })
            .await?;
            bar.finish_and_clear();
            report.write(&out, &title)?;
            print!("{}", report.markdown(&title));
            println!("\nwrote {}/report.json, report.md and chart.png", out.display());
            Ok(())
        }
        Command::Keeper { rpc, market, interval, rounds } => {
            let mut chain = chain(&rpc)?;
            let market_key = key(&market)?;
            let state = chain.market(market_key).await?;
            let fund = chain.fund(state.insurance_fund).await?;
            let accounts = backstop_tests::builders::KeeperAccounts {
                market: market_key,
                insurance_fund: state.insurance_fund,
                fund_vault: fund.vault,
                vault: state.vault,
                mint: state.collateral_mint,
                oracle: state.oracle,
            };
            let keeper_account = backstop_tests::builders::pda::margin_account(&market_key, &chain.keeper());
            if chain.account(keeper_account).await?.is_none() {
                chain.send(&[backstop_tests::builders::create_margin_account(market_key, chain.keeper())]).await?;
            }
            let mut keeper = Keeper::new(accounts);
            let mut done = 0;
            loop {
                match keeper.round(&mut chain).await {
                    Ok(report) => println!(
                        "round {}: scanned {}, liquidated {}, covered {}, swept {}, failed {:?}",
                        done + 1,
                        report.scanned,
                        report.liquidated.len(),
                        report.covered.len(),
                        report.swept,
                        report.failed
                    ),
                    Err(e) => eprintln!("round {}: {e}", done + 1),
                }
                done += 1;
                if rounds != 0 && done >= rounds {
                    return Ok(());
                }
                tokio::time::sleep(std::time::Duration::from_secs(interval)).await;
            }
        }
        Command::Show(target) => {
            let mut ctx = context(&target).await?;
            print!("{}", ctx.show().await?);
            Ok(())
        }
        Command::Deposit { target, amount } => {
            let mut ctx = context(&target).await?;
            ctx.ensure_margin_account().await?;
            let flow = ctx.margin_flow().await?;
            ctx.send(flow.deposit(amount)).await
        }
        Command::Withdraw { target, amount } => {
            let mut ctx = context(&target).await?;
            let flow = ctx.margin_flow().await?;
            ctx.send(flow.withdraw(amount)).await
        }
        Command::Trade { target, size } => {
            let mut ctx = context(&target).await?;
            let flow = ctx.margin_flow().await?;
            ctx.send(flow.trade(size)).await
        }
        Command::LpDeposit { target, amount } => {
            let mut ctx = context(&target).await?;
            let flow = ctx.lp_flow().await?;
            let owner = ctx.chain.keeper();
            if ctx.chain.account(flow.position).await?.is_none() {
                ctx.send(backstop_tests::builders::create_lp_position(ctx.market, owner)).await?;
            }
            ctx.send(flow.lp_deposit(amount)).await
        }
        Command::LpWithdraw { target, shares } => {
            let mut ctx = context(&target).await?;
            let flow = ctx.lp_flow().await?;
            ctx.send(flow.lp_withdraw(shares)).await
        }
        Command::Stake { target, amount } => {
            let mut ctx = context(&target).await?;
            let fund = ctx.chain.market(ctx.market).await?.insurance_fund;
            let staking = ctx.staking(fund).await?;
            if ctx.chain.account(staking.position).await?.is_none() {
                ctx.send(staking.create()).await?;
            }
            ctx.send(staking.stake(amount)).await
        }
        Command::RequestUnstake { target, shares } => {
            let mut ctx = context(&target).await?;
            let fund = ctx.chain.market(ctx.market).await?.insurance_fund;
            let staking = ctx.staking(fund).await?;
            ctx.send(staking.request_unstake(shares)).await
        }
        Command::CancelUnstake(target) => {
            let mut ctx = context(&target).await?;
            let fund = ctx.chain.market(ctx.market).await?.insurance_fund;
            let staking = ctx.staking(fund).await?;
            ctx.send(staking.cancel_unstake()).await
        }
        Command::Unstake(target) => {
            let mut ctx = context(&target).await?;
            let fund = ctx.chain.market(ctx.market).await?.insurance_fund;
            let staking = ctx.staking(fund).await?;
            ctx.send(staking.unstake()).await
        }
        Command::FundHealth(target) => {
            let mut ctx = context(&target).await?;
            let market = ctx.chain.market(ctx.market).await?;
            let fund = ctx.chain.fund(market.insurance_fund).await?;
            let now = ctx.chain.now().await?;
            println!(
                "fund balance {} (unvested {}), shares {}, pending unstakes {}, deficits covered {}, inflows fees {} penalties {} stakes {}",
                fund.book.balance,
                fund.book.unvested(now).unwrap_or(0),
                fund.book.total_shares,
                fund.book.locked_value,
                fund.deficits_covered,
                fund.inflow_fees,
                fund.inflow_penalties,
                fund.inflow_stakes
            );
            Ok(())
        }
        Command::ProposeParams { target, set } => {
            let mut ctx = context(&target).await?;
            let mut params = ctx.chain.market(ctx.market).await?.params;
            for (name, value) in &set {
                set_param(&mut params, name, *value)?;
            }
            params.validate().map_err(|e| format!("out of bounds: {e:?}"))?;
            let authority = ctx.chain.keeper();
            let market = ctx.market;
            ctx.send(gov::update_market_params(authority, market, params)).await
        }
    }
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
    if let Err(error) = runtime.block_on(run(cli.command)) {
        eprintln!("error: {}", backstop_app::cli::readable(error));
        std::process::exit(1);
    }
}
