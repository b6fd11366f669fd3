#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# check-deploy.sh - what CI can check of deploy/ on this machine: the .deb
# builds with CPack, installs with dpkg -i, and the installed srr runs as
# the srr user (runuser, which Debian has without sudo) and passes
# `srr doctor --offline` with the packaged config - a sweep-only install -
# leaving its state owned by srr, while root is refused; the bash
# completion is installed and loads; the systemd units pass
# systemd-analyze verify; the Kubernetes manifests parse and carry the
# fields that matter. (The container image needs a Docker engine, which
# this machine has not: deploy/Dockerfile is kept correct by review.)
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

echo "== state belongs to the srr user"
# As root srr refuses to write state into /var/lib/srr (it belongs to srr,
# and root's files would lock the services out), and says how to run it.
if out=$(cd /var/lib/srr && srr doctor -c /etc/srr/srr.yaml --offline 2>&1); then
  echo "srr doctor as root passed; it should refuse to write srr's state"; exit 1
fi
echo "$out" | grep -q 'runuser -u srr -- srr' || { echo "$out"; exit 1; }
(cd /var/lib/srr && runuser -u srr -- srr doctor -c /etc/srr/srr.yaml --offline)
for f in /var/lib/srr/srr.db /var/lib/srr/spool; do
  owner=$(stat -c %U "$f")
  [ "$owner" = srr ] || { echo "$f belongs to $owner, not srr"; exit 1; }
done
(cd /var/lib/srr && SRR_WEBHOOK_TOKEN=ci-token-1234 \
  runuser -u srr -- srr doctor -c /etc/srr/srr.yaml --offline --role serve)

echo "== bash completion"
test -f /usr/share/bash-completion/completions/srr
bash -c 'source /usr/share/bash-completion/completions/srr && complete -p srr'

echo "== systemd units"
systemd-analyze verify /usr/lib/systemd/system/srr-sweep.service \
  /usr/lib/systemd/system/srr-sweep.timer /usr/lib/systemd/system/srr-drain.service \
  /usr/lib/systemd/system/srr-serve.service
echo "units ok"

echo "== kubernetes manifests"
python3 deploy/check_manifests.py deploy/kubernetes/*.yaml
