#!/usr/bin/env bash
# Runs a command with a real broker of its own: free loopback ports (client, controller, internal
# listener, and HOST_PORT, the port the broker advertises: where the suite's Envoy listens), a
# fresh work dir, the broker stopped and the dir removed however the command ends.
#   tests/kafka/with-broker.sh NAME COMMAND [ARG...]     (exit status: the command's)
set -euo pipefail
name="$1"; shift
here="$(cd "$(dirname "$0")" && pwd)"
read -r kp cp ip hp < <(node "$here/../lib/free-ports.mjs" 4)
export KAFKA_PORT=$kp KAFKA_CONTROLLER_PORT=$cp KAFKA_INTERNAL_PORT=$ip HOST_PORT=$hp
KAFKA_WORK="$(mktemp -d "/tmp/kafka-$name-XXXXXX")"
export KAFKA_WORK
trap 'bash "$here/kafka-down.sh"; rm -rf "$KAFKA_WORK"' EXIT
bash "$here/kafka-up.sh"
"$@"
