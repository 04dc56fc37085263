#!/usr/bin/env bash
# Run the Java e2e client (kafka-clients of tests/kafka/pom.xml from the tests/kafka jar cache); no build tool.
# The single source file is compiled with javac into $KAFKA_CACHE/classes-<sha> once (saves the
# ~2-3 s of source-launch compilation on later runs); if javac is missing it falls back to
# `java KafkaRoundTrip.java` (single-file source launch). All arguments go to KafkaRoundTrip.
#   tests/clients/java/run.sh --bootstrap 127.0.0.1:19092 --scenario standard --prefix t1
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/../../kafka/lib.sh"
CP="$(kafka_classpath)"
JOPTS=(-Xmx1g -Dlog4j2.configurationFile="$here/log4j2.properties")
src="$here/KafkaRoundTrip.java"
if command -v javac >/dev/null 2>&1; then
  sum="$(cat "$src" "$KAFKA_JARS/.stamp" | sha256sum | cut -c1-16)"
  classes="$KAFKA_CACHE/classes-$sum"
  if [[ ! -f "$classes/KafkaRoundTrip.class" ]]; then
    rm -rf "$classes.tmp.$$"
    mkdir -p "$classes.tmp.$$"
    javac -nowarn -d "$classes.tmp.$$" -cp "$CP" "$src" >&2
    mv -T "$classes.tmp.$$" "$classes" 2>/dev/null || rm -rf "$classes.tmp.$$"
  fi
  exec java "${JOPTS[@]}" -cp "$classes:$CP" KafkaRoundTrip "$@"
fi
exec java "${JOPTS[@]}" -cp "$CP" "$src" "$@"
