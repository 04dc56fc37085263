# The main job: the filter in real Envoy before a real broker, real clients, visible metrics.
# The broker is stopped however the demo ends (Ctrl-C included).
# Env: HOST_PORT (19092, Envoy's Kafka listener), ADMIN_PORT (19901, Envoy's admin), KAFKA_PORT
# (9092), ENVOY_VERSION (default: the newest pinned), DEMO_EXIT=1 (stop after the summary).
.PHONY: demo

DEMO_KAFKA_WORK ?= /tmp/kafka-envoy-wasm-demo

demo: build
	@bash .ci/install-kafka.sh >/dev/null
	@bash .ci/install-envoy.sh
	@export KAFKA_WORK=$(DEMO_KAFKA_WORK) HOST_PORT=$(HOST_PORT) KAFKA_PORT=$(KAFKA_PORT); \
	  bash tests/kafka/kafka-up.sh; \
	  trap 'bash tests/kafka/kafka-down.sh' EXIT; \
	  ADMIN_PORT=$(ADMIN_PORT) $(NODE_BIN)/tsx scripts/demo.ts
