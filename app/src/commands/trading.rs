//! A trader's commands: deposit, withdraw, trade, and the account with its health.

use super::{dollars, Session, Target};
use crate::chain::Chain;
use crate::error::Result;
use backstop::state::MarginAccount;
use backstop_client::read::read;
use backstop_client::units::format_collateral;
use serde_json::json;

#[derive(clap::Subcommand)]
pub enum Command {
    /// Shows your margin account with its health, and your stake position in the market's fund.
    Show(Target),
    /// Deposits collateral into your margin account, creating it if needed.
    Deposit {
        #[command(flatten)]
        target: Target,
        /// Collateral in dollars, e.g. 1.5 (6 decimals).
        #[arg(value_parser = dollars)]
        amount: u64,
    },
    /// Withdraws collateral; initial margin must hold afterwards. Covers pending bankruptcies first (a withdrawal
    /// cannot dodge its share of a loss awaiting cover), and pays only into your own token account unless told.
    Withdraw {
        #[command(flatten)]
        target: Target,
        /// Collateral in dollars, e.g. 1.5 (6 decimals).
        #[arg(value_parser = dollars)]
        amount: u64,
    },
    /// Trades a signed size in units of the base asset (e.g. 0.5 buys half a unit, -2 sells two; 9 decimals).
    Trade {
        #[command(flatten)]
        target: Target,
        /// Signed size in units of the base asset: positive buys, negative sells.
        #[arg(allow_hyphen_values = true, value_parser = backstop_client::units::parse_size)]
        size: i64,
    },
}

pub async fn run(command: Command, session: &mut Session) -> Result<()> {
    match command {
        Command::Show(target) => show(session, &target).await,
        Command::Deposit { target, amount } => {
            let token = session.token_account(&target).await?;
            session.require_account(token).await?;
            let owner = session.signer();
            let address = backstop_client::pda::margin_account(&target.market, &owner);
            session.ensure(address, backstop_client::create_margin_account(target.market, owner)).await?;
            let flow = session.chain.market_accounts(target.market).await?.flow(owner, token);
            session.send(&[flow.deposit(amount)]).await
        }
        Command::Withdraw { target, amount } => {
            let token = session.token_account(&target).await?;
            session.check_destination(&target, token).await?;
            let flow = session.chain.market_accounts(target.market).await?.flow(session.signer(), token);
            session.cover_pending(&target).await?;
            session.send(&[flow.withdraw(amount)]).await
        }
        Command::Trade { target, size } => {
            let token = session.token_account(&target).await?;
            let flow = session.chain.market_accounts(target.market).await?.flow(session.signer(), token);
            session.send(&[flow.trade(size)]).await
        }
    }
}

async fn show(session: &mut Session, target: &Target) -> Result<()> {
    let owner = session.signer();
    let market = session.chain.market(target.market).await?;
    let address = backstop_client::pda::margin_account(&target.market, &owner);
    match session.chain.account(address).await? {
        None => session.report.say("margin_account", json!(null), format!("no margin account at {address}")),
        Some((data, account_owner)) => {
            let account: MarginAccount = read(&data, &account_owner)?;
            let b = account.balances;
            session.report.say(
                "margin_account",
                json!({
                    "address": address.to_string(),
                    "collateral": b.collateral,
                    "position_base": b.position.base,
                    "entry_notional": b.position.entry_notional,
                    "unsettled_pnl": b.unsettled_pnl,
                }),
                format!(
                    "margin account {address}: collateral ${} position {} entry {} unsettled {}",
                    format_collateral(i128::from(b.collateral)),
                    b.position.base,
                    b.position.entry_notional,
                    b.unsettled_pnl
                ),
            );
            // A price the program would refuse gives no health, and says why.
            let health = match session.chain.oracle_price(&market).await {
                Ok(price) => b.health(&price, &market.params).map_err(crate::error::Error::from),
                Err(error) => Err(error),
            };
            let verdict = match session.chain.oracle_price(&market).await {
                Ok(price) => {
                    let now = session.chain.now().await?;
                    format!(
                        "{:?}",
                        backstop_client::keeper::verdict(&account, &market.books, &market.params, &price, now)
                    )
                }
                Err(_) => "unknown".to_string(),
            };
            let health = match health {
                Ok(health) => health,
                Err(error) => {
                    let line = format!("health: unavailable ({error})");
                    session.report.say("health", json!({ "unavailable": error.to_string() }), line);
                    return super::staking::show_position(session, market.insurance_fund).await;
                }
            };
            session.report.say(
                "health",
                json!({
                    "maintenance_equity": health.maintenance_equity,
                    "maintenance_requirement": health.maintenance_requirement,
                    "initial_equity": health.initial_equity,
                    "initial_requirement": health.initial_requirement,
                    "verdict": verdict,
                }),
                format!(
                    "health: maintenance equity {} / requirement {}; initial equity {} / requirement {} (keeper's \
                     verdict with funding accrued: {verdict})",
                    health.maintenance_equity,
                    health.maintenance_requirement,
                    health.initial_equity,
                    health.initial_requirement
                ),
            );
        }
    }
    super::staking::show_position(session, market.insurance_fund).await
}
