// Writes istio/dashboards/kafka-filter.json, the Grafana dashboard for the kafka_* metrics.
// Run with `make dashboards` (node --import tsx istio/dashboards/generate.ts). The JSON is
// committed; tests/dashboards checks that it matches this generator and that every metric and
// label it queries is one the filter emits (docs/metrics.md is the reference).
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const DS = { type: "prometheus", uid: "${datasource}" };

/** Selector fragments shared by the panels (`=~` with allValue ".*" also matches series without the label). */
const POD = `namespace=~"$namespace", pod=~"$pod"`;
const API = `${POD}, api=~"$api"`;
const CLIENT = `${POD}, client_id=~"$client_id"`;
const TOPIC_CLIENT = `${POD}, topic=~"$topic", client_id=~"$client_id"`;
const RI = "$__rate_interval";

interface Target {
  expr: string;
  legend?: string;
  instant?: boolean;
}

interface PanelOptions {
  unit?: string;
  description?: string;
  stack?: boolean;
  overrides?: unknown[];
  thresholds?: Array<{ color: string; value: number | null }>;
  decimals?: number;
}

let nextId = 1;
let y = 0;
let x = 0;
let rowHeight = 0;

function place(w: number, h: number): { x: number; y: number; w: number; h: number } {
  if (x + w > 24) {
    y += rowHeight;
    x = 0;
    rowHeight = 0;
  }
  const pos = { x, y, w, h };
  x += w;
  rowHeight = Math.max(rowHeight, h);
  return pos;
}

function targets(ts: Target[]): unknown[] {
  return ts.map((t, i) => ({
    datasource: DS,
    refId: String.fromCharCode(65 + i),
    expr: t.expr,
    legendFormat: t.legend ?? "__auto",
    range: !t.instant,
    instant: !!t.instant,
    ...(t.instant ? { format: "table" } : {}),
  }));
}

function row(title: string): unknown {
  if (x > 0) {
    y += rowHeight;
    x = 0;
    rowHeight = 0;
  }
  const panel = { type: "row", id: nextId++, title, collapsed: false, gridPos: { x: 0, y, w: 24, h: 1 }, panels: [] };
  y += 1;
  return panel;
}

function timeseries(title: string, w: number, ts: Target[], o: PanelOptions = {}): unknown {
  return {
    type: "timeseries",
    id: nextId++,
    title,
    description: o.description ?? "",
    datasource: DS,
    gridPos: place(w, 8),
    targets: targets(ts),
    fieldConfig: {
      defaults: {
        unit: o.unit ?? "short",
        ...(o.decimals !== undefined ? { decimals: o.decimals } : {}),
        custom: {
          drawStyle: "line",
          lineWidth: 1,
          fillOpacity: o.stack ? 30 : 10,
          showPoints: "never",
          spanNulls: false,
          stacking: { mode: o.stack ? "normal" : "none", group: "A" },
        },
        color: { mode: "palette-classic" },
        thresholds: { mode: "absolute", steps: o.thresholds ?? [{ color: "green", value: null }] },
      },
      overrides: o.overrides ?? [],
    },
    options: {
      legend: { displayMode: "table", placement: "bottom", showLegend: true, calcs: ["lastNotNull", "max"] },
      tooltip: { mode: "multi", sort: "desc" },
    },
  };
}

function stat(title: string, w: number, t: Target, o: PanelOptions = {}): unknown {
  return {
    type: "stat",
    id: nextId++,
    title,
    description: o.description ?? "",
    datasource: DS,
    gridPos: place(w, 4),
    targets: targets([t]),
    fieldConfig: {
      defaults: {
        unit: o.unit ?? "short",
        ...(o.decimals !== undefined ? { decimals: o.decimals } : {}),
        color: { mode: "thresholds" },
        thresholds: { mode: "absolute", steps: o.thresholds ?? [{ color: "green", value: null }] },
      },
      overrides: [],
    },
    options: {
      reduceOptions: { calcs: ["lastNotNull"], fields: "", values: false },
      colorMode: "value",
      graphMode: "area",
      textMode: "auto",
      justifyMode: "auto",
      orientation: "auto",
    },
  };
}

