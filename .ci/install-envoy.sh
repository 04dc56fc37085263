#!/usr/bin/env bash
# Installs the pinned official Envoy binaries (tests/envoy/versions.tsv) that the end-to-end
# suites, the demo and the benchmarks run the module in.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tests/envoy/install.sh
