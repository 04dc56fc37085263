// Metric names, in one place. A name is `kafka.` + tag fragments `NAME=.=VALUE;.;` + base name.
// Envoy keeps Wasm metrics under the `wasmcustom.` namespace; Istio's `extraStatTags` regex
// `(NAME=\.=(.+?);\.;)` lifts each fragment into a Prometheus label, so
// `kafka.api=.=Produce;.;requests_total` is scraped as `kafka_requests_total{api="Produce"}`.

export const PREFIX = "kafka.";

// Base names (the Prometheus name is `kafka_` + base).
export const REQUESTS_TOTAL = "requests_total";
export const RESPONSES_TOTAL = "responses_total";
export const REQUEST_LATENCY_US = "request_latency_us";
export const INFLIGHT_REQUESTS = "inflight_requests";
export const FRAMES_UNKNOWN_TOTAL = "frames_unknown_total";
export const FRAMES_MALFORMED_TOTAL = "frames_malformed_total";
export const FRAMING_LOST_TOTAL = "framing_lost_total";
export const UNMATCHED_RESPONSES_TOTAL = "unmatched_responses_total";
export const INFLIGHT_EVICTED_TOTAL = "inflight_evicted_total";
export const CONNECTIONS_ACTIVE = "connections_active";
export const CONNECTIONS_TOTAL = "connections_total";
export const INVALID_UTF8_TOTAL = "invalid_utf8_total";
export const LABEL_OVERFLOW_TOTAL = "label_overflow_total";
export const PRODUCE_BYTES_TOTAL = "produce_bytes_total";
export const PRODUCE_RECORDS_TOTAL = "produce_records_total";
export const PRODUCE_BATCHES_TOTAL = "produce_batches_total";
export const PRODUCE_ACKS0_REQUESTS_TOTAL = "produce_acks0_requests_total";
export const FETCH_BYTES_TOTAL = "fetch_bytes_total";
export const FETCH_RECORDS_TOTAL = "fetch_records_total";
export const RESPONSE_ERRORS_TOTAL = "response_errors_total";
export const THROTTLE_TIME_MS = "throttle_time_ms";
export const CLIENT_SOFTWARE_TOTAL = "client_software_total";
export const METADATA_TOPICS = "metadata_topics";
export const PARTITION_HIGH_WATERMARK = "partition_high_watermark";
export const CONSUMER_FETCH_OFFSET = "consumer_fetch_offset";
export const CONSUMER_LAG = "consumer_lag";
export const POLICY_VIOLATIONS_TOTAL = "policy_violations_total";
export const POLICY_CLOSED_CONNECTIONS_TOTAL = "policy_closed_connections_total";

// `reason` values of kafka_label_overflow_total besides the capped label names.
export const REASON_SERIES_BUDGET = "series_budget";
export const REASON_CLIENT_SOFTWARE = "client_software";

// Tag names (Prometheus label names); `istio/` lists them in extraStatTags.
export const TAG_API = "api";
export const TAG_API_VERSION = "api_version";
export const TAG_TOPIC = "topic";
export const TAG_CLIENT_ID = "client_id";
export const TAG_ERROR = "error";
export const TAG_DIRECTION = "direction";
export const TAG_REASON = "reason";
export const TAG_CLIENT_SOFTWARE_NAME = "client_software_name";
export const TAG_CLIENT_SOFTWARE_VERSION = "client_software_version";
export const TAG_PARTITION = "partition";

/** Builds a name from a base and tag pairs [name0, value0, name1, value1, ...]; values must be sanitised. */
export function metricName(base: string, tags: string[]): string {
  let name = PREFIX;
  for (let i = 0; i + 1 < tags.length; i += 2) name += tags[i] + "=.=" + tags[i + 1] + ";.;";
  return name + base;
}
