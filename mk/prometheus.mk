# Real Prometheus (Debian's package, .ci/install-prometheus.sh; tests/prometheus, docs/prometheus.md):
#   test-alerts        promtool check rules (both rule files), promtool test rules
#                      (tests/prometheus/rules/*.test.yaml) and mutants of every threshold, for: and
#                      window that the cases must catch
#   test-panels        every dashboard panel query evaluated by a real Prometheus scraping real Envoy
#                      after a real workload (its own broker on free ports, like test-e2e)
# Included from the top Makefile.
.PHONY: prometheus-setup test-alerts test-panels test-panels-run

EXTRA_TESTS += test-alerts test-panels
test: test-alerts test-panels

prometheus-setup:
	@bash .ci/install-prometheus.sh >/dev/null

test-alerts: prometheus-setup node_modules/.installed
	node --import tsx --test tests/prometheus/rules.test.ts

test-panels: build prometheus-setup
	@set -e; read -r kp cp ip hp < <(node tests/lib/free-ports.mjs 4); \
	  export KAFKA_PORT=$$kp KAFKA_CONTROLLER_PORT=$$cp KAFKA_INTERNAL_PORT=$$ip HOST_PORT=$$hp; \
	  export KAFKA_WORK=$$(mktemp -d /tmp/kafka-panels-XXXXXX); \
	  bash tests/kafka/kafka-up.sh; \
	  status=0; $(MAKE) --no-print-directory test-panels-run || status=$$?; \
	  bash tests/kafka/kafka-down.sh; rm -rf "$$KAFKA_WORK"; exit $$status

test-panels-run:
	node --import tsx --test --test-concurrency=1 tests/prometheus/panels.test.ts
