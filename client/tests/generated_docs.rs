//! docs/parameters.md and docs/errors.md are generated from the one table of parameters
//! (`backstop_math::params::RULES`, with the production preset's values) and the one list of errors
//! (`backstop_math::error::ERRORS`). These tests fail when a file is stale; `UPDATE_DOCS=1` rewrites it.

mod common;

use backstop_math::error::ERRORS;
use backstop_math::governance::RULES;

fn check(relative: &str, generated: String) {
    common::check_generated("generated_docs", relative, &generated);
}

/// A table cell: one line, pipes escaped.
fn cell(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ").replace('|', "\\|")
}

#[test]
fn parameters_doc_is_the_table() {
    let production = backstop_client::presets::production();
    let mut out = String::from(
        "# Market parameters\n\n\
         Generated from the one table of parameters (`market_params!` in `crates/backstop-math/src/params.rs`) by\n\
         `UPDATE_DOCS=1 cargo test -p backstop-client --test generated_docs`; do not edit by hand. The same table\n\
         gives the `MarketParams` struct, the timelock rules (`backstop_math::governance`), the CLI's\n\
         `--set name=value` and `backstop params`. Bounds are checked by `MarketParams::validate`, each violation with\n\
         its own error ([errors.md](errors.md)); how a change is applied is in [governance.md](governance.md).\n\n\
         `production` is `backstop_client::presets::production()`, what `backstop init-market` starts from.\n\n\
         | parameter | production | meaning and bounds | without the timelock |\n|---|---|---|---|\n",
    );
    for rule in RULES {
        out.push_str(&format!(
            "| `{}` | {} | {} | {} |\n",
            rule.name,
            (rule.read)(&production),
            cell(rule.description()),
            cell(&rule.safe.to_string())
        ));
    }
    check("docs/parameters.md", out);
}

#[test]
fn errors_doc_is_the_list() {
    let mut out = String::from(
        "# Errors\n\n\
         Generated from the one list of errors (`backstop_errors!` in `crates/backstop-math/src/error.rs`) by\n\
         `UPDATE_DOCS=1 cargo test -p backstop-client --test generated_docs`; do not edit by hand. A program error's\n\
         code is 6000 + its position (Anchor's custom error offset); codes are never reused, entries only appended.\n\
         `core` errors come from the functional core (`MathError`, same name and code); the others from the\n\
         program's account and authority checks. The CLI names each by the same list (exit code 4).\n\n\
         | code | name | raised by | message |\n|---|---|---|---|\n",
    );
    for info in ERRORS {
        let origin = if info.core { "core" } else { "program" };
        out.push_str(&format!("| {} | `{}` | {origin} | {} |\n", info.code, info.name, cell(info.message)));
    }
    check("docs/errors.md", out);
}
