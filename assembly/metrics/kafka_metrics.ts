// Turns Kafka traffic events into metrics. Every name and label choice is made here and in
// names.ts; labels are sanitised and capped per VM (see labels.ts and vm_state.ts).
import * as names from "./names";
import { registry, COUNTER, GAUGE, HISTOGRAM, NO_METRIC } from "./registry";
import { apiKeyCount, apiName, isKnownKey, isPlausibleVersion } from "../protocol/api_table";
import { PluginConfig } from "../config/plugin_config";
import { RecordsInfo } from "../codec/sink";
import { ERROR_NAMES, MAX_ERROR_CODE, UNKNOWN_SERVER_ERROR_NAME } from "../protocol/generated/error_names";
import { LabelLimiter, OTHER } from "./labels";

/** The `error` label of a code; codes Kafka does not define are all "unknown" (bounded). */
export function errorName(code: i16): string {
  if (code == -1) return UNKNOWN_SERVER_ERROR_NAME;
  if (code > 0 && <i32>code <= MAX_ERROR_CODE) {
    const name = ERROR_NAMES[code];
    if (name.length > 0) return name;
  }
  return UNKNOWN_ERROR;
}

export const UNKNOWN_ERROR = "unknown";

const UNDEFINED: u32 = 0xfffffffe;

/** Metric ids of one (topic, client) pair, defined on first use. */
export class TopicSeries {
  produceBytes: u32 = UNDEFINED;
  produceRecords: u32 = UNDEFINED;
  produceBatches: u32 = UNDEFINED;
  fetchBytes: u32 = UNDEFINED;
  fetchRecords: u32 = UNDEFINED;
  /** Some of its metrics went to the topic="other", client_id="other" series (series budget spent). */
  folded: bool = false;
  constructor(public topic: string, public client: string) {}
}

/** The `api` label: the API's name for keys in the table, else "unknown" (bounded cardinality). */
export function apiLabel(apiKey: i16): string {
  return apiKey >= 0 && <i32>apiKey < apiKeyCount() ? apiName(apiKey) : "unknown";
}

/** Per-API metric ids, indexed by API key (the last slot is "unknown"). */
class ApiSeries {
  ids: StaticArray<u32>;
  constructor(public kind: i32, public base: string) {
    this.ids = new StaticArray<u32>(apiKeyCount() + 1);
    for (let i = 0; i < this.ids.length; i++) this.ids[i] = UNDEFINED;
  }
  id(apiKey: i16): u32 {
    const slot = apiKey >= 0 && <i32>apiKey < apiKeyCount() ? <i32>apiKey : this.ids.length - 1;
    let id = this.ids[slot];
    if (id == UNDEFINED) {
      id = registry.id(this.kind, names.metricName(this.base, [names.TAG_API, apiLabel(apiKey)]));
      this.ids[slot] = id;
    }
    return id;
  }
}

/**
 * Request counters of one connection, by (api key, version), for its current client id. A
 * connection uses a handful of APIs, so this keeps name building off the per-request path.
 */
export class RequestSeries {
  private ids: Map<i32, u32> = new Map<i32, u32>();
  private client: string = "";

  constructor(private config: PluginConfig) {}

  id(apiKey: i16, apiVersion: i16, client: string): u32 {
    if (client != this.client) {
      this.ids.clear();
      this.client = client;
    }
    // Unknown keys share one series (api/api_version "unknown"); a known key keeps its name, and
    // its version when plausible (up to VERSION_SLACK above the newest the tables decode: a newer
    // client's probe, a version a newer broker added, one below Kafka 4's minimums), else
    // "unknown": a hostile client cannot mint a series, or a cache entry, per made-up version.
    const knownKey = isKnownKey(apiKey);
    const labelled = isPlausibleVersion(apiKey, apiVersion);
    const key = !knownKey ? -1 : (<i32>apiKey << 16) | (labelled ? <i32>apiVersion & 0xffff : 0xffff);
    if (this.ids.has(key)) return this.ids.get(key);
    let id: u32;
    if (this.config.clientIdLabel) {
      id = registry.budgetedId(COUNTER, names.metricName(names.REQUESTS_TOTAL, this.tags(knownKey, labelled, apiKey, apiVersion, client)));
      // Over the series budget: counted under client_id="other" (not cached: a later client id
      // of this connection may still have its series).
      if (id == NO_METRIC) return registry.id(COUNTER, names.metricName(names.REQUESTS_TOTAL, this.tags(knownKey, labelled, apiKey, apiVersion, OTHER)));
    } else {
      id = registry.id(COUNTER, names.metricName(names.REQUESTS_TOTAL, this.tags(knownKey, labelled, apiKey, apiVersion, "")));
    }
    this.ids.set(key, id);
    return id;
  }

  private tags(knownKey: bool, labelled: bool, apiKey: i16, apiVersion: i16, client: string): string[] {
    const tags: string[] = [names.TAG_API, knownKey ? apiLabel(apiKey) : "unknown"];
    if (this.config.apiVersionLabel) {
      tags.push(names.TAG_API_VERSION);
      tags.push(labelled ? apiVersion.toString() : "unknown");
    }
    if (this.config.clientIdLabel) {
      tags.push(names.TAG_CLIENT_ID);
      tags.push(client);
    }
    return tags;
  }
}

