#!/usr/bin/env bash
# Builds the program's Anchor IDL into idl/backstop.json, or with --check fails when the committed file differs from
# a fresh build (CI). Anchor's own builder does the work (crates/backstop-idl): the program's library tests compiled
# with its `idl-build` feature print each item, which it assembles, shortens, sorts and verifies as
# `anchor idl build` does. The builder is run as a built binary with RUSTUP_TOOLCHAIN unset (the reason is in
# crates/backstop-idl/src/main.rs). About 5 minutes cold, 15 s warm: a second build of the program and its
# dependencies with that feature.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p idl
cargo build --locked --quiet -p backstop-idl
env -u RUSTUP_TOOLCHAIN "${CARGO_TARGET_DIR:-target}/debug/backstop-idl" "$@"
