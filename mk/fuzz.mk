# Fuzzing the compiled module in real Envoy (tests/fuzz/fuzz.ts): spec-generated and mutated
# frames both ways, byte identity, no VM failure, Envoy's RSS bounded, no planted secret logged.
# `make fuzz` runs long with a fresh seed (FUZZ_SECONDS, FUZZ_SEED, FUZZ_CONCURRENCY to override);
# `make test-fuzz` is the short, seeded run that `make test` includes.
.PHONY: fuzz test-fuzz

FUZZ_SECONDS ?= 600
FUZZ_SEED ?= $(shell date +%s)
FUZZ_CONCURRENCY ?= 2

EXTRA_TESTS += test-fuzz

fuzz: build
	node --import tsx tests/fuzz/fuzz.ts --seconds $(FUZZ_SECONDS) --seed $(FUZZ_SEED) --concurrency $(FUZZ_CONCURRENCY)

test-fuzz: build
	node --import tsx tests/fuzz/fuzz.ts --seconds 20 --seed 16 --concurrency 2
