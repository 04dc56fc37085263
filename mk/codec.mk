# Kafka protocol tables and body codec: generator (tools/codegen), generated API tables
# (assembly/protocol/generated/apis.ts) and field programs (assembly/codec/generated), tests (tests/codec).
# Included from the top Makefile.

CODEC_BUILD := build/test-codec
# features asc 0.27 emits by default
CODEC_WASM_FEATURES := --enable-bulk-memory --enable-sign-ext --enable-mutable-globals --enable-nontrapping-float-to-int

.PHONY: codec-specs codegen codegen-check test-codec codec-size

EXTRA_TESTS += test-codec

# The JSON message specs ship inside kafka-clients (common/message/*.json), of the version in
# tests/kafka/pom.xml (kafka.version), from the jar cache of tests/kafka/kafka-deps.sh (the broker's and clients').
codec-specs:
	@bash tests/kafka/kafka-deps.sh >/dev/null

# Regenerate assembly/protocol/generated/apis.ts, assembly/codec/generated/*.ts, docs/protocol-support.md.
codegen: codec-specs
	$(NODE_BIN)/tsx tools/codegen/main.ts

# Regenerate into a temp dir; fail when the committed files differ.
codegen-check: codec-specs
	$(NODE_BIN)/tsx tools/codegen/main.ts --check

test-codec: codegen-check
	node --import tsx --test tests/codec/*.test.ts

# Release-size build of the decoder (tests/codec/size-entry.ts) and of the test harness, after wasm-opt -O3.
codec-size:
	@mkdir -p $(CODEC_BUILD)
	$(NODE_BIN)/asc tests/codec/size-entry.ts --config tests/codec/asconfig.json --runtime incremental -O3 --noAssert -o $(CODEC_BUILD)/size.unopt.wasm
	$(NODE_BIN)/wasm-opt $(CODEC_BUILD)/size.unopt.wasm -O3 $(CODEC_WASM_FEATURES) --strip-debug --strip-producers -o $(CODEC_BUILD)/size.wasm
	$(NODE_BIN)/asc tests/codec/harness.ts --config tests/codec/asconfig.json --runtime incremental -O3 --noAssert -o $(CODEC_BUILD)/harness.unopt.wasm
	$(NODE_BIN)/wasm-opt $(CODEC_BUILD)/harness.unopt.wasm -O3 $(CODEC_WASM_FEATURES) --strip-debug --strip-producers -o $(CODEC_BUILD)/harness.wasm
	@echo "generated source: $$(cat assembly/codec/generated/*.ts assembly/protocol/generated/apis.ts | wc -c) bytes"
	@echo "decoder-only wasm (wasm-opt -O3): $$(stat -c %s $(CODEC_BUILD)/size.wasm) bytes"
	@echo "harness wasm (wasm-opt -O3): $$(stat -c %s $(CODEC_BUILD)/harness.wasm) bytes"
