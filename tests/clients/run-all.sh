#!/usr/bin/env bash
# Run the three real clients (java, kcat, kafkajs) one after another and print each one's
# JSON summary line on stdout; timings and stderr of failing clients go to stderr.
#   tests/clients/run-all.sh [--bootstrap H:P] [--scenario standard] [--prefix P] [--seed N] [any client option]
#   tests/clients/run-all.sh --direct ...   start the broker advertising itself (HOST_PORT=KAFKA_PORT),
#                                           run the clients against it directly (no filter), stop it.
# Default bootstrap: 127.0.0.1:$HOST_PORT (the filter host). Exit 0 only if all three pass.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
direct=0
bootstrap=""
prefix="e2e-$(date +%s)-$$"
args=()
while (($#)); do
  case "$1" in
    --direct) direct=1 ;;
    --bootstrap) bootstrap="$2"; shift ;;
    --bootstrap=*) bootstrap="${1#*=}" ;;
    --prefix) prefix="$2"; shift ;;
    --prefix=*) prefix="${1#*=}" ;;
    *) args+=("$1") ;;
  esac
  shift
done
KAFKA_PORT="${KAFKA_PORT:-9092}"
if ((direct)); then
  export HOST_PORT="$KAFKA_PORT"
  bash "$here/../kafka/kafka-up.sh" || exit 1
  bootstrap="${bootstrap:-127.0.0.1:$KAFKA_PORT}"
fi
bootstrap="${bootstrap:-127.0.0.1:${HOST_PORT:-19092}}"

pass=0
fail=0
run() {
  local name="$1"; shift
  local err out rc start ms
  err="$(mktemp)"
  start=$(date +%s%N)
  out="$("$@" --bootstrap "$bootstrap" --prefix "$prefix.$name" ${args[@]+"${args[@]}"} 2>"$err")"
  rc=$?
  ms=$(( ($(date +%s%N) - start) / 1000000 ))
  printf '%s\n' "$out"
  if ((rc == 0)); then
    pass=$((pass + 1))
    echo "[clients] $name: ok in ${ms} ms" >&2
  else
    fail=$((fail + 1))
    echo "[clients] $name: FAILED (exit $rc) in ${ms} ms; stderr tail:" >&2
    tail -n 30 "$err" >&2
  fi
  rm -f "$err"
}
run java bash "$here/java/run.sh"
run kcat node "$here/kcat/kcat-roundtrip.mjs"
run kafkajs node "$here/kafkajs/kafkajs-roundtrip.mjs"
if ((direct)) && [[ "${KAFKA_KEEP:-0}" != "1" ]]; then
  bash "$here/../kafka/kafka-down.sh"
fi
echo "clients: $pass passed, $fail failed" >&2
((fail == 0))
