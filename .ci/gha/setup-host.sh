#!/usr/bin/env bash
# Prepares a host (a GitHub runner, ubuntu-latest; or this project's own CI machine, through
# .ci/run) for vxlab's labs: the programs the labs run, and the kernel's VXLAN module.
#
#   .ci/gha/setup-host.sh            install and load, with sudo unless already root
#   .ci/gha/setup-host.sh --dry-run  print what it would run, change nothing
#
# The labs themselves run with sudo (run-labs.sh), so Ubuntu 24.04's AppArmor restriction on
# unprivileged user namespaces (kernel.apparmor_restrict_unprivileged_userns=1) does not matter:
# as root, bubblewrap makes its namespaces without a user namespace. vxlab's rootless mode is the
# one that would need it.
set -euo pipefail

dry_run=0
case "${1:-}" in
  --dry-run) dry_run=1 ;;
  "") ;;
  *) echo "usage: $0 [--dry-run]" >&2; exit 2 ;;
esac

sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)

run() {
  echo "+ $*"
  [ "$dry_run" -eq 1 ] || "$@"
}

export DEBIAN_FRONTEND=noninteractive
run "${sudo[@]}" apt-get update -qq
# iproute2 (ip, bridge), tcpdump (captures), iputils-ping, bubblewrap (each node's sandbox),
# util-linux (nsenter, unshare, setpriv), kmod (modprobe); gcc and linux-libc-dev build
# vxlab-enter at `npm ci` (without them, commands enter nodes through nsenter and setpriv: slower).
run "${sudo[@]}" apt-get install -y -qq --no-install-recommends iproute2 tcpdump iputils-ping bubblewrap util-linux kmod gcc linux-libc-dev

# VXLAN: already loaded (or built in), else modprobe, else the runner's kernel ships it only in
# linux-modules-extra-$(uname -r) (seen on GitHub's Azure kernels).
if [ -d /sys/module/vxlan ]; then
  echo "vxlan: the kernel has it (/sys/module/vxlan)"
elif [ "$dry_run" -eq 1 ]; then
  echo "+ ${sudo[*]} modprobe vxlan || { ${sudo[*]} apt-get install -y linux-modules-extra-$(uname -r) && ${sudo[*]} modprobe vxlan; }"
elif "${sudo[@]}" modprobe vxlan; then
  echo "vxlan: loaded with modprobe"
else
  echo "vxlan: modprobe failed; installing linux-modules-extra-$(uname -r)"
  run "${sudo[@]}" apt-get install -y -qq --no-install-recommends "linux-modules-extra-$(uname -r)"
  run "${sudo[@]}" modprobe vxlan
fi
