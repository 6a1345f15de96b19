//! Read-only views: the fund's health as the program computes it, queued changes with their eta, and the table
//! of market parameters.

use super::{key, Session};
use crate::chain::Chain;
use crate::error::{Error, Result};
use anchor_lang::prelude::Pubkey;
use anchor_lang::AnchorDeserialize;
use backstop::instructions::{market_draw, FundHealth};
use backstop_client::units::format_collateral;
use serde_json::json;

#[derive(clap::Subcommand)]
pub enum Command {
    /// The health of the fund backing a market, as the program's `fund_health` computes it (simulated over RPC:
    /// nothing is sent): balance, coverage, revenue, pending unstakes, the gate, and each backed market's draw.
    FundHealth {
        /// The market's address.
        #[arg(long, value_parser = key)]
        market: Pubkey,
    },
    /// Every queued change of the exchange, a market and its fund, with when it may apply.
    Pending {
        /// The market's address.
        #[arg(long, value_parser = key)]
        market: Pubkey,
    },
    /// Every market parameter: its rule for applying at once, and (with `--market`) its current value.
    Params {
        /// The market's address.
        #[arg(long, value_parser = key)]
        market: Option<Pubkey>,
    },
}

pub async fn run(command: Command, session: &mut Session) -> Result<()> {
    match command {
        Command::FundHealth { market } => fund_health(session, market).await,
        Command::Pending { market } => pending(session, market).await,
        Command::Params { market } => params(session, market).await,
    }
}

async fn fund_health(session: &mut Session, market: Pubkey) -> Result<()> {
    let fund = session.chain.market(market).await?.insurance_fund;
    let markets = session.chain.fund_markets(fund).await?;
    let keeper = session.chain.market_accounts(market).await?.keeper();
    let bytes = session.chain.simulate_return_data(&[keeper.fund_health(&markets)]).await?;
    let health = FundHealth::try_from_slice(&bytes)
        .map_err(|e| Error::Transport(format!("fund_health returned an unexpected layout: {e}")))?;
    // Each market's figures by the program's own function, from the accounts (they travel in the program's event,
    // not in its return data, which holds 1 KiB).
    let now = session.chain.now().await?;
    let mut draws = Vec::with_capacity(markets.len());
    for key in &markets {
        let (state, book) = (session.chain.market(*key).await?, session.chain.market_book(*key).await?);
        draws.push(market_draw(key, &state, &book, health.balance, now).map_err(|e| Error::Account(e.to_string()))?);
    }
    let dollars = |atoms: u64| format_collateral(i128::from(atoms));
    let ratio = |bps: u64, none: &str| {
        if bps == u64::MAX {
            none.to_string()
        } else {
            format!("{}.{:02} %", bps / 100, bps % 100)
        }
    };
    let coverage = ratio(health.coverage_ratio_bps, "nothing backed");
    let adequacy = ratio(health.adequacy_bps, "nothing at stake");
    let fields = json!({
        "fund": health.fund.to_string(), "balance": health.balance, "backed_notional": health.backed_notional,
        "coverage_ratio_bps": health.coverage_ratio_bps, "unvested": health.unvested,
        "share_value_per_billion": health.share_value_per_billion, "total_shares": health.total_shares,
        "pending_unstake_value": health.pending_unstake_value, "gate_remaining": health.gate_remaining,
        "pending_deficits": health.pending_deficits, "uncovered": health.uncovered,
        "inflow_fees": health.inflow_fees, "inflow_penalties": health.inflow_penalties,
        "inflow_stakes": health.inflow_stakes, "deficits_covered": health.deficits_covered,
        "latent_deficit": health.latent_deficit, "stressed_deficit": health.stressed_deficit,
        "stressed_ladder": health.stressed_ladder, "adequacy_bps": health.adequacy_bps,
        "markets": draws.iter().map(|m| json!({
            "market": m.market.to_string(), "open_interest_notional": m.open_interest_notional,
            "draw_remaining": m.draw_remaining, "funding_rate_ppb": m.funding_rate_ppb,
            "pending_deficit": m.pending_deficit, "uncovered": m.uncovered,
            "latent_deficit": m.latent_deficit, "target_shock_bps": m.target_shock_bps,
            "stressed_deficit": m.stressed_deficit, "stressed_ladder": m.stressed_ladder,
            "adequacy_bps": m.adequacy_bps,
        })).collect::<Vec<_>>(),
    });
    let mut text = format!(
        "fund {}: balance ${} (unvested ${}), backs ${} of open interest: coverage {coverage}\n\
         crash deficits (every market gapping at its target shock at once): latent ${}, stressed ${}: adequacy \
         {adequacy}; at 10/20/30/50 %: ${} / ${} / ${} / ${}\n\
         pending unstakes ${}, gate remaining ${}, pending deficits ${}, uncovered ${}\n\
         lifetime: fees ${}, penalties ${}, stakes ${}, deficits covered ${}",
        health.fund,
        dollars(health.balance),
        dollars(health.unvested),
        dollars(health.backed_notional),
        dollars(health.latent_deficit),
        dollars(health.stressed_deficit),
        dollars(health.stressed_ladder[0]),
        dollars(health.stressed_ladder[1]),
        dollars(health.stressed_ladder[2]),
        dollars(health.stressed_ladder[3]),
        dollars(health.pending_unstake_value),
        dollars(health.gate_remaining),
        dollars(health.pending_deficits),
        dollars(health.uncovered),
        dollars(health.inflow_fees),
        dollars(health.inflow_penalties),
        dollars(health.inflow_stakes),
        dollars(health.deficits_covered),
    );
    for m in &draws {
        text.push_str(&format!(
            "\n  market {}: open interest ${}, may still draw ${}, funding {} ppb/h, pending deficit ${}, latent \
             ${}, stressed ${} at {} (adequacy {})",
            m.market,
            dollars(m.open_interest_notional),
            dollars(m.draw_remaining),
            m.funding_rate_ppb,
            dollars(m.pending_deficit),
            dollars(m.latent_deficit),
            dollars(m.stressed_deficit),
            ratio(u64::from(m.target_shock_bps), "-"),
            ratio(m.adequacy_bps, "nothing at stake"),
        ));
    }
    session.report.say("fund_health", fields, text);
    Ok(())
}

