//! Governance of the exchange itself and of the insurance funds' rules: guardian, treasury, timelock delay and
//! the allowed pull-oracle receiver (timelocked), the authority hand-over (two steps), and a fund's staking rules
//! (timelocked).

use super::listing::FundRules;
use super::signing::Signing;
use super::{key, Session};
use crate::chain::Chain;
use crate::error::Result;
use anchor_lang::prelude::Pubkey;
use backstop::instructions::ExchangeChange;
use backstop_client::governance as gov;
use backstop_client::staking::fund_governance;

#[derive(clap::Subcommand)]
pub enum Command {
    /// Governance: queues a new guardian, treasury, timelock delay and allowed pull-oracle receiver (each
    /// defaults to its current value).
    ProposeExchangeChange {
        #[command(flatten)]
        signing: Signing,
        /// The guardian: may restrict a market at once, never loosen.
        #[arg(long, value_parser = key)]
        guardian: Option<Pubkey>,
        /// The treasury: receives the treasury's share of fees.
        #[arg(long, value_parser = key)]
        treasury: Option<Pubkey>,
        /// Seconds every later change waits (1 hour ..= 30 days).
        #[arg(long)]
        timelock_delay_secs: Option<i64>,
        /// A receiver program allowed besides Pyth's for pull-oracle markets (the default key: none).
        #[arg(long, value_parser = key)]
        oracle_receiver: Option<Pubkey>,
    },
    /// Anyone: applies the exchange's queued change once the timelock has passed.
    ApplyExchangeChange,
    /// Governance: drops the exchange's queued change.
    CancelExchangeChange {
        #[command(flatten)]
        signing: Signing,
    },
    /// Governance: names a new authority; it takes over only when it accepts (`accept-authority`).
    ProposeAuthority {
        #[command(flatten)]
        signing: Signing,
        /// The key that will become the authority once it accepts.
        #[arg(long, value_parser = key)]
        new_authority: Pubkey,
    },
    /// The proposed authority accepts (sign with it, or dump for its multisig with `--authority`).
    AcceptAuthority {
        #[command(flatten)]
        signing: Signing,
    },
    /// Governance: queues new staking rules for a fund (always timelocked).
    ProposeFundParams {
        #[command(flatten)]
        signing: Signing,
        /// The insurance fund's id.
        #[arg(long)]
        fund_id: u16,
        #[command(flatten)]
        rules: FundRules,
    },
    /// Anyone: applies a fund's queued rules once the timelock has passed.
    ApplyFundParams {
        /// The insurance fund's id.
        #[arg(long)]
        fund_id: u16,
    },
    /// Governance: drops a fund's queued rules.
    CancelFundChange {
        #[command(flatten)]
        signing: Signing,
        /// The insurance fund's id.
        #[arg(long)]
        fund_id: u16,
    },
}

pub async fn run(command: Command, session: &mut Session) -> Result<()> {
    match command {
        Command::ProposeExchangeChange { signing, guardian, treasury, timelock_delay_secs, oracle_receiver } => {
            let exchange = session.chain.exchange().await?;
            let change = ExchangeChange {
                guardian: guardian.unwrap_or(exchange.guardian),
                treasury: treasury.unwrap_or(exchange.treasury),
                timelock_delay_secs: timelock_delay_secs.unwrap_or(exchange.timelock_delay_secs),
                oracle_receiver: oracle_receiver.unwrap_or(exchange.oracle_receiver),
            };
            let authority = signing.authority(session);
            signing.submit(session, &[gov::propose_exchange_change(authority, change)]).await
        }
        Command::ApplyExchangeChange => {
            let caller = session.signer();
            session.send(&[gov::apply_exchange_change(caller)]).await
        }
        Command::CancelExchangeChange { signing } => {
            let authority = signing.authority(session);
            signing.submit(session, &[gov::cancel_exchange_change(authority)]).await
        }
        Command::ProposeAuthority { signing, new_authority } => {
            let authority = signing.authority(session);
            signing.submit(session, &[gov::propose_authority(authority, new_authority)]).await
        }
        Command::AcceptAuthority { signing } => {
            let new_authority = signing.authority(session);
            signing.submit(session, &[gov::accept_authority(new_authority)]).await
        }
        Command::ProposeFundParams { signing, fund_id, rules } => {
            let fund = backstop_client::pda::insurance_fund(fund_id);
            let authority = signing.authority(session);
            signing.submit(session, &[fund_governance::update_fund_params(authority, fund, rules.params()?)]).await
        }
        Command::ApplyFundParams { fund_id } => {
            let fund = backstop_client::pda::insurance_fund(fund_id);
            let caller = session.signer();
            session.send(&[fund_governance::apply_fund_params(fund, caller)]).await
        }
        Command::CancelFundChange { signing, fund_id } => {
            let fund = backstop_client::pda::insurance_fund(fund_id);
            let authority = signing.authority(session);
            signing.submit(session, &[fund_governance::cancel_fund_change(authority, fund)]).await
        }
    }
}
