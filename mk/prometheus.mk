# Real Prometheus (Debian's package, .ci/install-prometheus.sh; tests/prometheus, docs/prometheus.md):
#   test-alerts        promtool check rules (both rule files), promtool test rules
#                      (tests/prometheus/rules/*.test.yaml) and mutants of every threshold, for: and
#                      window that the cases must catch
# Included from the top Makefile.
.PHONY: prometheus-setup test-alerts

EXTRA_TESTS += test-alerts
test: test-alerts

prometheus-setup:
	@bash .ci/install-prometheus.sh >/dev/null

test-alerts: prometheus-setup node_modules/.installed
	node --import tsx --test tests/prometheus/rules.test.ts
