#!/usr/bin/env bash
# Installs everything vigil needs to build, test and run, from Debian 12's
# archive. Idempotent: packages already present are left alone.
set -euo pipefail

packages=(
  build-essential cmake ccache pkg-config git ca-certificates
  libcaf-dev librdkafka-dev nlohmann-json3-dev libboost-test-dev
  libsqlite3-dev libsimdjson-dev sqlite3 prometheus-cpp-dev libcpp-httplib-dev
  libpq-dev postgresql zlib1g-dev
  clang-14 libclang-rt-14-dev clang-format-14 clang-tidy-14
  kcat procps psmisc lsof curl openssl libssl-dev
  prometheus python3-yaml
  chromium
)

# The dashboard's build step runs `npm ci` (web/package-lock.json) and its
# browser test runs node. Debian's nodejs 18 and npm 9 do; a Node.js that
# already brings its own npm (e.g. a NodeSource package, which conflicts with
# Debian's npm) is left alone.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  packages+=(nodejs npm)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi
# PostgreSQL: the tests start their own throwaway servers (initdb + pg_ctl in
# a temporary directory, as `nobody` when run as root); the package's own
# cluster is not needed, so none is created.
if printf '%s\n' "${missing[@]}" | grep -qx postgresql \
  && [ ! -d /var/lib/postgresql/15/main ]; then
  conf=/etc/postgresql-common/createcluster.conf
  $SUDO mkdir -p /etc/postgresql-common
  grep -qs '^create_main_cluster' "$conf" \
    || echo "create_main_cluster = false" | $SUDO tee -a "$conf" >/dev/null
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