export class KafkaMetrics {
  /** Caps (client, topic, partition) series of consumer-progress gauges per VM. */
  private partitionSeries: LabelLimiter;
  private responses: ApiSeries = new ApiSeries(COUNTER, names.RESPONSES_TOTAL);
  private latency: ApiSeries = new ApiSeries(HISTOGRAM, names.REQUEST_LATENCY_US);
  private inflight: ApiSeries = new ApiSeries(GAUGE, names.INFLIGHT_REQUESTS);
  private throttle: ApiSeries = new ApiSeries(HISTOGRAM, names.THROTTLE_TIME_MS);
  private topicSeries: Map<string, TopicSeries> = new Map<string, TopicSeries>();
  /**
   * Offsets the latest Fetch requests asked for, by progress key: per VM, so at most one entry per
   * admitted partition series (max_partition_series), whatever the connections or frames.
   */
  private fetchOffsets: Map<string, i64> = new Map<string, i64>();

  constructor(private config: PluginConfig) {
    this.partitionSeries = new LabelLimiter(config.maxPartitionSeries);
  }

  request(series: RequestSeries, apiKey: i16, apiVersion: i16, client: string): void {
    registry.addId(series.id(apiKey, apiVersion, client), 1);
  }

  response(apiKey: i16, latencyMicros: u64): void {
    registry.addId(this.responses.id(apiKey), 1);
    registry.recordId(this.latency.id(apiKey), latencyMicros);
  }

  inflightAdd(apiKey: i16, by: i64): void {
    registry.addId(this.inflight.id(apiKey), by);
  }

  /** Stands for every (topic, client) pair that came after the series budget was spent. */
  private foldedSeries: TopicSeries = new TopicSeries(OTHER, OTHER);

  /** The series of a (topic, client) pair; callers may keep it while the pair stays the same. */
  topic(topic: string, client: string): TopicSeries {
    const key = topic + "\n" + client;
    if (this.topicSeries.has(key)) return this.topicSeries.get(key);
    if (registry.budgetLeft() == 0) {
      // Not kept: the map holds no more pairs than the budget has series.
      this.foldedSeries.folded = true;
      return this.foldedSeries;
    }
    const series = new TopicSeries(topic, client);
    this.topicSeries.set(key, series);
    return series;
  }

  /** `id` (a pair's counter), or past the series budget the topic="other", client_id="other" one. */
  private orOther(series: TopicSeries, id: u32, base: string): u32 {
    if (id != NO_METRIC) return id;
    series.folded = true;
    return registry.id(COUNTER, names.metricName(base, this.topicClientTags(OTHER, OTHER)));
  }

  /** Tags for per-topic/per-client series, honouring the label switches. */
  private topicClientTags(topic: string, client: string): string[] {
    const tags: string[] = [];
    if (this.config.topicLabel) {
      tags.push(names.TAG_TOPIC);
      tags.push(topic);
    }
    if (this.config.clientIdLabel) {
      tags.push(names.TAG_CLIENT_ID);
      tags.push(client);
    }
    return tags;
  }

  produced(series: TopicSeries, bytes: i64, records: i64, batches: i64): void {
    if (series.produceBytes == UNDEFINED) {
      const tags = this.topicClientTags(series.topic, series.client);
      series.produceBytes = this.orOther(series, registry.budgetedId(COUNTER, names.metricName(names.PRODUCE_BYTES_TOTAL, tags)), names.PRODUCE_BYTES_TOTAL);
      series.produceRecords = this.orOther(series, registry.budgetedId(COUNTER, names.metricName(names.PRODUCE_RECORDS_TOTAL, tags)), names.PRODUCE_RECORDS_TOTAL);
      series.produceBatches = this.orOther(series, registry.budgetedId(COUNTER, names.metricName(names.PRODUCE_BATCHES_TOTAL, tags)), names.PRODUCE_BATCHES_TOTAL);
    }
    if (series.folded) registry.overflowed();
    registry.addId(series.produceBytes, bytes);
    registry.addId(series.produceRecords, records);
    registry.addId(series.produceBatches, batches);
  }

  fetched(series: TopicSeries, info: RecordsInfo): void {
    if (series.fetchBytes == UNDEFINED) {
      const tags = this.topicClientTags(series.topic, series.client);
      series.fetchBytes = this.orOther(series, registry.budgetedId(COUNTER, names.metricName(names.FETCH_BYTES_TOTAL, tags)), names.FETCH_BYTES_TOTAL);
      series.fetchRecords = this.orOther(series, registry.budgetedId(COUNTER, names.metricName(names.FETCH_RECORDS_TOTAL, tags)), names.FETCH_RECORDS_TOTAL);
    }
    if (series.folded) registry.overflowed();
    registry.addId(series.fetchBytes, info.totalBytes);
    registry.addId(series.fetchRecords, info.recordCount);
  }

  /** Error counter ids by (api key, error code; every unknown code shares one entry). */
  private errorIds: Map<i32, u32> = new Map<i32, u32>();

