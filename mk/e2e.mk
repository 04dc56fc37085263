# End-to-end tests: the built filter in real Envoy (tests/envoy), a real broker, real clients.
# Each run picks its own free ports (broker, controller, internal listener, Envoy's listener that
# the broker advertises) and its own broker work dir, so parallel runs never see each other.
# Every suite runs on the newest pinned Envoy; the through-filter, policy, failure-policy and
# enforce-chunks suites (Envoy buffer and close semantics) also on the
# oldest (tests/envoy/versions.tsv).
.PHONY: test-e2e test-e2e-run

EXTRA_TESTS += test-e2e

ENVOY_NEWEST := $(shell awk -F'\t' '!/^\#/ && NF >= 2 { print $$1; exit }' tests/envoy/versions.tsv)
ENVOY_OLDEST := $(shell awk -F'\t' '!/^\#/ && NF >= 2 { v = $$1 } END { print v }' tests/envoy/versions.tsv)
E2E_SUITES ?= tests/e2e/*.test.ts
E2E_OLDEST_SUITES ?= tests/e2e/through-filter.test.ts tests/e2e/policy.test.ts tests/e2e/failure-policy.test.ts tests/e2e/enforce-chunks.test.ts

test-e2e: build
	@bash tests/kafka/with-broker.sh e2e $(MAKE) --no-print-directory test-e2e-run

test-e2e-run:
	@echo "== end-to-end suites on Envoy $(ENVOY_NEWEST)"
	ENVOY_VERSION=$(ENVOY_NEWEST) node --import tsx --test --test-concurrency=1 $(E2E_SUITES)
	@echo "== through-filter, policy, failure-policy and enforce-chunks suites on Envoy $(ENVOY_OLDEST)"
	ENVOY_VERSION=$(ENVOY_OLDEST) node --import tsx --test --test-concurrency=1 $(E2E_OLDEST_SUITES)
