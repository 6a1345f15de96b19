//! A staker's commands, in the fund that backs the market: stake, request an unstake, cancel it, unstake.

use super::{dollars, shares, Session, Target};
use crate::chain::Chain;
use crate::error::Result;
use anchor_lang::prelude::Pubkey;
use backstop::state::StakePosition;
use backstop_client::read::read;
use serde_json::json;

#[derive(clap::Subcommand)]
pub enum Command {
    /// Stakes into the market's insurance fund, creating your stake position if needed.
    Stake {
        #[command(flatten)]
        target: Target,
        /// Collateral in dollars, e.g. 1.5 (6 decimals).
        #[arg(value_parser = dollars)]
        amount: u64,
    },
    /// Locks shares for withdrawal after the fund's cooldown.
    RequestUnstake {
        #[command(flatten)]
        target: Target,
        /// Shares, a whole number.
        #[arg(value_parser = shares)]
        shares: u64,
    },
    /// Unlocks your pending unstake request.
    CancelUnstake(Target),
    /// Withdraws your requested shares after the cooldown, as the redemption gate allows.
    Unstake(Target),
}

pub async fn run(command: Command, session: &mut Session) -> Result<()> {
    let target = match &command {
        Command::Stake { target, .. } | Command::RequestUnstake { target, .. } => target.clone(),
        Command::CancelUnstake(target) | Command::Unstake(target) => target.clone(),
    };
    let token = session.token_account(&target).await?;
    let staking = session.chain.market_accounts(target.market).await?.staking(session.signer(), token);
    match command {
        Command::Stake { amount, .. } => {
            session.require_account(token).await?;
            session.ensure(staking.position, staking.create()).await?;
            session.send(&[staking.stake(amount)]).await
        }
        Command::RequestUnstake { shares, .. } => session.send(&[staking.request_unstake(shares)]).await,
        Command::CancelUnstake(_) => session.send(&[staking.cancel_unstake()]).await,
        Command::Unstake(_) => {
            session.check_destination(&target, token).await?;
            let markets = session.chain.fund_markets(staking.fund).await?;
            session.send(&[staking.unstake(&markets)]).await
        }
    }
}

/// The signer's stake position in `fund`, if any.
pub async fn show_position(session: &mut Session, fund: Pubkey) -> Result<()> {
    let address = backstop_client::pda::stake_position(&fund, &session.signer());
    let Some((data, owner)) = session.chain.account(address).await? else { return Ok(()) };
    let position: StakePosition = read(&data, &owner)?;
    let book = position.book;
    session.report.say(
        "stake_position",
        json!({
            "address": address.to_string(),
            "shares": book.shares,
            "locked_shares": book.locked_shares,
            "request_value": book.request_value,
        }),
        format!(
            "stake position {address}: shares {} locked {} (value at request {})",
            book.shares, book.locked_shares, book.request_value
        ),
    );
    Ok(())
}
