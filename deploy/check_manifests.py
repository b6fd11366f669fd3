#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
#
# check_manifests.py - CI check of deploy/kubernetes: every document parses
# and carries what running srr safely needs (the CronJob forbids overlapping
# sweeps, the receiver has liveness/readiness probes and resource requests,
# the writer is a single-replica StatefulSet with a volume, secrets are
# referenced and never inlined, containers do not run as root).
import sys
import yaml

def fail(msg):
    print("check_manifests: " + msg)
    sys.exit(1)

def containers(spec):
    return spec.get("containers", [])

def check_pod(kind, name, pod):
    sc = pod.get("securityContext", {})
    if not sc.get("runAsNonRoot"):
        fail(f"{kind}/{name}: pod must set securityContext.runAsNonRoot")
    for c in containers(pod):
        if "resources" not in c or "requests" not in c["resources"]:
            fail(f"{kind}/{name}: container {c['name']} needs resource requests")
        for e in c.get("env", []):
            if "value" in e and any(k in e["name"] for k in ("KEY", "TOKEN", "PASSWORD", "SECRET")):
                fail(f"{kind}/{name}: secret {e['name']} is inlined; use a secretKeyRef")

def main(paths):
    seen = {}
    for path in paths:
        with open(path) as f:
            for doc in yaml.safe_load_all(f):
                if not doc:
                    continue
                for k in ("apiVersion", "kind", "metadata"):
                    if k not in doc:
                        fail(f"{path}: a document lacks {k}")
                kind, name = doc["kind"], doc["metadata"]["name"]
                seen[kind] = doc
                if kind == "Secret":
                    fail(f"{path}: Secret {name} is inlined; create it out of band")
                if kind == "CronJob":
                    spec = doc["spec"]
                    if spec.get("concurrencyPolicy") != "Forbid":
                        fail(f"CronJob/{name}: concurrencyPolicy must be Forbid")
                    check_pod(kind, name, spec["jobTemplate"]["spec"]["template"]["spec"])
                if kind == "Deployment":
                    pod = doc["spec"]["template"]["spec"]
                    check_pod(kind, name, pod)
                    for c in containers(pod):
                        if c.get("livenessProbe", {}).get("httpGet", {}).get("path") != "/healthz":
                            fail(f"Deployment/{name}: liveness probe must be GET /healthz")
                        if c.get("readinessProbe", {}).get("httpGet", {}).get("path") != "/readyz":
                            fail(f"Deployment/{name}: readiness probe must be GET /readyz")
                if kind == "StatefulSet":
                    spec = doc["spec"]
                    if spec.get("replicas") != 1:
                        fail(f"StatefulSet/{name}: the SQLite writer must have exactly 1 replica")
                    if not spec.get("volumeClaimTemplates"):
                        fail(f"StatefulSet/{name}: needs a volume for the SQLite file")
                    check_pod(kind, name, spec["template"]["spec"])
    for k in ("CronJob", "Deployment", "Service", "StatefulSet"):
        if k not in seen:
            fail(f"no {k} in {', '.join(paths)}")
    print(f"check_manifests: ok ({', '.join(sorted(seen))})")

if __name__ == "__main__":
    main(sys.argv[1:])
