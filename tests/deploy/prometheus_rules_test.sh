#!/usr/bin/env bash
# The Prometheus configuration and alerting rules of deploy/prometheus/,
# checked and unit-tested with the real promtool (Debian package
# 'prometheus'): the config and the rules parse, and every alert fires on the
# series of vigil-rules.test.yml that should fire it and on no other.
#   tests/deploy/prometheus_rules_test.sh [SOURCE_DIR]
set -euo pipefail
root=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
dir=$root/deploy/prometheus
promtool=${PROMTOOL:-promtool}
if ! command -v "$promtool" >/dev/null; then
  echo "promtool is missing: run deploy/install-deps.sh (Debian package 'prometheus')" >&2
  exit 1
fi
"$promtool" check config "$dir/prometheus.yml"
"$promtool" check rules "$dir/vigil-rules.yml"
"$promtool" test rules "$dir/vigil-rules.test.yml"
# Every alert of the rules file has a test case.
missing=0
for alert in $(sed -n 's/^ *- alert: *\([A-Za-z]*\).*/\1/p' "$dir/vigil-rules.yml"); do
  if ! grep -q "alertname: $alert\$" "$dir/vigil-rules.test.yml"; then
    echo "alert $alert has no test in vigil-rules.test.yml" >&2
    missing=1
  fi
done
exit $missing
