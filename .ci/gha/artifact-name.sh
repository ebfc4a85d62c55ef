#!/usr/bin/env bash
# Names a labs leg's artifact (artifact names may not hold `/`): labs-BACKEND-K-of-N.
#   .ci/gha/artifact-name.sh BACKEND K/N    prints name=labs-..., and appends it to $GITHUB_OUTPUT when set
set -euo pipefail
if [ $# -ne 2 ]; then
  echo "usage: $0 BACKEND K/N" >&2
  exit 2
fi
name="labs-$1-${2/\//-of-}"
echo "name=$name"
if [ -n "${GITHUB_OUTPUT:-}" ]; then echo "name=$name" >>"$GITHUB_OUTPUT"; fi
