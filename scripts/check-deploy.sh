#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# check-deploy.sh - what CI can check of deploy/ on this machine: the .deb
# builds with CPack, installs with dpkg -i, and the installed srr runs and
# passes `srr doctor --offline` with the packaged config; the systemd units
# pass systemd-analyze verify; the Kubernetes manifests parse and carry the
# fields that matter. (The container image needs a Docker engine, which this
# machine has not: deploy/Dockerfile is kept correct by review.)
set -euo pipefail
cd "$(dirname "$0")/.."

build=build-pkg
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSRR_BUILD_TESTS=OFF \
      -DCMAKE_INSTALL_PREFIX=/usr >/dev/null
cmake --build "$build" -j"$(nproc)" --target srr >/dev/null
(cd "$build" && cpack -G DEB >/dev/null)
deb=$(ls "$build"/srr_*.deb)
echo "== package: $deb"
dpkg-deb -I "$deb" | grep -E '^ (Package|Version|Depends):'

echo "== install"
dpkg -i "$deb" >/dev/null
srr --version
test -f /etc/srr/srr.yaml
grep -q '/var/lib/srr/srr.db' /etc/srr/srr.yaml
(cd /var/lib/srr && SRR_WEBHOOK_TOKEN=ci-token-1234 srr doctor -c /etc/srr/srr.yaml --offline)

echo "== systemd units"
systemd-analyze verify /usr/lib/systemd/system/srr-sweep.service \
  /usr/lib/systemd/system/srr-sweep.timer /usr/lib/systemd/system/srr-drain.service \
  /usr/lib/systemd/system/srr-serve.service
echo "units ok"

echo "== kubernetes manifests"
python3 deploy/check_manifests.py deploy/kubernetes/*.yaml
