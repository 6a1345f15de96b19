//! Several markets backed by one fund on the same day: the fund's view of them all, beside each market's own
//! report. What a risk committee asks of a shared fund: did the crashes, arriving together, draw it past what
//! either alone would have, and which market drew what.

use super::format::{dollars_and_cents as usd, utc_clock, utc_date};
use super::prices::PricePoint;
use super::replay::market_seed;
use super::report::{Report, Totals};
use super::{run_alone, shared_timeline, SimConfig};
use backstop_math::params::MarketParams;
use std::fmt::Write as _;

/// Each market of a run of several, run alone with a fund of its own of the same size: the same traders (see
/// [`market_seed`]) on its own series at the run's shared times. Set beside the run of them all, it shows what
/// sharing the fund changed.
pub async fn alone(
    config: &SimConfig,
    params: MarketParams,
    markets: &[Vec<PricePoint>],
) -> Result<Vec<Report>, String> {
    let timeline = shared_timeline(markets)?;
    let mut reports = Vec::with_capacity(markets.len());
    for (m, series) in markets.iter().enumerate() {
        let config = SimConfig { seed: market_seed(config.seed, m), ..*config };
        reports.push(run_alone(&config, params, series, &timeline).await?);
    }
    Ok(reports)
}

/// The fund's view of a run of several markets (`reports`) beside each market run alone (`alone`): a row per
/// market, the fund's own figures once.
pub fn markdown(reports: &[Report], alone: &[Report], titles: &[String]) -> String {
    let mut out = String::new();
    let Some(first) = reports.first() else { return out };
    let names = titles.join(" + ");
    let at = |ts: Option<i64>| ts.map_or("–".to_string(), |ts| format!("{} {}", utc_date(ts), utc_clock(ts)));
    let _ = writeln!(out, "# Backstop crash simulation: one fund behind {names}\n");
    let _ = writeln!(
        out,
        "{} markets on one fund of ${}; in each market {} traders (up to {}.{}x), an LP pool of ${}; {} steps \
         (one keeper round every {} s) from {} to {} UTC, the window every series covers; seed {}. Each market's own \
         report is in its directory, and each market alone under alone/.\n",
        reports.len(),
        first.config.fund_capital,
        first.config.traders,
        first.config.max_leverage_tenths / 10,
        first.config.max_leverage_tenths % 10,
        first.config.lp_capital,
        first.totals.steps,
        first.step_secs,
        at(first.samples.first().map(|s| s.unix_ts)),
        at(first.samples.last().map(|s| s.unix_ts)),
        first.config.seed,
    );
    let _ = writeln!(
        out,
        "Each cell is *together / alone*: in this run, sharing the fund, and in a run of that market alone with a \
         fund of its own of the same size ({} funds of ${} in all, against one here): the same traders on the same \
         prices at the same steps, making the same choices until sharing the fund changes an account's state. \
         Keepers take turns at covering first, a market a step.\n",
        reports.len(),
        first.config.fund_capital
    );
    let _ = writeln!(
        out,
        "| market | liquidations | bankruptcies covered | paid by the fund | LP clawback | socialized + uncovered \
         |\n|---|---|---|---|---|---|"
    );
    let pair = |together: u64, alone: u64| format!("{} / {}", usd(together), usd(alone));
    let row = |title: &str, t: &Totals, a: &Totals| {
        format!(
            "| {title} | {} / {} | {} / {} | {} | {} | {} |",
            t.liquidations,
            a.liquidations,
            t.bankruptcies,
            a.bankruptcies,
            pair(t.market_fund_cover, a.market_fund_cover),
            pair(t.lp_clawback, a.lp_clawback),
            pair(t.socialized_loss + t.uncovered, a.socialized_loss + a.uncovered),
        )
    };
    for ((report, single), title) in reports.iter().zip(alone).zip(titles) {
        let _ = writeln!(out, "{}", row(title, &report.totals, &single.totals));
    }
    let joint = Totals::joint(reports);
    let _ = writeln!(out, "{}\n", row("**all**", &joint, &Totals::joint(alone)));
    let findings: usize = reports.iter().chain(alone).map(|report| report.audit.findings.len()).sum();
    let rows = [
        ("fund at start / end", format!("{} / {}", usd(joint.fund_start), usd(joint.fund_end))),
        ("fund inflows (fees + penalties, every market)", usd(joint.fund_inflows)),
        ("deficits paid by the fund", usd(joint.fund_covers)),
        ("fund max drawdown (from its peak, sweeps included, withdrawals not)", usd(joint.max_fund_drawdown)),
        (
            "minimum coverage ratio (the fund net of deficits awaiting it, over every market's open interest)",
            format!("{:.2} %", joint.min_coverage_bps as f64 / 100.0),
        ),
        (
            "fund reconciliation (start + stakes + in − covers − unstakes − end)",
            format!("{} atoms", joint.reconciliation_error),
        ),
        (
            "the funds of the markets alone: deficits they paid / the largest drawdown of one",
            format!(
                "{} / {}",
                usd(alone.iter().map(|r| r.totals.fund_covers).sum()),
                usd(alone.iter().map(|r| r.totals.max_fund_drawdown).max().unwrap_or(0))
            ),
        ),
        ("audit findings (every market, together and alone)", findings.to_string()),
    ];
    let _ = writeln!(out, "| the fund | value |\n|---|---|");
    for (name, value) in rows {
        let _ = writeln!(out, "| {name} | {value} |");
    }
    out
}
