# Real Apache Kafka broker for end-to-end tests (see tests/kafka/README.md).
# Included from the top Makefile; paths are relative to the repo root.
# Env overrides: KAFKA_PORT (9092), HOST_PORT (19092, advertised), KAFKA_WORK, KAFKA_CACHE.

KAFKA_SCRIPTS := tests/kafka

.PHONY: kafka-deps kafka-up kafka-down kafka-restart kafka-clients-direct

kafka-deps:
	@bash $(KAFKA_SCRIPTS)/kafka-deps.sh

kafka-up: kafka-deps
	@bash $(KAFKA_SCRIPTS)/kafka-up.sh

kafka-down:
	@bash $(KAFKA_SCRIPTS)/kafka-down.sh

kafka-restart: kafka-down kafka-up

# Run the three real clients straight against a broker that advertises itself
# (no filter): starts the broker with HOST_PORT=$(KAFKA_PORT), runs them, stops it.
kafka-clients-direct:
	@bash tests/clients/run-all.sh --direct