function table(title: string, w: number, h: number, ts: Target[], o: PanelOptions & { rename?: Record<string, string> } = {}): unknown {
  return {
    type: "table",
    id: nextId++,
    title,
    description: o.description ?? "",
    datasource: DS,
    gridPos: place(w, h),
    targets: targets(ts.map((t) => ({ ...t, instant: true, legend: t.legend ?? "" }))),
    fieldConfig: {
      defaults: {
        unit: o.unit ?? "short",
        ...(o.decimals !== undefined ? { decimals: o.decimals } : {}),
        custom: { align: "auto", filterable: true },
      },
      overrides: [],
    },
    options: { showHeader: true, cellHeight: "sm", footer: { show: false, reducer: ["sum"], fields: "" } },
    transformations: [
      { id: "merge", options: {} },
      { id: "organize", options: { excludeByName: { Time: true }, renameByName: o.rename ?? {} } },
    ],
  };
}

/** Latency quantiles of one histogram (recorded in microseconds), shown in seconds. */
function latencyQuantiles(): Target[] {
  return [0.5, 0.95, 0.99].map((q) => ({
    expr: `histogram_quantile(${q}, sum by (api, le) (rate(kafka_request_latency_us_bucket{${API}}[${RI}]))) / 1e6`,
    legend: `{{api}} p${Math.round(q * 100)}`,
  }));
}

function variable(name: string, label: string, query: string, regex = ""): unknown {
  return {
    type: "query",
    name,
    label,
    datasource: DS,
    definition: query,
    query: { query, refId: "PrometheusVariableQueryEditor-VariableQuery" },
    regex,
    refresh: 2,
    sort: 1,
    multi: true,
    includeAll: true,
    allValue: ".*",
    current: { selected: true, text: ["All"], value: ["$__all"] },
    options: [],
    hide: 0,
  };
}

