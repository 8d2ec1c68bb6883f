#!/usr/bin/python3
"""deploy/k8s/*.yaml checked without a cluster: every document parses; the
store and PostgreSQL are StatefulSets with a volume claim; ingest is a
Deployment running `vigil run --role ingest --store vigil-store:4243`; every
vigil container is probed on /health (liveness) and /ready (readiness);
every container requests CPU and memory; Services select existing pods and
the Secret keys used agree.

    /usr/bin/python3 tests/deploy/k8s_test.py [SOURCE_DIR]
"""
import glob
import os
import sys

import yaml  # Debian package python3-yaml

root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..")
failures = []


def check(ok, what):
    if not ok:
        failures.append(what)


docs = []
for path in sorted(glob.glob(os.path.join(root, "deploy", "k8s", "*.yaml"))):
    with open(path) as f:
        docs += [(os.path.basename(path), d) for d in yaml.safe_load_all(f) if d]
by_kind = {}
for name, d in docs:
    by_kind.setdefault(d["kind"], {})[d["metadata"]["name"]] = d

for name in ("vigil-store", "vigil-postgres"):
    sts = by_kind.get("StatefulSet", {}).get(name)
    check(sts is not None, f"StatefulSet {name} missing")
    if sts:
        check(sts["spec"]["replicas"] == 1, f"{name}: not one replica")
        claims = [c["metadata"]["name"]
                  for c in sts["spec"].get("volumeClaimTemplates", [])]
        mounts = [m["name"] for c in sts["spec"]["template"]["spec"]["containers"]
                  for m in c.get("volumeMounts", [])]
        check(claims and set(claims) <= set(mounts),
              f"{name}: no volume claim mounted")
        check(sts["spec"]["serviceName"] in by_kind.get("Service", {}),
              f"{name}: serviceName is not a Service")

ingest = by_kind.get("Deployment", {}).get("vigil-ingest")
check(ingest is not None, "Deployment vigil-ingest missing")
if ingest:
    args = ingest["spec"]["template"]["spec"]["containers"][0]["args"]
    check(args[:5] == ["run", "--role", "ingest", "--store", "vigil-store:4243"],
          f"vigil-ingest runs {args}")
store_svc = by_kind.get("Service", {}).get("vigil-store", {})
check(4243 in [p["port"] for p in store_svc.get("spec", {}).get("ports", [])],
      "Service vigil-store does not expose 4243 for ingest nodes")

workloads = [d for k in ("StatefulSet", "Deployment")
             for d in by_kind.get(k, {}).values()]
labels = [w["spec"]["template"]["metadata"]["labels"] for w in workloads]
for svc in by_kind.get("Service", {}).values():
    sel = svc["spec"]["selector"]
    check(any(all(l.get(k) == v for k, v in sel.items()) for l in labels),
          f"Service {svc['metadata']['name']} selects no pod")
secret_keys = set()
for w in workloads:
    for c in w["spec"]["template"]["spec"]["containers"]:
        where = f"{w['metadata']['name']}/{c['name']}"
        req = c.get("resources", {}).get("requests", {})
        check("cpu" in req and "memory" in req, f"{where}: no cpu/memory request")
        for e in c.get("env", []):
            ref = e.get("valueFrom", {}).get("secretKeyRef")
            if ref:
                secret_keys.add((ref["name"], ref["key"]))
        if "vigil" in c["image"] and "postgres" not in c["image"]:
            live = c.get("livenessProbe", {}).get("httpGet", {}).get("path")
            ready = c.get("readinessProbe", {}).get("httpGet", {}).get("path")
            check(live == "/health", f"{where}: liveness is {live}, not /health")
            check(ready == "/ready", f"{where}: readiness is {ready}, not /ready")
            env = {e["name"]: e for e in c.get("env", [])}
            port = env.get("VIGIL_HTTP_PORT", {}).get("value")
            check(port == "8080" and env.get("VIGIL_HTTP_HOST", {}).get("value")
                  == "0.0.0.0", f"{where}: HTTP not on 0.0.0.0:8080")
check(secret_keys == {("vigil-db", "password"), ("vigil-db", "url")},
      f"secret keys used: {sorted(secret_keys)}")
with open(os.path.join(root, "deploy", "k8s", "postgres.yaml")) as f:
    text = f.read()
check("--from-literal=password=" in text and "--from-literal=url=" in text,
      "postgres.yaml does not say how to create the vigil-db Secret")

# The cluster: the store listens for ingest nodes beyond loopback, so both
# run with mutual TLS from the mounted Secret vigil-cluster-tls.
store = by_kind.get("StatefulSet", {}).get("vigil-store")
for w in (store, ingest):
    if not w:
        continue
    name = w["metadata"]["name"]
    pod = w["spec"]["template"]["spec"]
    c = pod["containers"][0]
    args = c["args"]
    flags = {args[i]: args[i + 1] for i in range(len(args) - 1)
             if args[i].startswith("--")}
    secrets = {v["name"]: v["secret"]["secretName"]
               for v in pod.get("volumes", []) if "secret" in v}
    mounts = {m["mountPath"]: m["name"] for m in c.get("volumeMounts", [])}
    for flag in ("--tls-ca", "--tls-cert", "--tls-key"):
        path = flags.get(flag, "")
        check(secrets.get(mounts.get(os.path.dirname(path)))
              == "vigil-cluster-tls",
              f"{name}: {flag} {path!r} is not in the vigil-cluster-tls Secret")
    check(pod.get("securityContext", {}).get("fsGroup") == 999,
          f"{name}: the key is not readable by the image's group vigil")
    if w is store:
        check(flags.get("--role") == "store", f"vigil-store runs {args}")
        check(flags.get("--cluster-host") == "0.0.0.0"
              and flags.get("--cluster-port") == "4243",
              "vigil-store does not serve the cluster on 0.0.0.0:4243")
with open(os.path.join(root, "deploy", "k8s", "vigil-store.yaml")) as f:
    text = f.read()
for key in ("ca.crt", "tls.crt", "tls.key"):
    check(f"--from-file={key}=" in text,
          f"vigil-store.yaml does not say how to create the Secret key {key}")

for f in failures:
    print("FAIL:", f, file=sys.stderr)
print(f"k8s_test: {len(docs)} documents, {len(failures)} failure(s)")
sys.exit(1 if failures else 0)
