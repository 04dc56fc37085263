# shellcheck shell=bash
# Shared settings for the real-broker scripts. Source it; do not run it.
# Every value can be overridden from the environment.

KAFKA_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# The one Kafka version of the project (broker, Java client, generated protocol tables, error
# names): the kafka.version property of pom.xml.
KAFKA_VERSION="${KAFKA_VERSION:-$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$KAFKA_DIR/pom.xml")}"
KAFKA_CACHE="${KAFKA_CACHE:-$HOME/.cache/kafka-envoy-wasm}"
KAFKA_JARS="${KAFKA_JARS:-$KAFKA_CACHE/jars-$KAFKA_VERSION}"
KAFKA_WORK="${KAFKA_WORK:-/tmp/kafka-envoy-wasm}"
KAFKA_HOST="127.0.0.1"
KAFKA_PORT="${KAFKA_PORT:-9092}"                    # client listener (what the filter connects to)
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
KAFKA_INTERNAL_PORT="${KAFKA_INTERNAL_PORT:-9094}"  # inter-broker + readiness probe, advertises itself
HOST_PORT="${HOST_PORT:-19092}"                      # advertised for the client listener (the filter host)
KAFKA_START_TIMEOUT="${KAFKA_START_TIMEOUT:-90}"
KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms256m -Xmx1g}"

kafka_log() { echo "[kafka] $*" >&2; }

# port_open PORT -> 0 when something accepts TCP connections on 127.0.0.1:PORT
port_open() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# kafka_deps: make sure the broker/client jars are in $KAFKA_JARS (Maven Central via mvn,
# ~/.m2 is kept as Maven's own cache). Fast no-op when the stamp matches the pom.
kafka_deps() {
  local stamp want
  want="$(sha256sum "$KAFKA_DIR/pom.xml" | cut -d' ' -f1)"
  stamp="$KAFKA_JARS/.stamp"
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]] && ls "$KAFKA_JARS"/kafka_2.13-*.jar >/dev/null 2>&1; then
    return 0
  fi
  command -v mvn >/dev/null || { kafka_log "mvn not found (install maven)"; return 1; }
  kafka_log "fetching Kafka $KAFKA_VERSION jars into $KAFKA_JARS"
  rm -rf "$KAFKA_JARS.tmp"
  mkdir -p "$KAFKA_JARS.tmp" "$KAFKA_CACHE"
  if ! mvn -q -B -Dstyle.color=never -f "$KAFKA_DIR/pom.xml" \
      -Dkafka.version="$KAFKA_VERSION" \
      dependency:copy-dependencies -DincludeScope=runtime \
      -DoutputDirectory="$KAFKA_JARS.tmp" > "$KAFKA_CACHE/mvn.log" 2>&1; then
    kafka_log "mvn dependency:copy-dependencies failed:"
    tail -n 40 "$KAFKA_CACHE/mvn.log" >&2
    return 1
  fi
  echo "$want" > "$KAFKA_JARS.tmp/.stamp"
  rm -rf "$KAFKA_JARS"
  mv "$KAFKA_JARS.tmp" "$KAFKA_JARS"
}

# kafka_clients_jar: print the path of the cached kafka-clients jar (its common/message/*.json
# are the protocol specs tools/codegen reads), fetching the jars first if needed.
kafka_clients_jar() {
  kafka_deps || return 1
  printf '%s\n' "$KAFKA_JARS/kafka-clients-$KAFKA_VERSION.jar"
}

# kafka_classpath: print the classpath (all cached jars), fetching them first if needed.
kafka_classpath() {
  kafka_deps || return 1
  local cp="" j
  for j in "$KAFKA_JARS"/*.jar; do cp="${cp:+$cp:}$j"; done
  printf '%s\n' "$cp"
}

kafka_pid() {
  local f="$KAFKA_WORK/kafka.pid" pid
  [[ -f "$f" ]] || return 1
  pid="$(cat "$f")"
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null && { echo "$pid"; return 0; }
  return 1
}
