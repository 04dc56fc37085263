#!/usr/bin/env bash
# Fetch Apache Kafka (broker + kafka-clients + log4j2 binding) jars into the cache.
#   tests/kafka/kafka-deps.sh            fetch (no-op when cached)
#   tests/kafka/kafka-deps.sh --classpath   also print the classpath on stdout
#   tests/kafka/kafka-deps.sh --clients-jar also print the kafka-clients jar's path on stdout
# The version is the kafka.version property of tests/kafka/pom.xml (override: KAFKA_VERSION).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
if [[ "${1:-}" == "--classpath" ]]; then
  kafka_classpath
elif [[ "${1:-}" == "--clients-jar" ]]; then
  kafka_clients_jar
else
  kafka_deps
  kafka_log "jars ready in $KAFKA_JARS ($(ls "$KAFKA_JARS"/*.jar | wc -l) jars)"
fi
