#!/usr/bin/env bash
# Run the Java e2e client (kafka-clients 4.1.1 from the tests/kafka jar cache) with
# single-file source launch; no build tool. All arguments go to KafkaRoundTrip.
#   tests/clients/java/run.sh --bootstrap 127.0.0.1:19092 --scenario standard --prefix t1
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/../../kafka/lib.sh"
CP="$(kafka_classpath)"
exec java -Xmx1g -cp "$CP" -Dlog4j2.configurationFile="$here/log4j2.properties" \
  "$here/KafkaRoundTrip.java" "$@"
