#!/usr/bin/python3
"""deploy/docker-compose.yml and the files it mounts, checked without a
container engine: the YAML parses; Prometheus and Grafana run under the
`monitoring` profile with health checks and wait for healthy dependencies;
every mounted host path exists; the Prometheus config, the Grafana
provisioning and the compose services agree on names, ports and paths.

    /usr/bin/python3 tests/deploy/compose_test.py [SOURCE_DIR]
"""
import json
import os
import re
import sys

import yaml  # Debian package python3-yaml

root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..")
deploy = os.path.join(root, "deploy")
failures = []


def check(ok, what):
    if not ok:
        failures.append(what)


def load(path):
    with open(os.path.join(deploy, path)) as f:
        return yaml.safe_load(f)


compose = load("docker-compose.yml")
services = compose["services"]


def check_mounts(name, svc):
    """Every mounted host path exists; every named volume is declared."""
    for volume in svc.get("volumes", []):
        host = volume.split(":")[0]
        if host.startswith("."):
            check(os.path.exists(os.path.join(deploy, host)),
                  f"{name}: mounted path {host} does not exist")
        else:
            check(host in compose.get("volumes", {}),
                  f"{name}: volume {host} is not declared")


for name in ("prometheus", "grafana"):
    check(name in services, f"service {name} missing")
    svc = services.get(name, {})
    check(svc.get("profiles") == ["monitoring"],
          f"{name}: not under the 'monitoring' profile")
    check("test" in svc.get("healthcheck", {}), f"{name}: no health check")
    check_mounts(name, svc)

# PostgreSQL: vigil's store, healthy before vigil starts; vigil's --db
# (VIGIL_DB) names the postgres service and its database.
pg = services.get("postgres", {})
check("postgres" in services, "service postgres missing")
check("pg_isready" in " ".join(pg.get("healthcheck", {}).get("test", [])),
      "postgres: no pg_isready health check")
vigil = services.get("vigil", {})
check(vigil.get("depends_on", {}).get("postgres", {}).get("condition")
      == "service_healthy", "vigil does not wait for a healthy postgres")
pg_env = pg.get("environment", {})
db_url = vigil.get("environment", {}).get("VIGIL_DB", "")
check(re.match(r"postgresql://%s:[^@]+@postgres:5432/%s$"
               % (pg_env.get("POSTGRES_USER"), pg_env.get("POSTGRES_DB")),
               db_url) is not None,
      f"VIGIL_DB {db_url} does not name the postgres service's database")
check_mounts("postgres", pg)

prom = services.get("prometheus", {})
graf = services.get("grafana", {})
check(prom.get("depends_on", {}).get("vigil", {}).get("condition")
      == "service_healthy", "prometheus does not wait for a healthy vigil")
check(graf.get("depends_on", {}).get("prometheus", {}).get("condition")
      == "service_healthy", "grafana does not wait for a healthy prometheus")
check(graf.get("depends_on", {}).get("postgres", {}).get("condition")
      == "service_healthy", "grafana does not wait for a healthy postgres")

# vigil is healthy only if its image declares a health check.
with open(os.path.join(deploy, "Dockerfile")) as f:
    dockerfile = f.read()
check("HEALTHCHECK" in dockerfile and "/health" in dockerfile,
      "the vigil image has no HEALTHCHECK on /health")
port = re.search(r"VIGIL_HTTP_PORT=(\d+)", dockerfile)
check(port is not None, "Dockerfile sets no VIGIL_HTTP_PORT")

# Prometheus: its config is the mounted deploy/prometheus/prometheus.yml,
# scraping the vigil service on the image's HTTP port, loading the rules.
mounts = dict(v.split(":")[:2] for v in prom.get("volumes", []))
check(mounts.get("./prometheus") == "/etc/prometheus",
      "deploy/prometheus is not mounted at /etc/prometheus")
check("--config.file=/etc/prometheus/prometheus.yml" in prom.get("command", []),
      "prometheus does not run /etc/prometheus/prometheus.yml")
prom_cfg = load("prometheus/prometheus.yml")
for rules in prom_cfg.get("rule_files", []):
    check(os.path.exists(os.path.join(deploy, "prometheus", rules)),
          f"rule file {rules} missing")
targets = [t for job in prom_cfg["scrape_configs"]
           for sc in job.get("static_configs", []) for t in sc["targets"]]
