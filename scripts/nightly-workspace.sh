#!/usr/bin/env bash
# Builds the nightly workspace (tests/sbf): the VM suite, the compute-unit benchmark and the RPC suite's local node,
# which share one agave 4.3 runtime (LiteSVM 0.18.1) and so one build of it.
#
# Always the same selection (the whole workspace, every target): cargo unifies features over what a command selects,
# so building the node alone and the suite alone would compile the shared runtime twice, once per feature set. Both
# suites' scripts call this first; the second call finds everything fresh.
#
# Exit status: 0 built; 2 the pinned nightly could not be installed here (callers may treat that as "skipped");
# anything else is a build failure.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# One pinned nightly for everything beyond the main workspace's toolchain: the SBF build's.
NIGHTLY=$(sed -n 's/^NIGHTLY=\([^ ]*\).*/\1/p' "$ROOT/scripts/build-sbf.sh")
if ! rustup toolchain install "$NIGHTLY" --profile minimal >&2; then
  echo "nightly workspace: rustup could not install $NIGHTLY" >&2
  exit 2
fi
start=$(date +%s)
cargo +"$NIGHTLY" build --locked --manifest-path "$ROOT/tests/sbf/Cargo.toml" --workspace --all-targets
echo "nightly workspace: built in $(( $(date +%s) - start )) s"
