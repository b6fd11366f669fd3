#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
#
# check-cycles.py - enforces the rule that no two source files depend on
# each other in a cycle (DESIGN.md 4b: the floors cmd -> store -> ingest |
# rules -> core, and within a folder calls go one way). It reads the
# object files of a build with nm: each object's defined symbols (T, D, B,
# R: functions, data, read-only data) and undefined ones (U), maps them to
# their source files, and draws an edge A -> B when A uses a symbol B
# defines. It prints every pair of files that use each other
# ("A uses x, y (B) | B uses z (A)") and every larger group of files
# caught in one loop (a strongly connected component), and exits 1 when
# there is either; 0 when the graph has no cycle; 2 when it found no
# objects (a wrong build directory must not pass).
#
# Usage: scripts/check-cycles.py [--nm NM] [--src SOURCE_DIR] BUILD_DIR
# With --src, an object whose source file is gone (left in the build
# directory after a file was moved or deleted) is skipped. CTest runs it
# as the test `file_cycles` (CMakeLists.txt) on its own build, so the
# normal and the ASan suites both check it. Test objects (BUILD_DIR/tests/)
# are left out: a test may call whatever it checks.
import argparse
import os
import subprocess
import sys


def objects(build):
    """Yields (source path relative to the source tree, object path) for
    every object CMake built outside tests/: BUILD/<dir>/CMakeFiles/
    <target>.dir/<path>.c.o comes from <dir>/<path>.c."""
    for root, dirs, files in os.walk(build):
        rel = os.path.relpath(root, build)
        if rel == "tests" or rel.startswith("tests" + os.sep):
            dirs[:] = []
            continue
        for f in files:
            if not f.endswith(".c.o"):
                continue
            path = os.path.join(root, f)
            top, sep, rest = os.path.relpath(path, build).partition(os.sep + "CMakeFiles" + os.sep)
            if not sep:
                continue
            inner = rest.split(os.sep, 1)  # "<target>.dir", "<path>.c.o"
            if len(inner) == 2:
                src = inner[1][: -len(".o")]
                yield os.path.normpath(src if top == "." else os.path.join(top, src)), path


def symbols(nm, path):
    """(defined, undefined) global symbol names of one object."""
    out = subprocess.run([nm, path], capture_output=True, text=True, check=True).stdout
    defined, undefined = set(), set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == "U":
            undefined.add(parts[1])
        elif len(parts) == 3 and parts[1] in ("T", "D", "B", "R"):
            defined.add(parts[2])
    return defined, undefined


def components(nodes, edges):
    """Strongly connected components of more than one node (Tarjan's
    algorithm, iterative so a deep graph cannot overflow the stack)."""
    index, low, on, stack, found, counter = {}, {}, set(), [], [], 0
    for start in sorted(nodes):
        if start in index:
            continue
        work = [(start, iter(sorted(edges.get(start, ()))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on.add(start)
        while work:
            v, it = work[-1]
            w = next(it, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(edges.get(w, ())))))
                elif w in on:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    found.append(sorted(comp))
    return found


def main():
    ap = argparse.ArgumentParser(description="Fail when source files call each other in a cycle.")
    ap.add_argument("--nm", default=os.environ.get("NM", "nm"), help="the nm to run (default: nm)")
    ap.add_argument("--src", help="the source tree: skip objects whose source is gone")
    ap.add_argument("build", help="a CMake build directory, after the build")
    args = ap.parse_args()

    defs, uses = {}, {}
    for src, path in objects(args.build):
        if args.src and not os.path.exists(os.path.join(args.src, src)):
            continue
        d, u = symbols(args.nm, path)
        uses.setdefault(src, set()).update(u)
        for sym in d:
            defs.setdefault(sym, set()).add(src)
    if not uses:
        print(f"check-cycles: no objects under {args.build} (build it first)", file=sys.stderr)
        return 2

    dep = {}  # dep[a][b] = the symbols of b that a uses
    for src, used in uses.items():
        for sym in used:
            for owner in defs.get(sym, ()):
                if owner != src:
                    dep.setdefault(src, {}).setdefault(owner, set()).add(sym)

    pairs = 0
    for a in sorted(dep):
        for b in sorted(dep[a]):
            if a < b and a in dep.get(b, {}):
                pairs += 1
                print(f"{a} uses {', '.join(sorted(dep[a][b]))} ({b}) | "
                      f"{b} uses {', '.join(sorted(dep[b][a]))} ({a})")
    comps = components(uses.keys(), dep)
    for comp in comps:
        print("cycle among: " + " ".join(comp))
    print(f"check-cycles: {len(uses)} source files, {pairs} pair(s) calling each other, "
          f"{len(comps)} group(s) of files in a cycle")
    return 1 if pairs or comps else 0


if __name__ == "__main__":
    sys.exit(main())
