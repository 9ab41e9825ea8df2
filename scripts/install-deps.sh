#!/usr/bin/env bash
# Installs the Debian packages the build, the tests and the demo need. Idempotent: does nothing
# (and needs no network) when everything is there. Usage: scripts/install-deps.sh [bench]
set -eu
export DEBIAN_FRONTEND=noninteractive
pkgs="g++ clang cmake ninja-build make googletest libgtest-dev libgmock-dev libbenchmark-dev liburing-dev libssl-dev nlohmann-json3-dev python3"
[ "${1:-}" = bench ] && pkgs="$pkgs time procps util-linux"
missing=""
for p in $pkgs; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "install-deps: installing:$missing" >&2
SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq $missing >&2