if port:
    check(f"vigil:{port.group(1)}" in targets,
          f"prometheus.yml does not scrape vigil:{port.group(1)}: {targets}")
check(any(job["job_name"] == "vigil" for job in prom_cfg["scrape_configs"]),
      "no scrape job named 'vigil' (the alerts select job=\"vigil\")")

# Grafana: the datasource points at the prometheus service, the dashboards
# provider reads where the dashboards are mounted, and the dashboard uses the
# provisioned Prometheus.
gmounts = dict(v.split(":")[:2] for v in graf.get("volumes", []))
check(gmounts.get("./grafana/provisioning") == "/etc/grafana/provisioning",
      "deploy/grafana/provisioning is not mounted at /etc/grafana/provisioning")
ds = load("grafana/provisioning/datasources/prometheus.yml")["datasources"]
check(len(ds) == 1 and ds[0]["type"] == "prometheus", "one Prometheus datasource")
check(ds[0]["url"] == "http://prometheus:9090",
      f"datasource url {ds[0]['url']} is not the prometheus service")
providers = load("grafana/provisioning/dashboards/vigil.yml")["providers"]
dash_dir = providers[0]["options"]["path"]
check(gmounts.get("./grafana/dashboards") == dash_dir,
      f"dashboards provider reads {dash_dir}, not the mounted dashboards")
home = graf.get("environment", {}).get("GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH")
check(home is None or home.startswith(dash_dir + "/")
      and os.path.exists(os.path.join(deploy, "grafana", "dashboards",
                                      os.path.basename(home))),
      f"home dashboard {home} is not a provisioned dashboard")
with open(os.path.join(deploy, "grafana", "dashboards", "vigil.json")) as f:
    dash = json.load(f)
pg_ds = load("grafana/provisioning/datasources/postgres.yml")["datasources"]
check(len(pg_ds) == 1 and pg_ds[0]["type"] == "postgres",
      "one PostgreSQL datasource")
check(pg_ds[0]["url"] == "postgres:5432",
      f"PostgreSQL datasource url {pg_ds[0]['url']} is not the postgres service")
check(pg_ds[0]["jsonData"]["database"] == pg_env.get("POSTGRES_DB"),
      "the PostgreSQL datasource reads another database than vigil writes")
with open(os.path.join(deploy, "postgres-init", "10-vigil-reader.sql")) as f:
    check(f"ROLE {pg_ds[0]['user']} " in f.read(),
          "the PostgreSQL datasource's user is not created by postgres-init")
variables = {v["name"]: v for v in dash["templating"]["list"]}
check(variables.get("datasource", {}).get("query") == "prometheus",
      "the dashboard has no Prometheus datasource variable")


def panels(ps):
    for p in ps:
        yield p
        yield from panels(p.get("panels", []))


sql_panels = 0
for p in panels(dash["panels"]):
    if p["type"] == "row":
        continue
    if p.get("datasource", {}).get("uid") == pg_ds[0]["uid"]:
        # SQL panels (run against a real PostgreSQL by postgres_test).
        sql_panels += 1
        for t in p.get("targets", []):
            check(bool(t.get("rawSql")), f"panel {p['title']}: a target without SQL")
        continue
    check(p.get("datasource", {}).get("uid") == "${datasource}",
          f"panel {p['title']}: not on the datasource variable")
    for t in p.get("targets", []):
        check(bool(t.get("expr")), f"panel {p['title']}: a target without PromQL")
check(sql_panels > 0, "no SQL panel on the PostgreSQL datasource")
ids = [p["id"] for p in panels(dash["panels"])]
check(len(ids) == len(set(ids)), "panel ids are not unique")

# The cluster profile: a one-shot certificate maker, one store listening on
# the compose network with mutual TLS, ingest nodes that scale (no published
# port, no fixed name) and find the store by its service name.
check("openssl" in dockerfile.split("FROM debian:bookworm-slim\n")[-1],
      "the runtime image has no openssl for the cluster-certs service")
certs = services.get("cluster-certs", {})
store = services.get("store", {})
ingest = services.get("ingest", {})
for name, svc in (("cluster-certs", certs), ("store", store), ("ingest", ingest)):
    check(name in services, f"service {name} missing")
    check(svc.get("profiles") == ["cluster"],
          f"{name}: not under the 'cluster' profile")
    check_mounts(name, svc)
