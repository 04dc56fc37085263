# End-to-end tests: the built filter in the local host, a real broker, real clients.
# The broker advertises the host's port so every client connection goes through the filter.
.PHONY: test-e2e test-e2e-run

EXTRA_TESTS += test-e2e

test-e2e: build
	@HOST_PORT=$(HOST_PORT) bash tests/kafka/kafka-up.sh
	@status=0; $(MAKE) --no-print-directory test-e2e-run || status=$$?; \
	  bash tests/kafka/kafka-down.sh; exit $$status

test-e2e-run:
	HOST_PORT=$(HOST_PORT) KAFKA_PORT=$(KAFKA_PORT) node --import tsx --test --test-concurrency=1 tests/e2e/*.test.ts
