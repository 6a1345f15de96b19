//! `backstop`: the command line. `simulate` replays a crash on the in-process bank; `keeper` keeps a market
//! safe on any cluster; the other commands are a trader's, LP's, staker's and governance's client.

use anchor_lang::prelude::Pubkey;
use backstop_app::cli::{set_param, Context};
use backstop_app::commands::governance::{self, Signing, Status};
use backstop_app::rpc::RpcChain;
use backstop_app::{Chain, Keeper};
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::str::FromStr;

#[derive(Parser)]
#[command(
    name = "backstop",
    version,
    about = "Backstop: perpetuals with an insurance fund that backs every bankruptcy"
)]
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

// A user command's market and token account.
#[derive(clap::Args, Clone)]
struct Target {
    #[command(flatten)]
    rpc: Rpc,
    #[arg(long)]
    market: String,
    /// The user's token account of the collateral mint (default: the keypair's associated token account).
    #[arg(long)]
    token: Option<String>,
}

#[derive(Subcommand)]
enum Command {
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
    /// Governance (the keypair): creates the exchange, naming the authority (default: the keypair), guardian,
    /// treasury and timelock delay. Must be the program's upgrade authority.
    InitExchange {
        #[command(flatten)]
        rpc: Rpc,
        #[arg(long)]
        authority: Option<String>,
        #[arg(long)]
        guardian: String,
        #[arg(long)]
        treasury: String,
        #[arg(long, default_value_t = 86_400)]
        timelock_delay_secs: i64,
        /// The program's ProgramData account (required when the program is upgradeable).
        #[arg(long)]
        program_data: Option<String>,
    },
    /// Governance: creates insurance fund `id` for a 6-decimal mint, with staking rules.
    InitFund {
        #[command(flatten)]
        rpc: Rpc,
        #[arg(long)]
        id: u16,
        #[arg(long)]
        mint: String,
        #[arg(long, default_value_t = 7 * 86_400)]
        cooldown_secs: u32,
        #[arg(long, default_value_t = 7 * 86_400)]
        vesting_period_secs: u32,
        #[arg(long, default_value_t = 1_000)]
        gate_bps: u32,
        #[arg(long, default_value_t = 86_400)]
        gate_window_secs: u32,
    },
    /// Governance: lists market `id` (timelocked: `activate-market` after the delay) on a legacy Pyth account,
    /// or a PriceUpdateV2 account with `--feed-id`; parameters start from the production preset
    /// (`backstop_client::presets::production()`, circuit breaker on) and take `--set name=value`.
    InitMarket {
        #[command(flatten)]
        rpc: Rpc,
        #[arg(long)]
        id: u16,
        #[arg(long)]
        mint: String,
        #[arg(long)]
        fund_id: u16,
        #[arg(long)]
        oracle: String,
        /// Hex feed id: makes it a pull-oracle market (receiver rec5…).
        #[arg(long)]
        feed_id: Option<String>,
        #[arg(long = "set", value_parser = parse_assignment)]
        set: Vec<(String, u64)>,
    },
    /// Anyone, after the listing delay: opens a listed market.
    ActivateMarket {
        #[command(flatten)]
        rpc: Rpc,
        #[arg(long)]
        market: String,
    },
    /// Shows your margin account (with health) and stake position.
    Show(Target),
    /// Deposits collateral into your margin account, creating it if needed.
    Deposit {
        #[command(flatten)]
        target: Target,
        /// Collateral in dollars, e.g. 1.5 (6 decimals).
        #[arg(value_parser = parse_dollars)]
        amount: u64,
    },
    /// Withdraws collateral; initial margin must hold afterwards. Covers pending bankruptcies first, in the
    /// same transaction (a withdrawal cannot dodge its share of a loss awaiting cover).
    Withdraw {
        #[command(flatten)]
        target: Target,
        /// Collateral in dollars, e.g. 1.5 (6 decimals).
        #[arg(value_parser = parse_dollars)]
        amount: u64,
    },
    /// Trades a signed size in units of the base asset (e.g. 0.5 buys half a unit, -2 sells two; 9 decimals).
    Trade {
        #[command(flatten)]
        target: Target,
        #[arg(allow_hyphen_values = true, value_parser = backstop_client::units::parse_size)]
        size: i64,
    },
    /// Deposits into the market's LP pool for shares, creating your LP position if needed.
    LpDeposit {
        #[command(flatten)]
        target: Target,
        /// Collateral in dollars, e.g. 1.5 (6 decimals).
        #[arg(value_parser = parse_dollars)]
        amount: u64,
    },
    /// Asks to leave the LP pool with these shares; `lp-withdraw` serves them after the market's exit delay.
    RequestLpWithdraw {
        #[command(flatten)]
        target: Target,
        shares: u64,
    },
    /// Burns LP shares of a matured exit request for the lesser of their value at request and now.
    LpWithdraw {
        #[command(flatten)]
        target: Target,
        shares: u64,
    },
    /// Stakes into the market's insurance fund, creating your stake position if needed.
    Stake {
        #[command(flatten)]
        target: Target,
        /// Collateral in dollars, e.g. 1.5 (6 decimals).
        #[arg(value_parser = parse_dollars)]
        amount: u64,
    },
    /// Locks shares for withdrawal after the fund's cooldown.
    RequestUnstake {
        #[command(flatten)]
        target: Target,
        shares: u64,
    },
    /// Unlocks your pending unstake request.
    CancelUnstake(Target),
    /// Withdraws your requested shares after the cooldown, as the redemption gate allows.
    Unstake(Target),
    /// Fund health as the program computes it.
    FundHealth(Target),
    /// Pays the market's accrued treasury fees to a token account of the exchange's treasury (permissionless).
    SweepTreasury {
        #[command(flatten)]
        target: Target,
        /// The treasury's token account of the market's collateral mint.
        #[arg(value_parser = key)]
        treasury_token: Pubkey,
    },
    /// Governance: proposes new market parameters, `--set name=value` each (names and bounds: docs/governance.md;
    /// a safety tightening within its limit applies at once, anything else is queued behind the timelock).
    ProposeParams {
        #[command(flatten)]
        target: Target,
        #[command(flatten)]
        signing: Signing,
        #[arg(long = "set", value_parser = parse_assignment)]
        set: Vec<(String, u64)>,
    },
    /// Anyone: applies a market's queued parameters once their timelock has passed.
    ApplyParams {
        #[command(flatten)]
        target: Target,
    },
    /// Governance: drops a market's queued parameter and oracle changes.
    CancelMarketChange {
        #[command(flatten)]
        target: Target,
        #[command(flatten)]
        signing: Signing,
    },
    /// Guardian or governance: restricts a market at once (reduce-only, paused); only governance lifts it.
    SetMarketStatus {
        #[command(flatten)]
        target: Target,
        #[command(flatten)]
        signing: Signing,
        #[arg(long, value_enum)]
        status: Status,
    },
    /// Every queued change of the exchange, a market and its fund, with when it may apply.
    Pending {
        #[command(flatten)]
        target: Target,
    },
}