export function buildDashboard(): unknown {
  nextId = 1;
  x = 0;
  y = 0;
  rowHeight = 0;
  const panels: unknown[] = [];
  const add = (...p: unknown[]) => panels.push(...p);

  add(row("Overview"));
  add(
    stat("Requests/s", 4, { expr: `sum(rate(kafka_requests_total{${CLIENT}}[${RI}]))` }, { unit: "reqps", decimals: 1 }),
    stat("Error responses/s", 4, { expr: `sum(rate(kafka_response_errors_total{${API}}[${RI}])) or vector(0)` }, {
      unit: "short",
      decimals: 2,
      description: "Non-zero error codes in responses (counted per partition/resource entry, not per response).",
      thresholds: [{ color: "green", value: null }, { color: "orange", value: 0.1 }, { color: "red", value: 1 }],
    }),
    stat("Produce in flight", 4, { expr: `sum(kafka_inflight_requests{${POD}, api="Produce"})` }, {
      description: "Produce requests sent and not yet answered: the produce buffer. A Java producer keeps at most max.in.flight.requests.per.connection (default 5) per broker connection.",
      thresholds: [{ color: "green", value: null }, { color: "orange", value: 10 }, { color: "red", value: 20 }],
    }),
    stat("Active connections", 4, { expr: `sum(kafka_connections_active{${POD}})` }),
    stat("Topics in Metadata", 4, { expr: `max(kafka_metadata_topics{${POD}})` }, {
      description: "Distinct topic names seen in Metadata responses by one filter VM (max over the selected pods).",
    }),
    stat("Max consumer lag", 4, { expr: `max(kafka_consumer_lag{${TOPIC_CLIENT}})` }, {
      description: "Largest high watermark minus fetch offset over the selected clients, topics and partitions (records).",
      thresholds: [{ color: "green", value: null }, { color: "orange", value: 1000 }, { color: "red", value: 100000 }],
    }),
  );

  add(row("Requests and latency"));
  add(
    timeseries("Requests/s per API", 12, [{ expr: `sum by (api) (rate(kafka_requests_total{${API}, client_id=~"$client_id"}[${RI}]))`, legend: "{{api}}" }], { unit: "reqps" }),
    timeseries("Responses/s per API", 12, [{ expr: `sum by (api) (rate(kafka_responses_total{${API}}[${RI}]))`, legend: "{{api}}" }], {
      unit: "reqps",
      description: "Responses matched to a request. Produce with acks=0 has no response, so requests minus responses is expected there.",
    }),
    timeseries("Latency p50 / p95 / p99 per API", 24, latencyQuantiles(), {
      unit: "s",
      description: "Request-to-response time seen by the sidecar, from kafka_request_latency_us (microseconds, divided by 1e6). Fetch and JoinGroup include the broker's intentional wait (fetch.max.wait.ms, rebalance).",
    }),
    timeseries("Error responses/s per API and error", 24, [
      { expr: `sum by (api, error) (rate(kafka_response_errors_total{${API}}[${RI}]))`, legend: "{{api}} {{error}}" },
    ], { unit: "short", stack: true, description: "Kafka error codes found in response bodies, by Kafka error name." }),
  );

  add(row("Produce and fetch"));
  const throughput = (kind: "produce" | "fetch", what: "bytes" | "records", by: "topic" | "client_id", w: number) =>
    timeseries(
      `${kind === "produce" ? "Produce" : "Fetch"} ${what}/s per ${by === "topic" ? "topic" : "client"}`,
      w,
      [{ expr: `sum by (${by}) (rate(kafka_${kind}_${what}_total{${TOPIC_CLIENT}}[${RI}]))`, legend: `{{${by}}}` }],
      {
        unit: what === "bytes" ? "Bps" : "short",
        stack: true,
        description:
          what === "bytes"
            ? "Size of the records fields (record batches as sent, compressed), read from the frame; records are never copied."
            : "Sum of the record counts in the v2 record-batch headers.",
      },
    );
  add(
    throughput("produce", "bytes", "topic", 12),
    throughput("produce", "bytes", "client_id", 12),
    throughput("produce", "records", "topic", 12),
    throughput("produce", "records", "client_id", 12),
    throughput("fetch", "bytes", "topic", 12),
    throughput("fetch", "bytes", "client_id", 12),
    throughput("fetch", "records", "topic", 12),
    throughput("fetch", "records", "client_id", 12),
    timeseries("Average produce batch size", 12, [
      {
        expr: `sum by (topic) (rate(kafka_produce_bytes_total{${TOPIC_CLIENT}}[${RI}])) / sum by (topic) (rate(kafka_produce_batches_total{${TOPIC_CLIENT}}[${RI}]))`,
        legend: "{{topic}}",
      },
    ], { unit: "bytes", description: "Produced bytes per record batch: small batches mean linger.ms / batch.size give little batching." }),
    timeseries("Produce requests/s with acks=0", 12, [
      { expr: `sum by (client_id) (rate(kafka_produce_acks0_requests_total{${CLIENT}}[${RI}]))`, legend: "{{client_id}}" },
    ], { unit: "reqps", description: "Fire-and-forget produce: the broker sends no response, so failures are invisible to the client." }),
  );

  add(row("Back-pressure"));
  add(
    timeseries("In-flight requests per API (Produce = produce buffer)", 12, [
      { expr: `sum by (api) (kafka_inflight_requests{${API}})`, legend: "{{api}}" },
    ], {
      description: "Requests sent and not answered yet. A sustained Produce level means the broker acknowledges slower than producers send: their buffer.memory fills and send() blocks.",
      overrides: [
        {
          matcher: { id: "byName", options: "Produce" },
          properties: [
            { id: "color", value: { mode: "fixed", fixedColor: "red" } },
            { id: "custom.lineWidth", value: 3 },
            { id: "custom.fillOpacity", value: 25 },
          ],
        },
      ],
    }),
    timeseries("Throttled responses/s per API", 6, [
      { expr: `sum by (api) (rate(kafka_throttle_time_ms_count{${API}}[${RI}]))`, legend: "{{api}}" },
    ], { unit: "short", description: "Responses with throttle_time_ms > 0 (quota enforcement)." }),
    timeseries("Mean throttle time per API", 6, [
      {
        expr: `sum by (api) (rate(kafka_throttle_time_ms_sum{${API}}[${RI}])) / sum by (api) (rate(kafka_throttle_time_ms_count{${API}}[${RI}]))`,
        legend: "{{api}}",
      },
    ], { unit: "ms", description: "Mean of throttle_time_ms over throttled responses (histogram recorded in milliseconds)." }),
  );

  add(row("Consumers"));
  add(
    timeseries("Consumer lag per client / topic / partition", 16, [
      { expr: `max by (client_id, topic, partition) (kafka_consumer_lag{${TOPIC_CLIENT}})`, legend: "{{client_id}} {{topic}}[{{partition}}]" },
    ], {
      description: "High watermark in a Fetch response minus the offset the client fetched from (records). Updated on each Fetch; a consumer that stops fetching keeps its last value.",
    }),
    table("Largest lags", 8, 8, [
      { expr: `topk(20, max by (client_id, topic, partition) (kafka_consumer_lag{${TOPIC_CLIENT}}))` },
    ], { rename: { Value: "lag (records)" } }),
    timeseries("Consumer fetch position rate", 12, [
      {
        expr: `sum by (client_id, topic) (max by (client_id, topic, partition) (deriv(kafka_consumer_fetch_offset{${TOPIC_CLIENT}}[5m])))`,
        legend: "{{client_id}} {{topic}}",
      },
    ], { unit: "short", description: "Records/s by which fetch offsets advance (consumption rate per client and topic)." }),
    timeseries("Log end growth per topic", 12, [
      {
        expr: `sum by (topic) (max by (topic, partition) (deriv(kafka_partition_high_watermark{${POD}, topic=~"$topic"}[5m])))`,
        legend: "{{topic}}",
      },
    ], { unit: "short", description: "Records/s by which high watermarks (seen in Fetch responses) advance." }),
  );

  add(row("Clients and protocol versions"));
  add(
    table("Client software", 12, 9, [
      {
        expr: `sum by (client_id, client_software_name, client_software_version) (max_over_time(kafka_client_software_total{${CLIENT}}[$__range]))`,
      },
    ], {
      description: "From ApiVersions requests (v3+): one count per request, cumulative since the sidecar started.",
      rename: { Value: "ApiVersions requests" },
    }),
    table("API versions in use", 12, 9, [
      { expr: `sum by (api, api_version) (increase(kafka_requests_total{${API}, client_id=~"$client_id"}[$__range]))` },
    ], { rename: { Value: "requests in range" }, decimals: 0 }),
    table("Produce / Fetch below Kafka 4 minimums (by client)", 12, 8, [
      {
        expr: `sum by (client_id, api, api_version) (increase(kafka_requests_total{${CLIENT}, api="Produce", api_version=~"[0-2]"}[$__range])) or sum by (client_id, api, api_version) (increase(kafka_requests_total{${CLIENT}, api="Fetch", api_version=~"[0-3]"}[$__range]))`,
      },
    ], {
      description: "Kafka 4.0 removed Produce v0-2 and Fetch v0-3 (KIP-896); 4.1.1 accepts Produce v3-13 and Fetch v4-18. These clients fail against a Kafka 4 broker.",
      rename: { Value: "requests in range" },
    }),
    timeseries("Produce / Fetch requests/s by API version", 12, [
      { expr: `sum by (api, api_version) (rate(kafka_requests_total{${CLIENT}, api=~"Produce|Fetch"}[${RI}]))`, legend: "{{api}} v{{api_version}}" },
    ], { unit: "reqps" }),
  );

  add(row("Connections and filter health"));
  add(
    timeseries("Connections", 8, [
      { expr: `sum by (pod) (kafka_connections_active{${POD}})`, legend: "{{pod}} active" },
      { expr: `sum by (pod) (rate(kafka_connections_total{${POD}}[${RI}]))`, legend: "{{pod}} new/s" },
    ]),
    timeseries("Topics seen in Metadata", 8, [{ expr: `max by (pod) (kafka_metadata_topics{${POD}})`, legend: "{{pod}}" }]),
    timeseries("Label overflow (cardinality cap hit)", 8, [
      { expr: `sum by (reason) (rate(kafka_label_overflow_total{${POD}}[${RI}]))`, legend: "{{reason}}" },
    ], { description: "Label values mapped to `other` per second because max_client_ids/max_topics was reached." }),
    timeseries("Malformed / unknown frames", 12, [
      { expr: `sum by (direction, reason) (rate(kafka_frames_malformed_total{${POD}}[${RI}]))`, legend: "malformed {{direction}} {{reason}}" },
      { expr: `sum by (direction) (rate(kafka_frames_unknown_total{${POD}}[${RI}]))`, legend: "unknown {{direction}}" },
      { expr: `sum by (direction) (rate(kafka_framing_lost_total{${POD}}[${RI}]))`, legend: "framing lost {{direction}}" },
    ], { description: "Frames the decoder could not read (forwarded unchanged), API keys/versions it does not know, and streams it stopped decoding." }),
    timeseries("Policy violations", 12, [
      { expr: `sum by (reason, api, client_id) (rate(kafka_policy_violations_total{${CLIENT}}[${RI}]))`, legend: "{{reason}} {{api}} {{client_id}}" },
      { expr: `sum by (reason) (rate(kafka_policy_closed_connections_total{${POD}}[${RI}]))`, legend: "closed: {{reason}}" },
    ], { description: "Requests breaking the plugin's policy (counted in audit and enforce mode) and client connections closed by enforced rules." }),
    timeseries("Matching anomalies", 12, [
      { expr: `sum(rate(kafka_unmatched_responses_total{${POD}}[${RI}]))`, legend: "unmatched responses" },
      { expr: `sum(rate(kafka_inflight_evicted_total{${POD}}[${RI}]))`, legend: "in-flight evicted" },
      { expr: `sum by (direction) (rate(kafka_invalid_utf8_total{${POD}}[${RI}]))`, legend: "invalid UTF-8 {{direction}}" },
    ]),
  );

  const datasourceVar = {
    type: "datasource",
    name: "datasource",
    label: "Data source",
    query: "prometheus",
    current: {},
    hide: 0,
    refresh: 1,
    regex: "",
    options: [],
  };

  return {
    __inputs: [],
    __requires: [
      { type: "grafana", id: "grafana", name: "Grafana", version: "10.4.0" },
      { type: "datasource", id: "prometheus", name: "Prometheus", version: "1.0.0" },
      { type: "panel", id: "timeseries", name: "Time series", version: "" },
      { type: "panel", id: "stat", name: "Stat", version: "" },
      { type: "panel", id: "table", name: "Table", version: "" },
    ],
    annotations: { list: [] },
    description: "Kafka protocol metrics from the Envoy Proxy-Wasm filter (kafka_* series). See docs/metrics.md.",
    editable: true,
    graphTooltip: 1,
    links: [],
    panels,
    refresh: "30s",
    schemaVersion: 39,
    tags: ["kafka", "envoy", "istio", "wasm"],
    templating: {
      list: [
        datasourceVar,
        variable("namespace", "Namespace", "label_values(kafka_connections_total, namespace)"),
        variable("pod", "Pod", `label_values(kafka_connections_total{namespace=~"$namespace"}, pod)`),
        variable("api", "API", `label_values(kafka_requests_total{${POD}}, api)`),
        variable("topic", "Topic", `query_result(group by (topic) (kafka_produce_bytes_total{${POD}}) or group by (topic) (kafka_fetch_bytes_total{${POD}}))`, `/topic="([^"]*)"/`),
        variable("client_id", "Client id", `label_values(kafka_requests_total{${POD}}, client_id)`),
      ],
    },
    time: { from: "now-1h", to: "now" },
    timepicker: {},
    timezone: "",
    title: "Kafka (Envoy filter)",
    uid: "kafka-envoy-filter",
    version: 1,
    weekStart: "",
  };
}

export function dashboardText(): string {
  return JSON.stringify(buildDashboard(), null, 2) + "\n";
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const out = new URL("./kafka-filter.json", import.meta.url);
  writeFileSync(out, dashboardText());
  console.log(`wrote ${fileURLToPath(out)}`);
}
