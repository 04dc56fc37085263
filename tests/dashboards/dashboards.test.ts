// The Grafana dashboard, the alert rules and docs/metrics.md against what the filter emits.
// Run: node --import tsx --test tests/dashboards/*.test.ts   (make test-dashboards)
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join, dirname } from "node:path";
import { parse as parseYaml } from "yaml";
import {
  emittedByRepo,
  emittedFrom,
  checkExpr,
  latencyUnit,
  versionsMatched,
  minVersions,
  metricReferences,
  labelReferences,
  stripStrings,
  SCRAPE_LABELS,
  readmeMetricsTable,
  spliceReadmeMetrics,
} from "./check.ts";
import { dashboardText } from "../../istio/dashboards/generate.ts";
import { METRICS, MetricDef } from "../../assembly/metrics/table.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "../..");
const read = (p: string) => readFileSync(join(ROOT, p), "utf8");

const emitted = emittedByRepo(ROOT);
const dashboardJson = read("istio/dashboards/kafka-filter.json");
const dashboard = JSON.parse(dashboardJson);
const rulesFile = parseYaml(read("istio/alerts/kafka-filter-rules.yaml"));
const crd = parseYaml(read("istio/alerts/kafka-filter-prometheusrule.yaml"));

interface Target {
  expr: string;
}
interface Panel {
  type: string;
  id: number;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource?: { type: string; uid: string };
  targets?: Target[];
  fieldConfig?: { defaults?: { unit?: string } };
}
interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

const panels: Panel[] = dashboard.panels.flatMap((p: Panel & { panels?: Panel[] }) => [p, ...(p.panels ?? [])]);
const queryPanels = panels.filter((p) => p.type !== "row");
const variables: Array<{ name: string; type: string; query: unknown; definition?: string }> = dashboard.templating.list;
const variableQuery = (v: { query: unknown }) => (typeof v.query === "string" ? v.query : (v.query as { query: string }).query);
const rules: Rule[] = rulesFile.groups.flatMap((g: { rules: Rule[] }) => g.rules);

function metricsOf(expr: string): Set<string> {
  const out = new Set<string>();
  for (const r of metricReferences(expr)) {
    const base = r.token.replace(/_(bucket|sum|count)$/, "");
    out.add(emitted.metrics.get(base) === "histogram" ? base : r.token);
  }
  return out;
}

test("the emitted set is the filter's table of metrics", () => {
  // Sanity of the parser itself: the metrics every panel family depends on, with their kinds.
  assert.ok(emitted.metrics.size >= 25, `only ${emitted.metrics.size} metrics found`);
  assert.equal(emitted.metrics.get("kafka_requests_total"), "counter");
  assert.equal(emitted.metrics.get("kafka_inflight_requests"), "gauge");
  assert.equal(emitted.metrics.get("kafka_consumer_lag"), "gauge");
  assert.equal(emitted.metrics.get("kafka_request_latency_us"), "histogram");
  assert.equal(emitted.metrics.get("kafka_throttle_time_ms"), "histogram");
  for (const t of ["api", "api_version", "topic", "client_id", "error", "direction", "reason", "partition"]) assert.ok(emitted.tags.has(t), t);
});

