# Benchmarks (tests/bench, docs/benchmarks.md). Not part of `make test`: every figure is read as a
# ratio against baselines measured in the same run; nothing passes or fails on timing.
#   make bench          real Envoy + a real broker + Kafka's ProducerPerformance/ConsumerPerformance:
#                       tcp_proxy, no-op Wasm, the filter, the filter with an audit policy (~20-25 min
#                       on 2 cores); tables on stdout and in build/bench/report.md
#   make bench-quick    the same with small workloads and one round (a smoke run, a few minutes)
#   make bench-profile  perf profile of Envoy with the filter vs the no-op module, Wasm functions named
#                       (needs perf: Debian linux-perf); build/bench/profile/profile.md
#   make bench-calls    host calls per callback and per request for the same workloads, counted in
#                       the Node host of tests/host (Envoy cannot count them); build/bench/host-calls.md
#   make bench-micro    in-process microbenchmarks of the module in tests/host (cost per frame vs
#                       frame size, VM linear memory per connection)
# Env for bench: BENCH_ROUNDS, BENCH_SECTIONS=traffic,memory, BENCH_WORKLOADS, BENCH_VARIANTS,
# BENCH_WASM, BENCH_OUT (tests/bench/bench.ts). Each run starts its own broker on free ports.
.PHONY: bench bench-quick bench-profile bench-calls bench-micro

# the flags of the Makefile's $(WASM) rule
WASM_OPT_FLAGS := -O3 --enable-bulk-memory --enable-sign-ext --enable-mutable-globals --enable-nontrapping-float-to-int

build/bench/passthrough.wasm: tests/bench/passthrough.wat node_modules/.installed
	@mkdir -p build/bench
	$(NODE_BIN)/wasm-as $< -o $@

# The release build with a name section, for profiles (function names in V8's perf map).
build/bench/kafka-filter.names.wasm: $(ASSEMBLY_SOURCES) node_modules/.installed
	@mkdir -p build/bench
	$(NODE_BIN)/asc --config asconfig.json --target release --debug --outFile build/bench/kafka-filter.names.unopt.wasm
	$(NODE_BIN)/wasm-opt build/bench/kafka-filter.names.unopt.wasm $(WASM_OPT_FLAGS) -g --strip-producers -o $@
	@rm -f build/bench/kafka-filter.names.unopt.wasm

# $(call with-broker,command): the command with a broker of its own (tests/kafka/with-broker.sh:
# free ports, HOST_PORT where each Envoy under test listens), the fd limit raised for the
# connection benchmarks.
define with-broker
	@set -e; ulimit -n "$$(ulimit -Hn)"; \
	  bash tests/envoy/install.sh; bash tests/bench/kafka-tools/deps.sh; \
	  bash tests/kafka/with-broker.sh bench $(1)
endef

bench: $(WASM) build/bench/passthrough.wasm
	$(call with-broker,node --import tsx tests/bench/bench.ts)

bench-quick:
	@BENCH_QUICK=1 $(MAKE) --no-print-directory bench

bench-profile: build/bench/passthrough.wasm build/bench/kafka-filter.names.wasm
	@command -v perf >/dev/null || { echo "bench-profile needs perf (apt-get install linux-perf)"; exit 1; }
	$(call with-broker,node --import tsx tests/bench/profile_envoy.ts)

bench-calls: $(WASM)
	$(call with-broker,node --import tsx tests/bench/host_calls.ts)

bench-micro: $(WASM) build/bench/passthrough.wasm
	node --import tsx tests/bench/micro.ts
