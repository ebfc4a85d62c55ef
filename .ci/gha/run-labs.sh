#!/usr/bin/env bash
# Runs one CI leg: every scenario of shard K/N on one backend, as root, as TAP; then the summary
# (`report`): JUnit XML beside the TAP, and Markdown appended to $GITHUB_STEP_SUMMARY when set.
#
#   .ci/gha/run-labs.sh BACKEND K/N      e.g. .ci/gha/run-labs.sh netns 1/2
#
# Writes to $VXLAB_CI_OUT (default ci-out/): labs-BACKEND-K-of-N.tap, .xml, .md, and every
# capture in pcaps/ (named in the TAP). Exits with the
# run's code (0 passed, 1 a check failed, 2 bad arguments, 3 a prerequisite is missing), or with
# report's when the run said 0 but its TAP cannot be read as a whole pass.
set -uo pipefail
cd "$(dirname "$0")/../.."

if [ $# -ne 2 ]; then
  echo "usage: $0 BACKEND K/N" >&2
  exit 2
fi
backend=$1
shard=$2
out=${VXLAB_CI_OUT:-ci-out}
mkdir -p "$out"
base="$out/labs-$backend-${shard/\//-of-}"

sudo=()
# `env PATH=...`: sudo's secure_path would hide the runner's setup-node (no SETENV needed).
[ "$(id -u)" -eq 0 ] || sudo=(sudo env "PATH=$PATH")

# --silent: npm's own "> vxlab lab" banner would otherwise land in the TAP.
echo "+ ${sudo[*]} npm run --silent lab -- --all --shard $shard --backend $backend --reporter tap --pcap-dir $out/pcaps > $base.tap"
"${sudo[@]}" npm run --silent lab -- --all --shard "$shard" --backend "$backend" --reporter tap --pcap-dir "$out/pcaps" >"$base.tap"
code=$?
echo "run: exit $code"

npm run --silent lab -- report "$base.tap" --junit "$base.xml" --markdown >"$base.md"
report_code=$?
echo "report: exit $report_code"
cat "$base.md"
if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
  { printf '**%s backend, shard %s** (`%s`)\n\n' "$backend" "$shard" "$base.tap"; cat "$base.md"; } >>"$GITHUB_STEP_SUMMARY"
fi

if [ "$code" -eq 0 ] && [ "$report_code" -ne 0 ]; then
  exit "$report_code"
fi
exit "$code"