  responseError(apiKey: i16, api: string, code: i16): void {
    const error = errorName(code);
    const slot = error == UNKNOWN_ERROR ? 0x7fff : <i32>code & 0xffff;
    const key = (<i32>apiKey << 16) | slot;
    if (this.errorIds.has(key)) {
      registry.addId(this.errorIds.get(key), 1);
      return;
    }
    let id = registry.budgetedId(COUNTER, names.metricName(names.RESPONSE_ERRORS_TOTAL, [names.TAG_API, api, names.TAG_ERROR, error]));
    if (id == NO_METRIC) {
      // Over the series budget: error="other" from now on for this pair.
      id = registry.id(COUNTER, names.metricName(names.RESPONSE_ERRORS_TOTAL, [names.TAG_API, api, names.TAG_ERROR, OTHER]));
    }
    this.errorIds.set(key, id);
    registry.addId(id, 1);
  }

  throttled(apiKey: i16, ms: i32): void {
    registry.recordId(this.throttle.id(apiKey), <u64>ms);
  }

  /** Name and version must have been admitted by VmState.clientSoftwareLabels (capped). */
  clientSoftware(client: string, name: string, version: string): void {
    const id = registry.budgetedId(COUNTER, names.metricName(names.CLIENT_SOFTWARE_TOTAL, [names.TAG_CLIENT_ID, client, names.TAG_CLIENT_SOFTWARE_NAME, name, names.TAG_CLIENT_SOFTWARE_VERSION, version]));
    if (id != NO_METRIC) registry.addId(id, 1);
    else registry.count(names.metricName(names.CLIENT_SOFTWARE_TOTAL, [names.TAG_CLIENT_ID, OTHER, names.TAG_CLIENT_SOFTWARE_NAME, OTHER, names.TAG_CLIENT_SOFTWARE_VERSION, OTHER]));
  }

  /**
   * A topic no VM of the sidecar had seen in a Metadata response. Every worker VM adds to the same
   * gauge, so it counts the sidecar's distinct topics (a set per VM would hold the count of
   * whichever VM wrote last).
   */
  metadataTopicSeen(): void {
    registry.gaugeAdd(names.metricName(names.METADATA_TOPICS, []), 1);
  }

  producedWithoutAcks(client: string): void {
    if (!this.config.clientIdLabel) {
      registry.count(names.metricName(names.PRODUCE_ACKS0_REQUESTS_TOTAL, []));
      return;
    }
    const id = registry.budgetedId(COUNTER, names.metricName(names.PRODUCE_ACKS0_REQUESTS_TOTAL, [names.TAG_CLIENT_ID, client]));
    if (id != NO_METRIC) registry.addId(id, 1);
    else registry.count(names.metricName(names.PRODUCE_ACKS0_REQUESTS_TOTAL, [names.TAG_CLIENT_ID, OTHER]));
  }

  /**
   * The consumer-progress key of a (client, topic, partition), or "" when consumer progress is off
   * or the partition-series cap is reached (then nothing is kept for it).
   */
  progressKey(client: string, topic: string, partition: i32): string {
    if (!this.config.consumerProgress) return "";
    const key = client + "|" + topic + "|" + partition.toString();
    return this.partitionSeries.admit(key) == key ? key : "";
  }

  /**
   * Remembers the offset a Fetch request asked for, for a partition series a response already
   * admitted (so a request alone, which may name partitions that do not exist, never takes a slot
   * of the cap): one entry per admitted series at most.
   */
  noteFetchOffset(client: string, topic: string, partition: i32, offset: i64): void {
    if (!this.config.consumerProgress) return;
    const key = client + "|" + topic + "|" + partition.toString();
    if (this.partitionSeries.has(key)) this.fetchOffsets.set(key, offset);
  }

  /** The offset last asked for this partition series, or -1. */
  askedOffset(key: string): i64 {
    return key.length > 0 && this.fetchOffsets.has(key) ? this.fetchOffsets.get(key) : -1;
  }

  /** Consumer progress of one partition: the client's position after a fetch, and the high watermark. */
  fetchProgress(key: string, client: string, topic: string, partition: i32, fetchOffset: i64, highWatermark: i64): void {
    if (key.length == 0) return; // progress off, or over the series cap (counted in the limiter)
    // Gauges cannot be added up into an `other` series: past the series budget they are dropped.
    const p = partition.toString();
    registry.setBudgeted(names.metricName(names.PARTITION_HIGH_WATERMARK, [names.TAG_TOPIC, topic, names.TAG_PARTITION, p]), <u64>max<i64>(highWatermark, 0));
    if (fetchOffset < 0) return;
    const tags = [names.TAG_CLIENT_ID, client, names.TAG_TOPIC, topic, names.TAG_PARTITION, p];
    registry.setBudgeted(names.metricName(names.CONSUMER_FETCH_OFFSET, tags), <u64>fetchOffset);
    registry.setBudgeted(names.metricName(names.CONSUMER_LAG, tags), <u64>max<i64>(highWatermark - fetchOffset, 0));
  }
}
