# Kafka protocol filter for Envoy (Proxy-Wasm, AssemblyScript).
# `make demo` runs the filter in real Envoy in front of a real broker with real clients;
# `make test` builds and runs every test. Area fragments live in mk/*.mk.
SHELL := /bin/bash
.DEFAULT_GOAL := help

NODE_BIN := node_modules/.bin
WASM := build/kafka-filter.wasm
WASM_DEBUG := build/kafka-filter.debug.wasm
ASSEMBLY_SOURCES := $(shell find assembly -name '*.ts' 2>/dev/null) asconfig.json

.PHONY: build deps setup test test-unit test-abi clean help

# Area fragments (codec, host, kafka, istio, e2e, demo) add their suites to EXTRA_TESTS.
EXTRA_TESTS :=
-include mk/*.mk

help:
	@echo "make deps    install npm packages (and apply the SDK patch)"
	@echo "make setup   install what the tests need (Envoy, kcat, Kafka jars, docker-registry, Go modules)"
	@echo "make build   $(WASM) (release, wasm-opt) and $(WASM_DEBUG)"
	@echo "make test    every test suite (unit, ABI shape, codec, host, end-to-end in real Envoy, istio)"
	@echo "make demo    the filter in real Envoy before a real Kafka broker, real clients, metrics"
	@echo "make bench   benchmarks (ratios against a baseline measured in the same run)"
	@echo "make fuzz    fuzz the module in real Envoy (FUZZ_SECONDS=600, FUZZ_SEED=<time>; a short seeded run is in make test)"

deps: node_modules/.installed

# Everything the tests need besides npm packages, on a fresh Debian machine (idempotent, fast
# when already there): Envoy, kcat, Java/Maven and the Kafka jars, docker-registry and the Go modules.
setup: node_modules/.installed
	@for script in .ci/install-*.sh; do bash "$$script" || exit 1; done

node_modules/.installed: package.json package-lock.json patches/*.patch
	npm ci --no-audit --no-fund
	@touch $@

build: $(WASM) $(WASM_DEBUG)

$(WASM): $(ASSEMBLY_SOURCES) node_modules/.installed
	@mkdir -p build
	$(NODE_BIN)/asc --config asconfig.json --target release
	$(NODE_BIN)/wasm-opt build/kafka-filter.unopt.wasm -O3 --enable-bulk-memory --enable-sign-ext --enable-mutable-globals --enable-nontrapping-float-to-int --strip-debug --strip-producers -o $@
	@rm -f build/kafka-filter.unopt.wasm
	@echo "built $@ ($$(stat -c %s $@) bytes)"

$(WASM_DEBUG): $(ASSEMBLY_SOURCES) node_modules/.installed
	@mkdir -p build
	$(NODE_BIN)/asc --config asconfig.json --target debug

test-unit: node_modules/.installed
	$(NODE_BIN)/asp --config as-pect.config.mjs --summary

test-abi: build
	node --import tsx --test tests/abi/*.test.ts

test: setup build test-unit test-abi $(EXTRA_TESTS) test-istio
	@echo "all test suites passed"

clean:
	rm -rf build/*.wasm build/*.wat build/*.map build/oci
