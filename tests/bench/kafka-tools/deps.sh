#!/usr/bin/env bash
# Kafka's load tools (kafka-tools 4.1.1: ProducerPerformance, ConsumerPerformance) for `make bench`,
# from Maven Central into $KAFKA_CACHE/bench-tools-<version> (same cache and stamp scheme as
# tests/kafka/lib.sh). Fast no-op when cached.
#   tests/bench/kafka-tools/deps.sh              fetch
#   tests/bench/kafka-tools/deps.sh --classpath  also print the classpath on stdout
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/../../kafka/lib.sh"
jars="$KAFKA_CACHE/bench-tools-$KAFKA_VERSION"
want="$(sha256sum "$here/pom.xml" | cut -d' ' -f1)"
if ! [[ -f "$jars/.stamp" && "$(cat "$jars/.stamp")" == "$want" ]] || ! ls "$jars"/kafka-tools-*.jar >/dev/null 2>&1; then
  command -v mvn >/dev/null || { kafka_log "mvn not found (install maven)"; exit 1; }
  kafka_log "fetching kafka-tools $KAFKA_VERSION jars into $jars"
  rm -rf "$jars.tmp"; mkdir -p "$jars.tmp" "$KAFKA_CACHE"
  if ! mvn -q -B -Dstyle.color=never -f "$here/pom.xml" -Dkafka.version="$KAFKA_VERSION" \
      dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$jars.tmp" \
      > "$KAFKA_CACHE/mvn-bench-tools.log" 2>&1; then
    kafka_log "mvn dependency:copy-dependencies failed:"; tail -n 40 "$KAFKA_CACHE/mvn-bench-tools.log" >&2; exit 1
  fi
  echo "$want" > "$jars.tmp/.stamp"
  rm -rf "$jars"; mv "$jars.tmp" "$jars"
fi
if [[ "${1:-}" == "--classpath" ]]; then
  cp=""; for j in "$jars"/*.jar; do cp="${cp:+$cp:}$j"; done; printf '%s\n' "$cp"
fi
