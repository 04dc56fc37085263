#!/usr/bin/env bash
# Stop the test broker started by kafka-up.sh and remove its work dir.
# KAFKA_KEEP_WORK=1 keeps $KAFKA_WORK (data and logs) for inspection.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

if pid="$(kafka_pid)"; then
  kafka_log "stopping broker pid $pid"
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 150); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
  done
  if kill -0 "$pid" 2>/dev/null; then
    kafka_log "broker did not stop in 30s; killing"
    kill -KILL "$pid" 2>/dev/null || true
    sleep 0.5
  fi
else
  kafka_log "not running"
fi
if [[ "${KAFKA_KEEP_WORK:-0}" == "1" ]]; then
  rm -f "$KAFKA_WORK/kafka.pid"
else
  rm -rf "$KAFKA_WORK"
fi
