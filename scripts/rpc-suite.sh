#!/usr/bin/env bash
# The RPC suite: the real binary (target/deploy/backstop.so, from scripts/build-sbf.sh) on a local JSON-RPC node,
# driven by the real client, keeper and CLI over HTTP (docs/rpc-suite.md).
#
# The node (tests/sbf/node) embeds surfpool's engine, which needs an agave 4.3 runtime and Rust >= 1.97: it is a
# member of the nightly workspace (scripts/nightly-workspace.sh builds it, with the VM suite, on the pinned nightly
# the SBF build installs). The suites themselves are ordinary tests of the main workspace, #[ignore]d there, run here
# with BACKSTOP_RPC_NODE naming the node.
#
# Exit status: 0 passed; 2 the nightly could not be installed here (callers may treat that as "skipped");
# anything else is a failure.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
if [ ! -f "$ROOT/target/deploy/backstop.so" ]; then
  echo "RPC suite: target/deploy/backstop.so is missing; build it with scripts/build-sbf.sh" >&2
  exit 1
fi
"$ROOT/scripts/nightly-workspace.sh"

seconds() { date +%s; }
built=$(seconds)
export BACKSTOP_RPC_NODE="$ROOT/tests/sbf/target/debug/backstop-rpc-node"
export RUST_LOG=${RUST_LOG:-error}
cd "$ROOT"
# The workspace's whole selection, as the README's test command builds it: a narrower one (`-p`) unifies other
# features and rebuilds half the dependencies. It also builds the `backstop` binary (the app's own tests run it).
cargo test --locked --workspace --no-run
export BACKSTOP_CLI="$ROOT/target/debug/backstop"
cargo test --locked --workspace --test rpc_cli -- --ignored   # the CLI and the keeper command
cargo test --locked --workspace --test rpc -- --ignored       # crash replays and faults against the laboratory
echo "RPC suite: passed in $(( $(seconds) - built )) s after the node's build"
