#!/usr/bin/env bash
# The TypeScript SDK's suite (docs/idl-and-sdk.md): installs sdk/ts from its lock, checks that the committed
# generated code is what Codama renders from idl/backstop.json, type-checks the package, and runs its tests with
# node's own runner: the health math against the Rust core's fixtures, then the real binary
# (target/deploy/backstop.so) in the `litesvm` npm package. Where the binary was not built, everything but the
# binary's tests runs, and those are skipped loudly. About a minute with a cold `npm ci` (~30 s).
#
# Exit status: 0 passed; 2 node 20.19+ or npm is missing here (callers may treat that as "skipped"); anything else
# is a failure (every step's own status is mapped to 1, so none can pass for "skipped").
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SDK="$ROOT/sdk/ts"
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "SDK suite skipped: node and npm are not installed on this machine" >&2
  exit 2
fi
# The lock's packages ask for node 20.19 or later (@solana/kit 20.18, @noble/hashes 20.19; package.json engines).
if ! node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)'; then
  echo "SDK suite skipped: node $(node --version) is older than the 20.19 it needs" >&2
  exit 2
fi
start=$(date +%s)
cd "$SDK"
npm ci --no-audit --no-fund || exit 1
# The committed generated code against a fresh render, compared as files (no reliance on git's view of the tree).
committed=$(mktemp -d)
cp -r src/generated "$committed/"
npm run --silent generate || exit 1
if ! diff -r "$committed/generated" src/generated >&2; then
  echo "SDK suite: src/generated differs from what Codama renders from idl/backstop.json: run npm run generate in sdk/ts and commit" >&2
  exit 1
fi
rm -rf "$committed"
npm run --silent typecheck || exit 1
# A caller that knows the binary was not built this run (.ci/run) says so, so a stale one is never tested.
if [ -f "$ROOT/target/deploy/backstop.so" ] && [ "${BACKSTOP_SO_BUILT:-1}" = 1 ]; then
  npm test || exit 1
else
  npm run test:math || exit 1
  echo "SDK suite: the tests against the program binary were SKIPPED: target/deploy/backstop.so was not built this run"
fi
echo "SDK suite: passed in $(( $(date +%s) - start )) s"
