# Benchmarks (tests/bench, docs/benchmarks.md). Not part of `make test`: every figure is read as a
# ratio against baselines measured in the same run; nothing passes or fails on timing.
#   make bench        real Envoy + a real broker + Kafka's ProducerPerformance/ConsumerPerformance:
#                     tcp_proxy, no-op Wasm, the filter, the filter with an audit policy (~20 min)
#   make bench-quick  the same, small workloads, one round (a few minutes; a smoke run)
#   make bench-micro  in-process microbenchmarks of the module in tests/host (cost per frame vs
#                     frame size, VM memory per connection)
# Env for bench: BENCH_ROUNDS, BENCH_SECTIONS=traffic,memory, BENCH_WORKLOADS, BENCH_VARIANTS,
# BENCH_WASM, BENCH_OUT (see tests/bench/bench.ts). The broker gets free ports and its own work dir.
.PHONY: bench bench-quick bench-micro

build/bench/passthrough.wasm: tests/bench/passthrough.wat node_modules/.installed
	@mkdir -p build/bench
	$(NODE_BIN)/wasm-as $< -o $@

bench: $(WASM) build/bench/passthrough.wasm
	@set -e; ulimit -n "$$(ulimit -Hn)"; \
	  bash tests/envoy/install.sh; bash tests/bench/kafka-tools/deps.sh; \
	  read -r kp cp ip hp < <(node tests/lib/free-ports.mjs 4); \
	  export KAFKA_PORT=$$kp KAFKA_CONTROLLER_PORT=$$cp KAFKA_INTERNAL_PORT=$$ip HOST_PORT=$$hp; \
	  export KAFKA_WORK=$$(mktemp -d /tmp/kafka-bench-XXXXXX); \
	  trap 'bash tests/kafka/kafka-down.sh; rm -rf "$$KAFKA_WORK"' EXIT; \
	  bash tests/kafka/kafka-up.sh; \
	  node --import tsx tests/bench/bench.ts

bench-quick:
	@$(MAKE) --no-print-directory bench BENCH_QUICK=1

bench-micro: $(WASM) build/bench/passthrough.wasm
	node --import tsx tests/bench/micro.ts
