//! `backstop-idl [--check]`: builds the program's Anchor IDL with Anchor's own builder (`IdlBuilder`, what
//! `anchor idl build` runs: the program's tests compiled with its `idl-build` feature print each item's description,
//! module paths are shortened, items sorted, the result verified) and writes it to `idl/backstop.json`, or, with
//! `--check`, fails when the committed file differs from a fresh build (CI runs this: docs/idl-and-sdk.md).
//!
//! Run it as a built binary, not under `cargo run`: the builder passes a toolchain named by `RUSTUP_TOOLCHAIN` to
//! cargo as `+{toolchain}` literally, and cargo sets that variable for what it runs (scripts/idl.sh).

use anchor_lang_idl::build::IdlBuilder;
use anchor_lang_idl::types::{Idl, IdlDefinedFields, IdlInstructionAccountItem, IdlTypeDefTy};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

fn main() -> ExitCode {
    let check = match std::env::args().nth(1).as_deref() {
        None => false,
        Some("--check") => true,
        Some(other) => {
            eprintln!("usage: backstop-idl [--check] (unexpected argument {other:?})");
            return ExitCode::from(2);
        }
    };
    match run(check) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("{message}");
            ExitCode::FAILURE
        }
    }
}

fn run(check: bool) -> Result<(), String> {
    let root = workspace_root();
    let built = build(&root.join("programs/backstop"))?;
    let committed_path = root.join("idl/backstop.json");
    if check {
        let committed = std::fs::read_to_string(&committed_path)
            .map_err(|e| format!("cannot read {}: {e}", committed_path.display()))?;
        if committed != built {
            let fresh = std::env::temp_dir().join("backstop-idl-fresh.json");
            std::fs::write(&fresh, &built).map_err(|e| format!("cannot write {}: {e}", fresh.display()))?;
            return Err(format!(
                "idl/backstop.json differs from a fresh build of the program's IDL (written to {}): run \
                 scripts/idl.sh and commit the result, with the SDK regenerated (sdk/ts: npm run generate)",
                fresh.display()
            ));
        }
        println!("idl/backstop.json matches a fresh build");
    } else {
        std::fs::write(&committed_path, &built)
            .map_err(|e| format!("cannot write {}: {e}", committed_path.display()))?;
        println!("wrote idl/backstop.json");
    }
    Ok(())
}

/// The IDL as `anchor idl build` writes it: pretty JSON and a final newline.
fn build(program: &Path) -> Result<String, String> {
    let idl = IdlBuilder::new()
        .program_path(program.to_path_buf())
        .cargo_args(vec!["--locked".into(), "--lib".into()])
        .build()
        .map_err(|e| format!("building the IDL failed: {e:#}"))?;
    let missing = undocumented(&idl);
    if !missing.is_empty() {
        return Err(format!(
            "{} items of the IDL have no doc comment (a `///` line on the Rust item saying what it is, not only its offset \
             or a reviewer's marker): {}",
            missing.len(),
            missing.join(", ")
        ));
    }
    let json = serde_json::to_string_pretty(&idl).map_err(|e| format!("cannot encode the IDL: {e}"))?;
    Ok(json + "\n")
}

/// Everything an integrator reads without the source that has no doc: instructions and their accounts, constants,
/// types and their fields (padding fields, named `_…`, excepted). An account's and an event's fields are their
/// type's, so every account field and event field is covered. Exempt: the accounts Anchor adds for event CPI
/// (`event_authority`, `program`) and those at a fixed address (the token and system programs), which carry no
/// docs of their own; enum variants, which the IDL's format gives no docs (their enum's doc names them); and
/// instruction arguments, likewise (each instruction's doc says what its arguments are).
fn undocumented(idl: &Idl) -> Vec<String> {
    let mut missing = Vec::new();
    let mut need = |docs: &[String], what: String| {
        // A layout note alone ("offset 8.") says nothing to an integrator; a reviewer's marker ("checked at #1")
        // is for the source, kept in a `//` comment there.
        let says_something = docs.iter().any(|line| !is_offset_note(line));
        if !says_something || docs.iter().any(|line| line.contains("checked at #")) {
            missing.push(what);
        }
    };
    for instruction in &idl.instructions {
        need(&instruction.docs, format!("instruction {}", instruction.name));
        for account in &instruction.accounts {
            if let IdlInstructionAccountItem::Single(account) = account {
                let anchors = matches!(account.name.as_str(), "event_authority" | "program");
                if !anchors && account.address.is_none() {
                    need(&account.docs, format!("{}.{}", instruction.name, account.name));
                }
            }
        }
    }
    for constant in &idl.constants {
        need(&constant.docs, format!("constant {}", constant.name));
    }
    for ty in &idl.types {
        need(&ty.docs, format!("type {}", ty.name));
        if let IdlTypeDefTy::Struct { fields: Some(IdlDefinedFields::Named(fields)) } = &ty.ty {
            for field in fields.iter().filter(|field| !field.name.starts_with('_')) {
                need(&field.docs, format!("{}.{}", ty.name, field.name));
            }
        }
    }
    missing
}

fn is_offset_note(line: &str) -> bool {
    line.strip_prefix("offset ").and_then(|rest| rest.strip_suffix('.')).is_some_and(|n| n.parse::<usize>().is_ok())
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}
