# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
#
# demo-fake.sh - sourced (not run) by the demos that talk to a fake of
# tests/tools (notion-demo.sh, sinks-demo.sh): builds srr and the fake,
# starts it in a fresh demo folder, takes the settings it prints first
# (its URLs, tokens) into the shell, and at the end stops it and prints
# what it received. The caller has `set -euo pipefail` and runs from the
# repository's top.

# demo_fake_start DIR TARGET [ARG...]: builds srr and the fake TARGET,
# empties DIR, starts build/tools/TARGET ARG... there (its output in
# DIR/fake.out, $FAKE its pid, killed on exit) and evals the first line it
# prints.
demo_fake_start() {
    local dir=$1 target=$2
    shift 2
    ./scripts/install-deps.sh >/dev/null
    cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
    cmake --build build -j"$(nproc)" --target srr "$target" >/dev/null
    rm -rf "$dir"
    mkdir -p "$dir"
    "./build/tools/$target" "$@" >"$dir/fake.out" &
    FAKE=$!
    trap 'kill "$FAKE" 2>/dev/null || true' EXIT
    for _ in $(seq 100); do [ -s "$dir/fake.out" ] && break; sleep 0.1; done
    eval "$(head -n 1 "$dir/fake.out")"
}

# demo_fake_stop DIR: stops the fake and prints what it received (its
# output after the first line).
demo_fake_stop() {
    kill -TERM "$FAKE"
    wait "$FAKE" || true
    trap - EXIT
    tail -n +2 "$1/fake.out"
}