fn parse_dollars(text: &str) -> Result<u64, String> {
    backstop_client::units::parse_amount(text, backstop_math::constants::QUOTE_DECIMALS)
}

fn parse_assignment(text: &str) -> Result<(String, u64), String> {
    let (name, value) = text.split_once('=').ok_or("expected name=value")?;
    Ok((name.to_string(), value.parse().map_err(|_| format!("{value}: not a number"))?))
}

fn parse_feed_id(hex: &str) -> Result<[u8; 32], String> {
    let hex = hex.trim_start_matches("0x");
    if hex.len() != 64 {
        return Err("a feed id is 32 bytes of hex".to_string());
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).map_err(|_| "a feed id is hex".to_string())?;
    }
    Ok(out)
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
    let mut chain = chain(&target.rpc)?;
    let market = key(&target.market)?;
    let token = match &target.token {
        Some(token) => key(token)?,
        None => {
            let mint = chain.market(market).await?.collateral_mint;
            backstop_client::pda::associated_token_account(&chain.keeper(), &mint)
        }
    };
    Ok(Context { chain, market, token })
}

async fn run(command: Command) -> Result<(), String> {
    match command {
        Command::Keeper { rpc, market, interval, rounds } => {
            let mut chain = chain(&rpc)?;
            let market_key = key(&market)?;
            let accounts = chain.market_accounts(market_key).await?.keeper();
            let keeper_account = backstop_client::pda::margin_account(&market_key, &chain.keeper());
            if chain.account(keeper_account).await?.is_none() {
                chain.send(&[backstop_client::create_margin_account(market_key, chain.keeper())]).await?;
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
        Command::InitExchange { rpc, authority, guardian, treasury, timelock_delay_secs, program_data } => {
            let mut chain = chain(&rpc)?;
            let payer = chain.keeper();
            let args = backstop::instructions::InitializeExchangeArgs {
                authority: authority.as_deref().map(key).transpose()?.unwrap_or(payer),
                guardian: key(&guardian)?,
                treasury: key(&treasury)?,
                timelock_delay_secs,
            };
            let program_data = program_data.as_deref().map(key).transpose()?;
            chain.send(&[backstop_client::initialize_exchange_with(payer, args, program_data)]).await
        }
        Command::InitFund { rpc, id, mint, cooldown_secs, vesting_period_secs, gate_bps, gate_window_secs } => {
            let mut chain = chain(&rpc)?;
            let payer = chain.keeper();
            let params =
                backstop_math::staking::FundParams { cooldown_secs, vesting_period_secs, gate_bps, gate_window_secs };
            params.validate().map_err(|e| format!("out of bounds: {e:?}"))?;
            let ix = backstop_client::initialize_insurance_fund_with(payer, payer, key(&mint)?, id, params);
            chain.send(&[ix]).await
        }
        Command::InitMarket { rpc, id, mint, fund_id, oracle, feed_id, set } => {
            let mut chain = chain(&rpc)?;
            let payer = chain.keeper();
            let mut params = backstop_client::presets::production();
            for (name, value) in &set {
                set_param(&mut params, name, *value)?;
            }
            params.validate().map_err(|e| format!("out of bounds: {e:?}"))?;
            let oracle_config = match feed_id {
                Some(hex) => backstop::state::OracleConfig {
                    kind: backstop::state::OracleKind::PythPull as u8,
                    receiver: backstop::oracle::PYTH_RECEIVER_PROGRAM_ID,
                    feed_id: parse_feed_id(&hex)?,
                    min_signatures: 0,
                },
                None => backstop::state::OracleConfig {
                    kind: backstop::state::OracleKind::PythLegacy as u8,
                    receiver: Pubkey::default(),
                    feed_id: [0; 32],
                    min_signatures: 0,
                },
            };
            let listing = backstop_client::ListMarket {
                authority: payer,
                payer,
                collateral_mint: key(&mint)?,
                insurance_fund: backstop_client::pda::insurance_fund(fund_id),
                oracle: key(&oracle)?,
                oracle_config,
                market_id: id,
                params,
            };
            chain.send(&[listing.instruction()]).await?;
            println!("listed market {}", backstop_client::pda::market(id));
            Ok(())
        }
        Command::ActivateMarket { rpc, market } => {
            let mut chain = chain(&rpc)?;
            let caller = chain.keeper();
            chain.send(&[backstop_client::activate_market(key(&market)?, caller)]).await
        }
        Command::Show(target) => {
            let mut ctx = context(&target).await?;
            print!("{}", ctx.show().await?);
            Ok(())
        }
        Command::Deposit { target, amount } => {
            let mut ctx = context(&target).await?;
            ctx.require_token_account().await?;
            ctx.ensure_margin_account().await?;
            let flow = ctx.margin_flow().await?;
            ctx.send(flow.deposit(amount)).await
        }
        Command::Withdraw { target, amount } => {
            let mut ctx = context(&target).await?;
            let flow = ctx.margin_flow().await?;
            ctx.send_after_covers(flow.withdraw(amount)).await
        }
        Command::Trade { target, size } => {
            let mut ctx = context(&target).await?;
            let flow = ctx.margin_flow().await?;
            ctx.send(flow.trade(size)).await
        }
        Command::LpDeposit { target, amount } => {
            let mut ctx = context(&target).await?;
            ctx.require_token_account().await?;
            let flow = ctx.lp_flow().await?;
            let owner = ctx.chain.keeper();
            if ctx.chain.account(flow.position).await?.is_none() {
                ctx.send(backstop_client::create_lp_position(ctx.market, owner)).await?;
            }
            ctx.send(flow.lp_deposit(amount)).await
        }
        Command::RequestLpWithdraw { target, shares } => {
            let mut ctx = context(&target).await?;
            let flow = ctx.lp_flow().await?;
            ctx.send(flow.request_lp_withdraw(shares)).await
        }
        Command::SweepTreasury { target, treasury_token } => {
            let mut ctx = context(&target).await?;
            let accounts = ctx.chain.market_accounts(ctx.market).await?;
            ctx.send(accounts.keeper().sweep_treasury_fees(treasury_token)).await
        }
        Command::LpWithdraw { target, shares } => {
            let mut ctx = context(&target).await?;
            let flow = ctx.lp_flow().await?;
            ctx.send(flow.lp_withdraw(shares)).await
        }
        Command::Stake { target, amount } => {
            let mut ctx = context(&target).await?;
            ctx.require_token_account().await?;
            let staking = ctx.staking().await?;
            if ctx.chain.account(staking.position).await?.is_none() {
                ctx.send(staking.create()).await?;
            }
            ctx.send(staking.stake(amount)).await
        }
        Command::RequestUnstake { target, shares } => {
            let mut ctx = context(&target).await?;
            let staking = ctx.staking().await?;
            ctx.send(staking.request_unstake(shares)).await
        }
        Command::CancelUnstake(target) => {
            let mut ctx = context(&target).await?;
            let staking = ctx.staking().await?;
            ctx.send(staking.cancel_unstake()).await
        }
        Command::Unstake(target) => {
            let mut ctx = context(&target).await?;
            let staking = ctx.staking().await?;
            let markets = ctx.chain.fund_markets(staking.fund).await?;
            ctx.send(staking.unstake(&markets)).await
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
        Command::ProposeParams { target, signing, set } => {
            let mut ctx = context(&target).await?;
            governance::propose_params(&mut ctx.chain, &signing, ctx.market, &set).await
        }
        Command::ApplyParams { target } => {
            let mut ctx = context(&target).await?;
            governance::apply_params(&mut ctx.chain, ctx.market).await
        }
        Command::CancelMarketChange { target, signing } => {
            let mut ctx = context(&target).await?;
            governance::cancel_market_change(&mut ctx.chain, &signing, ctx.market).await
        }
        Command::SetMarketStatus { target, signing, status } => {
            let mut ctx = context(&target).await?;
            governance::set_market_status(&mut ctx.chain, &signing, ctx.market, status).await
        }
        Command::Pending { target } => {
            let mut ctx = context(&target).await?;
            governance::pending(&mut ctx.chain, ctx.market).await
        }
    }
}

fn main() {
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
