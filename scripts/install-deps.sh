#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# install-deps.sh - installs what srr needs to build and test, from Debian's
# packages only. Safe to run again. Needs root (or sudo).
set -euo pipefail

PKGS=(build-essential cmake pkg-config
      libcurl4-openssl-dev libjansson-dev librdkafka-dev libsqlite3-dev
      libmicrohttpd-dev libyaml-dev libssl-dev zlib1g-dev libcriterion-dev python3 python3-yaml systemd dpkg-dev
      bash-completion            # test_completion also runs the script with its helpers
      clang libclang-rt-14-dev   # clang + libFuzzer: tests/fuzz
      chromium fonts-liberation  # headless browser: the review page's screenshot test
      stress-ng)                 # scripts/loaded-suite.sh: the suite on a loaded machine

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all packages present"
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "install-deps: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
