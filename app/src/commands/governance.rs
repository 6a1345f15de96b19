//! Governance of a market, and the guardian's brake. Each signs with the keypair or, with `--authority <vault>
//! --dump-transaction-message`, prints the unsigned message for a multisig proposal.

use super::listing::{oracle_config, parse_feed_id, ParamOverrides};
use super::signing::Signing;
use super::{key, Session};
use crate::chain::Chain;
use crate::error::Result;
use anchor_lang::prelude::Pubkey;
use backstop::state::MarketStatus;
use backstop_client::governance as gov;
use serde_json::json;

#[derive(clap::Subcommand)]
pub enum Command {
    /// Governance: proposes the market's current parameters with `--set name=value` applied. A safety tightening
    /// within its step applies at once; anything else is queued behind the timelock (`backstop params`).
    ProposeParams {
        /// The market's address.
        #[arg(long, value_parser = key)]
        market: Pubkey,
        #[command(flatten)]
        signing: Signing,
        #[command(flatten)]
        overrides: ParamOverrides,
    },
    /// Anyone: applies a market's queued parameters once their timelock has passed.
    ApplyParams {
        /// The market's address.
        #[arg(long, value_parser = key)]
        market: Pubkey,
    },
    /// Governance: drops a market's queued parameter and oracle changes.
    CancelMarketChange {
        /// The market's address.
        #[arg(long, value_parser = key)]
        market: Pubkey,
        #[command(flatten)]
        signing: Signing,
    },
    /// Guardian or governance: restricts a market at once (reduce-only, paused); only governance lifts it.
    SetMarketStatus {
        /// The market's address.
        #[arg(long, value_parser = key)]
        market: Pubkey,
        #[command(flatten)]
        signing: Signing,
        /// The new status: the guardian may only restrict (reduce-only, paused); governance may also lift.
        #[arg(long, value_enum)]
        status: Status,
    },
    /// Governance: queues a new oracle account for a market (always timelocked), legacy or, with `--feed-id`, pull.
    ProposeOracleChange {
        /// The market's address.
        #[arg(long, value_parser = key)]
        market: Pubkey,
        #[command(flatten)]
        signing: Signing,
        /// The oracle account: a legacy Pyth price account, or a PriceUpdateV2 with `--feed-id`.
        #[arg(long, value_parser = key)]
        oracle: Pubkey,
        /// Hex feed id (32 bytes): a pull-oracle market on Pyth's receiver.
        #[arg(long, value_parser = parse_feed_id)]
        feed_id: Option<[u8; 32]>,
    },
    /// Anyone: applies a market's queued oracle once the timelock has passed.
    ApplyOracleChange {
        /// The market's address.
        #[arg(long, value_parser = key)]
        market: Pubkey,
    },
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Active,
    ReduceOnly,
    Paused,
}

pub async fn run(command: Command, session: &mut Session) -> Result<()> {
    match command {
        Command::ProposeParams { market, signing, overrides } => {
            let state = session.chain.market(market).await?;
            let params = overrides.apply(state.params)?;
            let now = session.chain.now().await?;
            let delay = session.chain.exchange().await?.timelock_delay_secs;
            let ready = backstop_math::governance::step_ready(state.last_step_at, now);
            describe_change(&mut session.report, &state.params, &params, ready, delay)?;
            let authority = signing.authority(session);
            signing.submit(session, &[gov::update_market_params(authority, market, params)]).await
        }
        Command::ApplyParams { market } => {
            let caller = session.signer();
            session.send(&[gov::apply_market_params(market, caller)]).await
        }
        Command::CancelMarketChange { market, signing } => {
            let authority = signing.authority(session);
            signing.submit(session, &[gov::cancel_market_change(authority, market)]).await
        }
        Command::SetMarketStatus { market, signing, status } => {
            let status = match status {
                Status::Active => MarketStatus::Active,
                Status::ReduceOnly => MarketStatus::ReduceOnly,
                Status::Paused => MarketStatus::Paused,
            } as u8;
            let authority = signing.authority(session);
            signing.submit(session, &[gov::set_market_status(authority, market, status)]).await
        }
        Command::ProposeOracleChange { market, signing, oracle, feed_id } => {
            let authority = signing.authority(session);
            let ix = gov::propose_oracle_change(authority, market, oracle, oracle_config(feed_id));
            signing.submit(session, &[ix]).await
        }
        Command::ApplyOracleChange { market } => {
            let new_oracle = session.chain.market(market).await?.pending_oracle;
            let caller = session.signer();
            session.send(&[gov::apply_oracle_change(market, new_oracle, caller)]).await
        }
    }
}

/// What a proposal changes, field by field, and whether it would apply at once or wait: the whole parameter set is
/// proposed, so whoever signs (or approves the multisig proposal) must see exactly what moves. As of the values read
/// now: if the market changes before it executes, the program decides on the values then.
fn describe_change(
    report: &mut crate::output::Report,
    old: &backstop_math::params::MarketParams,
    new: &backstop_math::params::MarketParams,
    step_ready: bool,
    delay_secs: i64,
) -> Result<()> {
    let mut lines = Vec::new();
    let mut moves = Vec::new();
    for rule in backstop_math::governance::RULES {
        let (before, after) = ((rule.read)(old), (rule.read)(new));
        if before != after {
            lines.push(format!("  {}: {before} -> {after}", rule.name));
            moves.push(json!({ "name": rule.name, "from": before, "to": after }));
        }
    }
    if moves.is_empty() {
        return Err(crate::error::Error::Input("nothing would change: name a parameter with --set".to_string()));
    }
    let at_once = backstop_math::governance::applies_at_once(old, new, step_ready);
    let when = if at_once {
        "applies at once (every field moves in its safe direction, within its step)".to_string()
    } else {
        let first = backstop_math::governance::first_loosening(old, new, step_ready).unwrap_or_default();
        format!("queued: applies {delay_secs} s after it lands (`{first}` needs the timelock)")
    };
    lines.insert(0, format!("proposal {when}:"));
    report.say("proposal", json!({ "changes": moves, "at_once": at_once }), lines.join("\n"));
    Ok(())
}
