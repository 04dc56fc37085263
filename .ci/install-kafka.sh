#!/usr/bin/env bash
# Install what the real-Kafka e2e tests need on a fresh Debian machine; idempotent and fast
# when everything is already there:
#   - Java 17 + Maven (only if missing), kcat (librdkafka CLI) from Debian
#   - Apache Kafka jars (tests/kafka/pom.xml: broker, kafka-clients, log4j2 binding) from Maven Central into
#     ${KAFKA_CACHE:-$HOME/.cache/kafka-envoy-wasm} (tests/kafka/kafka-deps.sh; ~/.m2 kept too)
# kafkajs comes from the repo's package.json (npm ci is run by the Node install step).
set -euo pipefail
cd "$(dirname "$0")/.."

pkgs=()
command -v java >/dev/null 2>&1 || pkgs+=(openjdk-17-jdk-headless)
command -v mvn >/dev/null 2>&1 || pkgs+=(maven)
command -v kcat >/dev/null 2>&1 || pkgs+=(kcat)
if ((${#pkgs[@]})); then
  echo "[install-kafka] apt-get install ${pkgs[*]}"
  SUDO=""
  [[ "$(id -u)" == 0 ]] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
fi

bash tests/kafka/kafka-deps.sh
# compile the Java e2e client once into the cache (a dry run needs no broker)
bash tests/clients/java/run.sh --scenario smoke --dry-run --prefix install >/dev/null

if [[ ! -f node_modules/kafkajs/package.json ]]; then
  echo "[install-kafka] note: node_modules/kafkajs missing; run 'npm ci' before the kafkajs client" >&2
fi
echo "[install-kafka] ok: $(java -version 2>&1 | head -1), $(kcat -V 2>&1 | grep -o 'librdkafka [0-9.]*' | head -1)"
