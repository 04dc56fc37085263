# Benchmarks (tests/bench, docs/benchmarks.md). Not part of `make test`: they report ratios
# against a baseline measured in the same run and never pass/fail on timing.
# Env: BENCH_ITER (default 21), BENCH_QUICK=1, BENCH_SOCKETS=0.

.PHONY: bench bench-quick

build/bench/passthrough.wasm: tests/bench/passthrough.wat node_modules/.installed
	@mkdir -p build/bench
	$(NODE_BIN)/wasm-as $< -o $@

bench: $(WASM) build/bench/passthrough.wasm
	node --import tsx tests/bench/bench.ts

bench-quick: $(WASM) build/bench/passthrough.wasm
	BENCH_QUICK=1 BENCH_ITER=3 node --import tsx tests/bench/bench.ts
