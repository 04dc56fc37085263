# The main job: the filter in the local host before a real broker, real clients, visible metrics.
# The broker is stopped however the demo ends (Ctrl-C included).
.PHONY: demo

demo: build
	@bash .ci/install-kafka.sh >/dev/null
	@HOST_PORT=$(HOST_PORT) bash tests/kafka/kafka-up.sh
	@trap 'bash tests/kafka/kafka-down.sh' EXIT; \
	  HOST_PORT=$(HOST_PORT) ADMIN_PORT=$(ADMIN_PORT) KAFKA_PORT=$(KAFKA_PORT) $(NODE_BIN)/tsx scripts/demo.ts
