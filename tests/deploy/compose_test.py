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
for name in ("prometheus", "grafana"):
    check(name in services, f"service {name} missing")
    svc = services.get(name, {})
    check(svc.get("profiles") == ["monitoring"],
          f"{name}: not under the 'monitoring' profile")
    check("test" in svc.get("healthcheck", {}), f"{name}: no health check")
    for volume in svc.get("volumes", []):
        host = volume.split(":")[0]
        if host.startswith("."):
            check(os.path.exists(os.path.join(deploy, host)),
                  f"{name}: mounted path {host} does not exist")

prom = services.get("prometheus", {})
graf = services.get("grafana", {})
check(prom.get("depends_on", {}).get("vigil", {}).get("condition")
      == "service_healthy", "prometheus does not wait for a healthy vigil")
check(graf.get("depends_on", {}).get("prometheus", {}).get("condition")
      == "service_healthy", "grafana does not wait for a healthy prometheus")

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
variables = {v["name"]: v for v in dash["templating"]["list"]}
check(variables.get("datasource", {}).get("query") == "prometheus",
      "the dashboard has no Prometheus datasource variable")


def panels(ps):
    for p in ps:
        yield p
        yield from panels(p.get("panels", []))


for p in panels(dash["panels"]):
    if p["type"] == "row":
        continue
    check(p.get("datasource", {}).get("uid") == "${datasource}",
          f"panel {p['title']}: not on the datasource variable")
    for t in p.get("targets", []):
        check(bool(t.get("expr")), f"panel {p['title']}: a target without PromQL")
ids = [p["id"] for p in panels(dash["panels"])]
check(len(ids) == len(set(ids)), "panel ids are not unique")

for f in failures:
    print("FAIL:", f, file=sys.stderr)
print(f"compose_test: {len(failures)} failure(s)")
sys.exit(1 if failures else 0)
