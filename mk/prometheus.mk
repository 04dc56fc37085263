# Real Prometheus (Debian's package, .ci/install-prometheus.sh; tests/prometheus, docs/prometheus.md):
#   test-alerts        promtool check rules (both rule files), promtool test rules
#                      (tests/prometheus/rules/*.test.yaml) and mutants of every threshold, for: and
#                      window that the cases must catch
#   test-panels        every dashboard panel query evaluated by a real Prometheus scraping real Envoy
#                      after a real workload (its own broker on free ports, like test-e2e)
#   dashboard-preview  the demo with a 5 s scrape, then PNGs of the key panels under build/
# Included from the top Makefile.
.PHONY: prometheus-setup test-alerts test-panels test-panels-run dashboard-preview

EXTRA_TESTS += test-alerts test-panels
test: test-alerts test-panels

prometheus-setup:
	@bash .ci/install-prometheus.sh >/dev/null

test-alerts: prometheus-setup node_modules/.installed
	node --import tsx --test tests/prometheus/rules.test.ts

test-panels: build prometheus-setup
	@bash tests/kafka/with-broker.sh panels $(MAKE) --no-print-directory test-panels-run

test-panels-run:
	node --import tsx --test --test-concurrency=1 tests/prometheus/panels.test.ts

# The demo starts Prometheus too.
demo: prometheus-setup

# The demo's traffic with a 5 s scrape, then the key panels as PNGs under $(PREVIEW_DIR)
# (scripts/dashboard_preview.py: matplotlib, Debian's python3-matplotlib) from that Prometheus's
# data; docs/dashboard-preview.png is its overview.png.
PREVIEW_DIR ?= build/dashboard-preview

dashboard-preview: build prometheus-setup
	@bash .ci/install-prometheus.sh --preview >/dev/null
	@bash .ci/install-kafka.sh >/dev/null
	@bash .ci/install-envoy.sh
	@export KAFKA_WORK=$(DEMO_KAFKA_WORK) HOST_PORT=$(HOST_PORT) KAFKA_PORT=$(KAFKA_PORT); \
	  bash tests/kafka/kafka-up.sh; \
	  trap 'bash tests/kafka/kafka-down.sh' EXIT; \
	  DEMO_EXIT=1 DEMO_PREVIEW=$(PREVIEW_DIR) DEMO_SCRAPE_INTERVAL=$${DEMO_SCRAPE_INTERVAL:-5s} \
	    DEMO_SECONDS=$${DEMO_SECONDS:-150} ADMIN_PORT=$(ADMIN_PORT) $(NODE_BIN)/tsx scripts/demo.ts