async fn pending(session: &mut Session, market: Pubkey) -> Result<()> {
    let now = session.chain.now().await?;
    let exchange = session.chain.exchange().await?;
    let state = session.chain.market(market).await?;
    let fund = session.chain.fund(state.insurance_fund).await?;
    let when = |eta: i64| {
        if eta == 0 {
            "nothing queued".to_string()
        } else if eta <= now {
            format!("due since {eta} (anyone may apply)")
        } else {
            format!("applies from {eta} (in {} s)", eta - now)
        }
    };
    let mut lines =
        vec![format!("exchange (guardian, treasury, delay, receiver): {}", when(exchange.pending_change.eta))];
    lines.push(format!("market parameters: {}", when(state.params_change.eta)));
    let mut moves = Vec::new();
    if state.params_change.is_queued() {
        for rule in backstop_math::governance::RULES {
            let (current, queued) = ((rule.read)(&state.params), (rule.read)(&state.pending_params));
            if current != queued {
                lines.push(format!("  {}: {current} -> {queued}", rule.name));
                moves.push(json!({ "name": rule.name, "from": current, "to": queued }));
            }
        }
    }
    lines.push(format!("market oracle: {}", when(state.oracle_change.eta)));
    if state.oracle_change.is_queued() {
        lines.push(format!("  {} -> {}", state.oracle, state.pending_oracle));
    }
    lines.push(format!("fund rules: {}", when(fund.params_change.eta)));
    let fields = json!({
        "now": now,
        "exchange_eta": exchange.pending_change.eta,
        "params_eta": state.params_change.eta,
        "params": moves,
        "oracle_eta": state.oracle_change.eta,
        "pending_oracle": state.oracle_change.is_queued().then(|| state.pending_oracle.to_string()),
        "fund_rules_eta": fund.params_change.eta,
    });
    session.report.say("pending", fields, lines.join("\n"));
    Ok(())
}

async fn params(session: &mut Session, market: Option<Pubkey>) -> Result<()> {
    let current = match market {
        Some(market) => Some(session.chain.market(market).await?.params),
        None => None,
    };
    parameter_table(&mut session.report, current.as_ref());
    Ok(())
}

/// The table of market parameters (with their values in `current`), from the one table in the core.
pub fn parameter_table(report: &mut crate::output::Report, current: Option<&backstop_math::params::MarketParams>) {
    let mut lines = Vec::new();
    let mut rows = Vec::new();
    for rule in backstop_math::governance::RULES {
        let value = current.map(|params| (rule.read)(params));
        let shown = value.map_or_else(String::new, |v| format!(" = {v}"));
        lines.push(format!("{}{shown}: {} ({})", rule.name, rule.description(), rule.safe));
        rows.push(
            json!({ "name": rule.name, "value": value, "doc": rule.description(), "at_once": rule.safe.to_string() }),
        );
    }
    report.say("params", json!(rows), lines.join("\n"));
}
