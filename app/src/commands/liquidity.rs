//! A liquidity provider's commands: deposit into the market's LP pool, ask to leave, leave.

use super::{dollars, shares, Session, Target};
use crate::chain::Chain;
use crate::error::Result;

#[derive(clap::Subcommand)]
pub enum Command {
    /// Deposits into the market's LP pool for shares, creating your LP position if needed.
    LpDeposit {
        #[command(flatten)]
        target: Target,
        /// Collateral in dollars, e.g. 1.5 (6 decimals).
        #[arg(value_parser = dollars)]
        amount: u64,
    },
    /// Asks to leave the LP pool with these shares; `lp-withdraw` serves them after the market's exit delay.
    RequestLpWithdraw {
        #[command(flatten)]
        target: Target,
        /// Shares, a whole number.
        #[arg(value_parser = shares)]
        shares: u64,
    },
    /// Burns LP shares of a matured exit request for the lesser of their value at request and now. Covers pending
    /// bankruptcies first, and pays only into your own token account unless told.
    LpWithdraw {
        #[command(flatten)]
        target: Target,
        /// Shares, a whole number.
        #[arg(value_parser = shares)]
        shares: u64,
    },
}

pub async fn run(command: Command, session: &mut Session) -> Result<()> {
    match command {
        Command::LpDeposit { target, amount } => {
            let token = session.token_account(&target).await?;
            session.require_account(token).await?;
            let owner = session.signer();
            let flow = session.chain.market_accounts(target.market).await?.lp_flow(owner, token);
            session.ensure(flow.position, backstop_client::create_lp_position(target.market, owner)).await?;
            session.send(&[flow.lp_deposit(amount)]).await
        }
        Command::RequestLpWithdraw { target, shares } => {
            let token = session.token_account(&target).await?;
            let flow = session.chain.market_accounts(target.market).await?.lp_flow(session.signer(), token);
            session.send(&[flow.request_lp_withdraw(shares)]).await
        }
        Command::LpWithdraw { target, shares } => {
            let token = session.token_account(&target).await?;
            session.check_destination(&target, token).await?;
            let flow = session.chain.market_accounts(target.market).await?.lp_flow(session.signer(), token);
            session.cover_pending(&target).await?;
            session.send(&[flow.lp_withdraw(shares)]).await
        }
    }
}