test("dashboard: importable shape", () => {
  assert.ok(dashboard.schemaVersion >= 36 && dashboard.schemaVersion <= 41, `schemaVersion ${dashboard.schemaVersion}`);
  assert.ok(dashboard.uid && dashboard.title);
  const ds = variables.find((v) => v.name === "datasource");
  assert.ok(ds && ds.type === "datasource" && ds.query === "prometheus", "a ${datasource} Prometheus datasource variable");
  for (const name of ["namespace", "pod", "topic", "client_id"]) {
    const v = variables.find((x) => x.name === name);
    assert.ok(v && v.type === "query", `template variable ${name}`);
    assert.match(variableQuery(v!), /label_values\(|query_result\(/, name);
  }
  const ids = new Set<number>();
  for (const p of panels) {
    assert.ok(!ids.has(p.id), `duplicate panel id ${p.id}`);
    ids.add(p.id);
    assert.ok(p.gridPos.x >= 0 && p.gridPos.x + p.gridPos.w <= 24, `${p.title}: gridPos outside 24 columns`);
  }
  for (const p of queryPanels) {
    assert.equal(p.datasource?.uid, "${datasource}", `${p.title}: datasource`);
    assert.ok((p.targets ?? []).length > 0, `${p.title}: no queries`);
    for (const t of p.targets ?? []) assert.equal((t as { datasource?: { uid: string } }).datasource?.uid, "${datasource}", `${p.title}: target datasource`);
  }
});

test("dashboard: the committed JSON is what generate.ts writes (make dashboards)", () => {
  assert.equal(dashboardJson, dashboardText());
});

test("dashboard: every query uses emitted metrics and known labels", () => {
  const errors: string[] = [];
  for (const p of queryPanels) for (const t of p.targets ?? []) errors.push(...checkExpr(t.expr, emitted).map((e) => `${p.title}: ${e}`));
  for (const v of variables.filter((x) => x.type === "query")) errors.push(...checkExpr(variableQuery(v), emitted, true).map((e) => `variable ${v.name}: ${e}`));
  assert.deepEqual(errors, []);
});

test("dashboard: every emitted metric is on a panel", () => {
  const used = new Set<string>();
  for (const p of queryPanels) for (const t of p.targets ?? []) for (const m of metricsOf(t.expr)) used.add(m);
  const missing = [...emitted.metrics.keys()].filter((m) => !used.has(m));
  assert.deepEqual(missing, [], "metrics without a panel");
});

test("dashboard: latency panels convert microseconds to the panel's unit", () => {
  let latencyTargets = 0;
  for (const p of queryPanels) {
    for (const t of p.targets ?? []) {
      if (!/kafka_request_latency_us_(bucket|sum)/.test(t.expr)) continue;
      latencyTargets++;
      assert.equal(p.fieldConfig?.defaults?.unit, latencyUnit(t.expr), `${p.title}: ${t.expr}`);
    }
  }
  const quantiles = queryPanels.flatMap((p) => p.targets ?? []).filter((t) => /histogram_quantile\(0\.(5|95|99),/.test(t.expr) && t.expr.includes("kafka_request_latency_us_bucket"));
  assert.equal(new Set(quantiles.map((t) => /histogram_quantile\((0\.\d+)/.exec(t.expr)![1])).size, 3, "p50, p95 and p99");
  assert.ok(latencyTargets >= 3);
});

test("dashboard: required panels", () => {
  const byMetric = (m: string) => queryPanels.filter((p) => (p.targets ?? []).some((t) => metricsOf(t.expr).has(m)));
  const produceInflight = byMetric("kafka_inflight_requests").filter((p) => /Produce/.test(p.title) || JSON.stringify(p).includes('"options":"Produce"'));
  assert.ok(produceInflight.length > 0, "in-flight panel with Produce highlighted");
  const lag = byMetric("kafka_consumer_lag").flatMap((p) => p.targets ?? []);
  assert.ok(lag.some((t) => /by \(client_id, topic, partition\)/.test(t.expr)), "lag per client/topic/partition");
  for (const by of ["topic", "client_id"]) {
    for (const m of ["kafka_produce_bytes_total", "kafka_produce_records_total", "kafka_fetch_bytes_total", "kafka_fetch_records_total"]) {
      assert.ok(byMetric(m).some((p) => (p.targets ?? []).some((t) => t.expr.startsWith(`sum by (${by}) (rate(${m}`))), `${m} per ${by}`);
    }
  }
  assert.ok(byMetric("kafka_requests_total").some((p) => p.type === "table" && (p.targets ?? []).some((t) => /by \(api, api_version\)/.test(t.expr))), "API versions table");
  assert.ok(byMetric("kafka_client_software_total").some((p) => p.type === "table"), "client software table");
});

test("rules: the plain file and the PrometheusRule hold the same groups", () => {
  assert.equal(crd.apiVersion, "monitoring.coreos.com/v1");
  assert.equal(crd.kind, "PrometheusRule");
  assert.ok(crd.metadata?.name);
  assert.deepEqual(crd.spec.groups, rulesFile.groups, "run `make alerts-crd`");
});

test("rules: every alert is complete and valid", () => {
  const names = new Set<string>();
  for (const r of rules) {
    assert.ok(r.alert, `alerting rules only: ${JSON.stringify(r)}`);
    assert.ok(!names.has(r.alert!), `duplicate alert ${r.alert}`);
    names.add(r.alert!);
    assert.match(r.alert!, /^[A-Z][A-Za-z0-9]+$/);
    assert.ok(["critical", "warning", "info"].includes(r.labels?.severity ?? ""), `${r.alert}: severity`);
    for (const a of ["summary", "description", "runbook"]) assert.ok((r.annotations?.[a] ?? "").trim().length > 10, `${r.alert}: annotation ${a}`);
    if (r.for !== undefined) assert.match(r.for, /^\d+[smhd]$/, `${r.alert}: for`);
    assert.deepEqual(checkExpr(r.expr, emitted), [], r.alert);
    // $labels.X in annotations must be labels the expression keeps (its by/on clauses).
    const kept = new Set(labelReferences(r.expr));
    for (const text of Object.values(r.annotations ?? {})) {
      for (const m of text.matchAll(/\$labels\.([A-Za-z_][A-Za-z0-9_]*)/g)) assert.ok(kept.has(m[1]), `${r.alert}: $labels.${m[1]} is not kept by the expression`);
    }
  }
});

test("rules: the required alerts exist", () => {
  const uses = (m: string, extra: RegExp = /./) => rules.filter((r) => metricsOf(r.expr).has(m) && extra.test(r.expr)).map((r) => r.alert);
  assert.ok(uses("kafka_request_latency_us", /histogram_quantile\(0\.99/).length > 0, "p99 latency");
  assert.ok(uses("kafka_response_errors_total", /by \([^)]*error/).length > 0, "error burst by error name");
  assert.ok(uses("kafka_inflight_requests", /api="Produce"/).length > 0, "Produce in-flight saturation");
  assert.ok(uses("kafka_consumer_lag", /deriv\(|increase\(|delta\(/).length > 0, "growing lag");
  assert.ok(uses("kafka_requests_total", /api_version=~/).length > 0, "old protocol versions");
  assert.ok(uses("kafka_frames_malformed_total").length > 0, "malformed frames");
  assert.ok(uses("kafka_frames_unknown_total").length > 0, "unknown frames");
  assert.ok(uses("kafka_label_overflow_total").length > 0, "label overflow");
  for (const r of rules.filter((x) => metricsOf(x.expr).has("kafka_request_latency_us"))) {
    // thresholds are compared after a unit conversion stated in the summary
    assert.notEqual(latencyUnit(r.expr), "µs", `${r.alert}: convert microseconds`);
  }
});

test("rules: old-protocol thresholds are exactly the versions below Kafka 4.1.1's minimums", () => {
  const mins = minVersions(read("assembly/protocol/generated/apis.ts"));
  let checked = 0;
  for (const r of rules) {
    for (const m of r.expr.matchAll(/kafka_requests_total\{([^}]*)\}/g)) {
      const api = /api="([A-Za-z]+)"/.exec(m[1]);
      const ver = /api_version=~"([^"]*)"/.exec(m[1]);
      if (!api || !ver) continue;
      const min = mins.get(api[1]);
      assert.ok(min !== undefined, api[1]);
      assert.deepEqual(versionsMatched(ver[1]), [...Array(min).keys()], `${r.alert}: ${api[1]} versions below v${min}`);
      checked++;
    }
  }
  assert.ok(checked >= 2, "Produce and Fetch thresholds");
});

test("README.md: the table of metrics is the filter's table (make metrics-readme)", () => {
  const readme = read("README.md");
  assert.equal(spliceReadmeMetrics(readme, readmeMetricsTable(METRICS)), readme);
});

test("docs/metrics.md documents every metric of the table with its kind and labels", () => {
  const doc = read("docs/metrics.md");
  const errors: string[] = [];
  for (const [name, kind] of emitted.metrics) {
    const row = doc.split("\n").find((l) => l.startsWith(`| \`${name}\``));
    const labels = emitted.labels.get(name)!;
    const cell = labels.length === 0 ? "| (none) |" : `| ${labels.map((l) => `\`${l}\``).join(", ")} |`;
    if (!row) errors.push(`${name} has no table row`);
    else if (!row.includes(`| ${kind} |`)) errors.push(`${name}: kind ${kind} not in its row`);
    else if (!row.includes(cell)) errors.push(`${name}: labels ${cell} not in its row`);
  }
  for (const t of emitted.tags) if (!doc.includes(`\`${t}\``)) errors.push(`tag ${t} not documented`);
  assert.deepEqual(errors, []);
});

// The checks above must be able to fail: feed them broken inputs.
test("checks reject what they should", () => {
  const bad = (expr: string, re: RegExp) => assert.ok(checkExpr(expr, emitted).some((e) => re.test(e)), `${expr} should fail with ${re}`);
  bad(`sum(rate(kafka_request_total[5m]))`, /not emitted/);
  bad(`histogram_quantile(0.99, sum by (le) (rate(kafka_request_latency_us[5m])))`, /is a histogram/);
  bad(`histogram_quantile(0.99, sum by (api) (rate(kafka_request_latency_us_bucket[5m])))`, /without le/);
  bad(`sum by (topik) (rate(kafka_produce_bytes_total[5m]))`, /label topik/);
  bad(`sum(rate(kafka_produce_bytes_total{tenant="a"}[5m]))`, /label tenant/);
  bad(`sum(kafka_requests_total)`, /counter/);
  bad(`sum(rate(kafka_requests_total[5m])`, /unclosed/);
  assert.deepEqual(checkExpr(`sum by (api) (rate(kafka_requests_total{api_version=~"[0-2]|a,b"}[5m]))`, emitted), []);
  assert.equal(stripStrings(`x{a="b}c"}`), `x{a=""}`);
  assert.deepEqual(SCRAPE_LABELS.includes("le"), true);

  // A metric renamed in the table makes the dashboard's queries fail.
  const renamed = METRICS.map((d) => (d.name === "requests_total" ? new MetricDef("request_count", d.kind, d.labels, d.help) : d));
  const e2 = emittedFrom(renamed);
  assert.ok(e2.metrics.has("kafka_request_count") && !e2.metrics.has("kafka_requests_total"));
  const errs = queryPanels.flatMap((p) => (p.targets ?? []).flatMap((t) => checkExpr(t.expr, e2)));
  assert.ok(errs.some((e) => e.startsWith("kafka_requests_total is not emitted")));

  assert.equal(latencyUnit("histogram_quantile(0.5, x) / 1e6"), "s");
  assert.equal(latencyUnit("histogram_quantile(0.5, x) / 1e3"), "ms");
  assert.equal(latencyUnit("histogram_quantile(0.5, x)"), "µs");
  assert.deepEqual(versionsMatched("[0-2]"), [0, 1, 2]);
  assert.notDeepEqual(versionsMatched("[0-3]"), [0, 1, 2]);
  const changed = structuredClone(rulesFile.groups);
  changed[0].rules[0].labels.severity = "critical";
  assert.notDeepEqual(changed, crd.spec.groups);
});
