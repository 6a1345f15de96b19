#!/usr/bin/env bash
# The VM suite: the real binary (target/deploy/backstop.so, from scripts/build-sbf.sh) in LiteSVM, then the
# compute-unit table (docs/sbf-and-compute-units.md). Arguments go to cu-bench: `--write-docs` rewrites the table in
# the docs and client/src/measured_units.rs.
#
# Exit status: 0 passed; 2 the nightly could not be installed here (callers may treat that as "skipped"); anything
# else is a failure.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
NIGHTLY=$(sed -n 's/^NIGHTLY=\([^ ]*\).*/\1/p' "$ROOT/scripts/build-sbf.sh")
if [ ! -f "$ROOT/target/deploy/backstop.so" ]; then
  echo "VM suite: target/deploy/backstop.so is missing; build it with scripts/build-sbf.sh" >&2
  exit 1
fi
"$ROOT/scripts/nightly-workspace.sh"
start=$(date +%s)
cargo +"$NIGHTLY" test --locked --manifest-path "$ROOT/tests/sbf/Cargo.toml" --workspace
# The binary the build above made, run directly: `cargo run -p backstop-sbf` would select one member and re-resolve
# features (and rebuild the shared runtime).
"$ROOT/tests/sbf/target/debug/cu-bench" "$@"
echo "VM suite: passed in $(( $(date +%s) - start )) s after the build"
