#!/usr/bin/env bash
# The long conservation fuzz (docs/security.md): 1,000,000 random steps over the functional core and 10,000
# instructions through the native bank, each checking after every step that every vault holds exactly what is
# owed from it and that no value is created. Prints steps run, seeds and any counterexample.
#
#   scripts/long-fuzz.sh                       # full depth
#   BACKSTOP_FUZZ_STEPS=2000000 BACKSTOP_FUZZ_SEED=7 BACKSTOP_BANK_STEPS=20000 scripts/long-fuzz.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export BACKSTOP_FUZZ_STEPS=${BACKSTOP_FUZZ_STEPS:-1000000}
export BACKSTOP_BANK_STEPS=${BACKSTOP_BANK_STEPS:-10000}
# The bank logs every program invocation at DEBUG: hundreds of thousands of lines.
export RUST_LOG=${RUST_LOG:-error}
cargo test --locked -p backstop-math --test conservation long_fuzz -- --ignored --nocapture
cargo test --locked -p backstop-tests --test integration long_fuzz -- --ignored --nocapture
