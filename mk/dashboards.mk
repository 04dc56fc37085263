# Grafana dashboard, Prometheus alerting rules and their checks (istio/dashboards, istio/alerts,
# tests/dashboards; reference: docs/metrics.md). Included from the top Makefile.
DASHBOARD_JSON := istio/dashboards/kafka-filter.json
ALERT_RULES    := istio/alerts/kafka-filter-rules.yaml
ALERT_CRD      := istio/alerts/kafka-filter-prometheusrule.yaml

.PHONY: dashboards alerts-crd test-dashboards metrics-readme

# Rewrites the README's table of metrics from assembly/metrics/table.ts.
metrics-readme: node_modules/.installed
	node --import tsx tests/dashboards/readme.ts

# Regenerates the dashboard JSON from istio/dashboards/generate.ts.
dashboards: node_modules/.installed
	node --import tsx istio/dashboards/generate.ts

# Regenerates the PrometheusRule from the plain rules file: a header, then `groups:` and
# everything after it indented under `spec:` (comments kept).
alerts-crd: $(ALERT_RULES)
	@{ printf '%s\n' \
	  '# Generated from kafka-filter-rules.yaml by `make alerts-crd`; edit that file, not this one.' \
	  '# PrometheusRule for the Prometheus Operator (kube-prometheus-stack): its ruleSelector must' \
	  '# match these labels (kube-prometheus-stack defaults to release: <helm release name>).' \
	  'apiVersion: monitoring.coreos.com/v1' \
	  'kind: PrometheusRule' \
	  'metadata:' \
	  '  name: kafka-filter' \
	  '  labels:' \
	  '    app.kubernetes.io/name: kafka-filter' \
	  '    release: kube-prometheus-stack' \
	  'spec:'; \
	  awk '/^groups:/{on=1} on{ if ($$0 == "") print ""; else print "  " $$0 }' $(ALERT_RULES); } > $(ALERT_CRD)
	@echo "wrote $(ALERT_CRD)"

# Dashboard and rules reference only metrics/labels the filter emits; both rule files agree.
test-dashboards: node_modules/.installed
	node --import tsx --test tests/dashboards/*.test.ts

EXTRA_TESTS += test-dashboards
test: test-dashboards
