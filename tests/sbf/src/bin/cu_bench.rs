//! Compute units of every Backstop instruction in the real VM: runs each scenario on target/deploy/backstop.so
//! and prints instruction, scenario, CU consumed and the target (issue 8), then the binary's size.
//!
//! `cargo run --manifest-path tests/sbf/Cargo.toml --bin cu-bench` after `scripts/build-sbf.sh`.

use backstop_sbf::scenarios::ALL;
use backstop_sbf::vm::program_path;

/// The ceiling each instruction is held to: near the floor of Anchor's dispatch and account checks plus the
/// token CPIs it makes.
fn target(instruction: &str) -> Option<u64> {
    match instruction {
        // A withdrawal with a position does a trade's oracle work (every read feeds the volatility estimate and the
        // breaker since the review's F6) plus a token transfer: it is held to a trade's ceiling.
        "trade" | "withdraw" => Some(10_000),
        "liquidate" | "cover_bankruptcy" => Some(15_000),
        "deposit" | "settle_fund_revenue" => Some(9_000),
        "lp_withdraw" | "request_lp_withdraw" | "unstake" | "sweep_treasury_fees" => Some(9_000),
        "update_market_params" | "apply_market_params" => Some(6_000),
        _ => None,
    }
}

fn main() {
    let mut rows: Vec<(String, String, u64)> = Vec::new();
    for scenario in ALL {
        for measurement in (scenario.run)() {
            let (instruction, case) = match measurement.label.split_once(": ") {
                Some((instruction, case)) => (instruction.to_string(), case.to_string()),
                None => (measurement.label.clone(), String::new()),
            };
            let row = (instruction, case, measurement.compute_units);
            // One row per instruction and case: the first scenario that ran it.
            if !rows.iter().any(|(i, c, _)| (i, c) == (&row.0, &row.1)) {
                rows.push(row);
            }
        }
    }
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    let mut missed = 0;
    let mut table = String::from("| instruction | case | CU | target | |\n|---|---|---:|---:|---|\n");
    for (instruction, case, units) in &rows {
        let (target, verdict) = match target(instruction) {
            Some(limit) if *units <= limit => (format!("{limit}"), "ok"),
            Some(limit) => {
                missed += 1;
                (format!("{limit}"), "over")
            }
            None => ("-".to_string(), ""),
        };
        table.push_str(&format!("| {instruction} | {case} | {units} | {target} | {verdict} |\n"));
    }
    let path = program_path();
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    let summary = format!("binary: {size} bytes; {missed} instruction case(s) over target");
    print!("{table}");
    println!("\n{summary} ({})", path.display());
    if std::env::args().any(|arg| arg == "--write-docs") {
        write_docs(&format!("{table}\n{summary}.\n"));
    }
}

/// Replaces the table between the markers in docs/sbf-and-compute-units.md, so the figures there are always the
/// bench's own, never copied by hand.
fn write_docs(table: &str) {
    let docs = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/sbf-and-compute-units.md");
    let text = std::fs::read_to_string(&docs).expect("docs/sbf-and-compute-units.md");
    let begin = text.find("<!-- cu-bench begin").expect("begin marker");
    let begin = begin + text[begin..].find("-->").expect("marker end") + 3;
    let end = text.find("<!-- cu-bench end -->").expect("end marker");
    let updated = format!("{}\n{}{}", &text[..begin], table, &text[end..]);
    std::fs::write(&docs, updated).expect("write docs");
    println!("wrote {}", docs.display());
}
