// Every metric of the filter, defined once: its base name (Prometheus sees `kafka_` + name), its
// kind, its labels in the order the stat name carries them, and what it counts. The stat names
// (names.ts), docs/metrics.md, the README's table and the dashboard and alert checks
// (tests/dashboards) all read this table. Labels a `metrics.*_label` switch turns off are left
// out of the name when switched off. Plain data: the tests load this file as TypeScript too.

export class MetricDef {
  constructor(public name: string, public kind: string, public labels: string[], public help: string) {}
}

export const REQUESTS_TOTAL = new MetricDef("requests_total", "counter", ["api", "api_version", "client_id"], "requests seen");
export const RESPONSES_TOTAL = new MetricDef("responses_total", "counter", ["api"], "responses matched to a request");
export const REQUEST_LATENCY_US = new MetricDef("request_latency_us", "histogram", ["api"], "request → response, microseconds");
export const INFLIGHT_REQUESTS = new MetricDef("inflight_requests", "gauge", ["api"], "requests awaiting a response");
export const RESPONSE_ERRORS_TOTAL = new MetricDef("response_errors_total", "counter", ["api", "error"], "non-zero error codes, per partition/resource entry");
export const PRODUCE_BYTES_TOTAL = new MetricDef("produce_bytes_total", "counter", ["topic", "client_id"], "record-batch bytes of Produce requests");
export const PRODUCE_RECORDS_TOTAL = new MetricDef("produce_records_total", "counter", ["topic", "client_id"], "records of Produce requests (from record-batch headers)");
export const PRODUCE_BATCHES_TOTAL = new MetricDef("produce_batches_total", "counter", ["topic", "client_id"], "record batches of Produce requests");
export const PRODUCE_ACKS0_REQUESTS_TOTAL = new MetricDef("produce_acks0_requests_total", "counter", ["client_id"], "Produce requests with acks=0 (no response)");
export const FETCH_BYTES_TOTAL = new MetricDef("fetch_bytes_total", "counter", ["topic", "client_id"], "record-batch bytes of Fetch responses");
export const FETCH_RECORDS_TOTAL = new MetricDef("fetch_records_total", "counter", ["topic", "client_id"], "records of Fetch responses (from record-batch headers)");
export const THROTTLE_TIME_MS = new MetricDef("throttle_time_ms", "histogram", ["api"], "broker-reported throttle time (when > 0)");
export const CLIENT_SOFTWARE_TOTAL = new MetricDef("client_software_total", "counter", ["client_id", "client_software_name", "client_software_version"], "ApiVersions v3+ requests");
export const METADATA_TOPICS = new MetricDef("metadata_topics", "gauge", [], "distinct topics seen in Metadata responses");
export const PARTITION_HIGH_WATERMARK = new MetricDef("partition_high_watermark", "gauge", ["topic", "partition"], "from Fetch responses");
export const CONSUMER_FETCH_OFFSET = new MetricDef("consumer_fetch_offset", "gauge", ["client_id", "topic", "partition"], "consumer position seen in Fetch traffic");
export const CONSUMER_LAG = new MetricDef("consumer_lag", "gauge", ["client_id", "topic", "partition"], "high watermark − consumer position");
export const CONNECTIONS_TOTAL = new MetricDef("connections_total", "counter", [], "TCP connections through the filter");
export const CONNECTIONS_ACTIVE = new MetricDef("connections_active", "gauge", [], "TCP connections open through the filter");
export const FRAMES_UNKNOWN_TOTAL = new MetricDef("frames_unknown_total", "counter", ["direction"], "unknown API key or version (passed through)");
export const FRAMES_MALFORMED_TOTAL = new MetricDef("frames_malformed_total", "counter", ["direction", "reason"], "header/body did not decode, or truncated at close");
export const FRAMING_LOST_TOTAL = new MetricDef("framing_lost_total", "counter", ["direction"], "impossible length prefix; rest of that direction undecoded");
export const UNMATCHED_RESPONSES_TOTAL = new MetricDef("unmatched_responses_total", "counter", [], "responses matching no request in flight");
export const INFLIGHT_EVICTED_TOTAL = new MetricDef("inflight_evicted_total", "counter", [], "requests dropped from a full in-flight table");
export const INVALID_UTF8_TOTAL = new MetricDef("invalid_utf8_total", "counter", ["direction"], "client ids that are not UTF-8");
export const LABEL_OVERFLOW_TOTAL = new MetricDef("label_overflow_total", "counter", ["reason"], "a label value went to `other` (cap reached; `reason=\"series_budget\"`: the series budget)");
export const POLICY_VIOLATIONS_TOTAL = new MetricDef("policy_violations_total", "counter", ["reason", "api", "client_id"], "requests breaking a policy rule (audit and enforce)");
export const POLICY_CLOSED_CONNECTIONS_TOTAL = new MetricDef("policy_closed_connections_total", "counter", ["reason"], "connections closed by an enforced rule");

export const METRICS: MetricDef[] = [
  REQUESTS_TOTAL, RESPONSES_TOTAL, REQUEST_LATENCY_US, INFLIGHT_REQUESTS, RESPONSE_ERRORS_TOTAL,
  PRODUCE_BYTES_TOTAL, PRODUCE_RECORDS_TOTAL, PRODUCE_BATCHES_TOTAL, PRODUCE_ACKS0_REQUESTS_TOTAL,
  FETCH_BYTES_TOTAL, FETCH_RECORDS_TOTAL, THROTTLE_TIME_MS, CLIENT_SOFTWARE_TOTAL, METADATA_TOPICS,
  PARTITION_HIGH_WATERMARK, CONSUMER_FETCH_OFFSET, CONSUMER_LAG, CONNECTIONS_TOTAL, CONNECTIONS_ACTIVE,
  FRAMES_UNKNOWN_TOTAL, FRAMES_MALFORMED_TOTAL, FRAMING_LOST_TOTAL, UNMATCHED_RESPONSES_TOTAL,
  INFLIGHT_EVICTED_TOTAL, INVALID_UTF8_TOTAL, LABEL_OVERFLOW_TOTAL, POLICY_VIOLATIONS_TOTAL,
  POLICY_CLOSED_CONNECTIONS_TOTAL,
];
