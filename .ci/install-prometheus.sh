#!/usr/bin/env bash
# Installs Debian's prometheus package (prometheus and promtool) for the alert-rule unit tests and
# the panel-query suite (make test-alerts, make test-panels) and the demo. With --preview also
# Debian's python3-matplotlib for `make dashboard-preview`. Idempotent and fast when present.
# The package's own service (systemd, :9090) is not used: the suites and the demo start their own
# Prometheus on a free or chosen port (tests/prometheus/prometheus.ts).
set -euo pipefail
cd "$(dirname "$0")/.."

pkgs=()
[[ -x /usr/bin/prometheus && -x /usr/bin/promtool ]] || pkgs+=(prometheus)
if [[ "${1:-}" == "--preview" ]]; then
  /usr/bin/python3 -c 'import matplotlib' 2>/dev/null || pkgs+=(python3-matplotlib)
fi
if ((${#pkgs[@]})); then
  echo "[install-prometheus] apt-get install ${pkgs[*]}"
  SUDO=""
  [[ "$(id -u)" == 0 ]] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
fi
echo "[install-prometheus] ok: $(/usr/bin/prometheus --version 2>&1 | head -1)"