check(certs.get("command", [None])[0] in
      [v.split(":")[1] for v in certs.get("volumes", [])],
      "cluster-certs does not write into a mounted volume")


def flags(cmd):
    """--flag value pairs of a command list."""
    out = {}
    for i, word in enumerate(cmd):
        if word.startswith("--"):
            out[word] = cmd[i + 1] if i + 1 < len(cmd) else ""
    return out


def tls_dir(svc):
    return {v.split(":")[1]: v.split(":")[0] for v in svc.get("volumes", [])}


store_flags = flags(store.get("command", []))
ingest_flags = flags(ingest.get("command", []))
check(store.get("command", [""])[0] == "run" and store_flags.get("--role") == "store",
      "store does not run --role store")
check(ingest.get("command", [""])[0] == "run"
      and ingest_flags.get("--role") == "ingest",
      "ingest does not run --role ingest")
check(ingest_flags.get("--store") == "store:" + store_flags.get("--cluster-port", "4243"),
      f"ingest's --store {ingest_flags.get('--store')} is not the store's "
      "cluster endpoint")
check(store_flags.get("--cluster-host") not in (None, "127.0.0.1", "localhost"),
      "the store's cluster endpoint is not reachable from other containers")
cert_volume = [v.split(":")[0] for v in certs.get("volumes", [])
               if v.split(":")[1] == certs.get("command", [""])[0]]
for name, svc, f in (("store", store, store_flags), ("ingest", ingest, ingest_flags)):
    for flag, file in (("--tls-ca", "cluster-ca.pem"), ("--tls-cert", "node.pem"),
                       ("--tls-key", "node.key")):
        path = f.get(flag, "")
        check(os.path.basename(path) == file,
              f"{name}: {flag} is {path!r}, not the {file} cluster-certs makes")
        mounts_of = tls_dir(svc)
        check(mounts_of.get(os.path.dirname(path)) in cert_volume,
              f"{name}: {flag} {path} is not in the cluster-certs volume")
    check(svc.get("depends_on", {}).get("cluster-certs", {}).get("condition")
          == "service_completed_successfully",
          f"{name} does not wait for the certificates")
    env = svc.get("environment", {})
    check(env.get("VIGIL_GROUP") not in (None, vigil.get("environment", {}).get("VIGIL_GROUP")),
          f"{name}: the cluster needs its own consumer group")
check(store.get("environment", {}).get("VIGIL_GROUP")
      == ingest.get("environment", {}).get("VIGIL_GROUP")
      and store.get("environment", {}).get("VIGIL_TOPIC")
      == ingest.get("environment", {}).get("VIGIL_TOPIC"),
      "store and ingest read different groups or topics")
check("ports" not in ingest and "container_name" not in ingest,
      "ingest publishes a port or has a fixed name: --scale ingest=N fails")
check(ingest.get("depends_on", {}).get("store", {}).get("condition")
      == "service_healthy", "ingest does not wait for a healthy store")
check(store.get("depends_on", {}).get("postgres", {}).get("condition")
      == "service_healthy", "store does not wait for a healthy postgres")
store_db = re.match(r"postgresql://[^@]+@postgres:5432/(\w+)$",
                    store.get("environment", {}).get("VIGIL_DB", ""))
check(store_db is not None and store_db.group(1) != pg_env.get("POSTGRES_DB"),
      "the store does not write its own database on the postgres service")
if store_db:
    init = ""
    for f in sorted(os.listdir(os.path.join(deploy, "postgres-init"))):
        with open(os.path.join(deploy, "postgres-init", f)) as fh:
            init += fh.read()
    check(f"CREATE DATABASE {store_db.group(1)} " in init,
          f"postgres-init does not create the store's database {store_db.group(1)}")
store_ports = [p.split(":") for p in store.get("ports", [])]
check(all(p[0] == "127.0.0.1" for p in store_ports) and store_ports,
      "the store's HTTP port is not published on the host's loopback")
check(not any(p.split(":")[-2] in {x.split(":")[-2] for x in vigil.get("ports", [])}
              for p in store.get("ports", [])),
      "the store publishes the same host port as the single node")

for f in failures:
    print("FAIL:", f, file=sys.stderr)
print(f"compose_test: {len(failures)} failure(s)")
sys.exit(1 if failures else 0)
