#!/usr/bin/env bash
# The TypeScript SDK's suite (docs/idl-and-sdk.md): installs sdk/ts from its lock, checks that the committed
# generated code is what Codama renders from idl/backstop.json, type-checks the package, and runs its tests with
# node's own runner: the health math against the Rust core's fixtures, then the real binary
# (target/deploy/backstop.so) in the `litesvm` npm package. Where the binary was not built, everything but the
# binary's tests runs, and those are skipped loudly. About a minute with a cold `npm ci` (~30 s).
#
# Exit status: 0 passed; 2 node 20.6+ or npm is missing here (callers may treat that as "skipped"); anything else
# is a failure (every step's own status is mapped to 1, so none can pass for "skipped").
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SDK="$ROOT/sdk/ts"
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "SDK suite skipped: node and npm are not installed on this machine" >&2
  exit 2
fi
# `node --import` (the test runner's TypeScript loader) arrived in 20.6.
if ! node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 6) ? 0 : 1)'; then
  echo "SDK suite skipped: node $(node --version) is older than the 20.6 it needs" >&2
  exit 2
fi
start=$(date +%s)
cd "$SDK"
npm ci --no-audit --no-fund || exit 1
npm run --silent generate || exit 1
if [ -n "$(git -C "$SDK" status --porcelain -- src/generated)" ]; then
  git -C "$SDK" status --short -- src/generated >&2
  echo "SDK suite: src/generated differs from what Codama renders from idl/backstop.json: run npm run generate in sdk/ts and commit" >&2
  exit 1
fi
npm run --silent typecheck || exit 1
if [ -f "$ROOT/target/deploy/backstop.so" ]; then
  npm test || exit 1
else
  npm run test:math || exit 1
  echo "SDK suite: the tests against the program binary were SKIPPED: target/deploy/backstop.so was not built"
fi
echo "SDK suite: passed in $(( $(date +%s) - start )) s"
