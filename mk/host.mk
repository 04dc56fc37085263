# Local Envoy-faithful Proxy-Wasm host (tests/host, see tests/host/README.md).
# Included from the top Makefile; paths are relative to the repo root.
# Env overrides: HOST_PORT (19092), ADMIN_PORT (19901), KAFKA_PORT (9092), HOST_ARGS (extra CLI flags).

HOST_PORT ?= 19092
ADMIN_PORT ?= 19901
KAFKA_PORT ?= 9092

.PHONY: test-host host-run

# Unit/integration tests of the host itself (WAT test modules assembled with binaryen's wasm-as).
test-host: node_modules/.installed
	node --import tsx --test tests/host/test/*.test.ts

# The real filter in the host, in front of the broker.
host-run: build/kafka-filter.wasm
	npx tsx tests/host/cli.ts --wasm build/kafka-filter.wasm --listen 127.0.0.1:$(HOST_PORT) \
	  --upstream 127.0.0.1:$(KAFKA_PORT) --admin 127.0.0.1:$(ADMIN_PORT) $(HOST_ARGS)

EXTRA_TESTS += test-host
# (prerequisites are expanded when the rule is read, so also attach directly:)
test: test-host
