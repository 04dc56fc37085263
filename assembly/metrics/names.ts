// Metric names. A name is `kafka.` + tag fragments `NAME=.=VALUE;.;` + base name.
// Envoy keeps Wasm metrics under the `wasmcustom.` namespace; Istio's `extraStatTags` regex
// `(NAME=\.=(.+?);\.;)` lifts each fragment into a Prometheus label, so
// `kafka.api=.=Produce;.;requests_total` is scraped as `kafka_requests_total{api="Produce"}`.

import * as T from "./table";

export const PREFIX = "kafka.";

// Base names (the Prometheus name is `kafka_` + base), from the one table of metrics (table.ts).
export const REQUESTS_TOTAL: string = T.REQUESTS_TOTAL.name;
export const RESPONSES_TOTAL: string = T.RESPONSES_TOTAL.name;
export const REQUEST_LATENCY_US: string = T.REQUEST_LATENCY_US.name;
export const INFLIGHT_REQUESTS: string = T.INFLIGHT_REQUESTS.name;
export const FRAMES_UNKNOWN_TOTAL: string = T.FRAMES_UNKNOWN_TOTAL.name;
export const FRAMES_MALFORMED_TOTAL: string = T.FRAMES_MALFORMED_TOTAL.name;
export const FRAMING_LOST_TOTAL: string = T.FRAMING_LOST_TOTAL.name;
export const UNMATCHED_RESPONSES_TOTAL: string = T.UNMATCHED_RESPONSES_TOTAL.name;
export const INFLIGHT_EVICTED_TOTAL: string = T.INFLIGHT_EVICTED_TOTAL.name;
export const CONNECTIONS_ACTIVE: string = T.CONNECTIONS_ACTIVE.name;
export const CONNECTIONS_TOTAL: string = T.CONNECTIONS_TOTAL.name;
export const INVALID_UTF8_TOTAL: string = T.INVALID_UTF8_TOTAL.name;
export const LABEL_OVERFLOW_TOTAL: string = T.LABEL_OVERFLOW_TOTAL.name;
export const PRODUCE_BYTES_TOTAL: string = T.PRODUCE_BYTES_TOTAL.name;
export const PRODUCE_RECORDS_TOTAL: string = T.PRODUCE_RECORDS_TOTAL.name;
export const PRODUCE_BATCHES_TOTAL: string = T.PRODUCE_BATCHES_TOTAL.name;
export const PRODUCE_ACKS0_REQUESTS_TOTAL: string = T.PRODUCE_ACKS0_REQUESTS_TOTAL.name;
export const FETCH_BYTES_TOTAL: string = T.FETCH_BYTES_TOTAL.name;
export const FETCH_RECORDS_TOTAL: string = T.FETCH_RECORDS_TOTAL.name;
export const RESPONSE_ERRORS_TOTAL: string = T.RESPONSE_ERRORS_TOTAL.name;
export const THROTTLE_TIME_MS: string = T.THROTTLE_TIME_MS.name;
export const CLIENT_SOFTWARE_TOTAL: string = T.CLIENT_SOFTWARE_TOTAL.name;
export const METADATA_TOPICS: string = T.METADATA_TOPICS.name;
export const PARTITION_HIGH_WATERMARK: string = T.PARTITION_HIGH_WATERMARK.name;
export const CONSUMER_FETCH_OFFSET: string = T.CONSUMER_FETCH_OFFSET.name;
export const CONSUMER_LAG: string = T.CONSUMER_LAG.name;
export const POLICY_VIOLATIONS_TOTAL: string = T.POLICY_VIOLATIONS_TOTAL.name;
export const POLICY_CLOSED_CONNECTIONS_TOTAL: string = T.POLICY_CLOSED_CONNECTIONS_TOTAL.name;

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
