#!/usr/bin/env bash
# Installs what `make test-istio` needs: Debian's docker-registry (a real OCI registry run
# on loopback by tests/istio) and the Go modules of tools/oci and tests/istio, for both Istio
# builds of tests/istio (go.mod: the newest release, go.floor.mod: the floor), into the
# default GOPATH module cache, which CI caches. Envoy comes from .ci/install-envoy.sh, the
# broker's jars and kcat from .ci/install-kafka.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x /usr/bin/docker-registry ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq docker-registry
fi
(cd tools/oci && go mod download)
(cd tests/istio && go mod download && go mod download -modfile=go.floor.mod)
