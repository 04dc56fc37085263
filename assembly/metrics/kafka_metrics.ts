// Turns Kafka traffic events into metrics. Every name and label choice is made here and in
// names.ts; labels are sanitised and capped per VM (see labels.ts and vm_state.ts).
import * as names from "./names";
import { registry } from "./registry";
import { PluginConfig } from "../config/plugin_config";
import { RecordsInfo } from "../codec/sink";
import { ERROR_NAMES, MAX_ERROR_CODE, UNKNOWN_SERVER_ERROR_NAME } from "../protocol/generated/error_names";
import { LabelLimiter } from "./labels";

export function errorName(code: i16): string {
  if (code == -1) return UNKNOWN_SERVER_ERROR_NAME;
  if (code > 0 && <i32>code <= MAX_ERROR_CODE) {
    const name = ERROR_NAMES[code];
    if (name.length > 0) return name;
  }
  return "CODE_" + code.toString();
}

export class KafkaMetrics {
  /** Caps (client, topic, partition) series of consumer-progress gauges per VM. */
  private partitionSeries: LabelLimiter;

  constructor(private config: PluginConfig) {
    this.partitionSeries = new LabelLimiter(config.maxPartitionSeries);
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

  produced(topic: string, client: string, info: RecordsInfo): void {
    const tags = this.topicClientTags(topic, client);
    registry.count(names.metricName(names.PRODUCE_BYTES_TOTAL, tags), info.totalBytes);
    registry.count(names.metricName(names.PRODUCE_RECORDS_TOTAL, tags), info.recordCount);
    registry.count(names.metricName(names.PRODUCE_BATCHES_TOTAL, tags), info.batchCount);
  }

  fetched(topic: string, client: string, info: RecordsInfo): void {
    const tags = this.topicClientTags(topic, client);
    registry.count(names.metricName(names.FETCH_BYTES_TOTAL, tags), info.totalBytes);
    registry.count(names.metricName(names.FETCH_RECORDS_TOTAL, tags), info.recordCount);
  }

  responseError(api: string, code: i16): void {
    registry.count(names.metricName(names.RESPONSE_ERRORS_TOTAL, [names.TAG_API, api, names.TAG_ERROR, errorName(code)]));
  }

  throttled(api: string, ms: i32): void {
    registry.record(names.metricName(names.THROTTLE_TIME_MS, [names.TAG_API, api]), <u64>ms);
  }

  clientSoftware(client: string, name: string, version: string): void {
    registry.count(names.metricName(names.CLIENT_SOFTWARE_TOTAL, [names.TAG_CLIENT_ID, client, names.TAG_CLIENT_SOFTWARE_NAME, name, names.TAG_CLIENT_SOFTWARE_VERSION, version]));
  }

  metadataTopics(count: i32): void {
    registry.set(names.metricName(names.METADATA_TOPICS, []), <u64>count);
  }

  producedWithoutAcks(client: string): void {
    const tags: string[] = [];
    if (this.config.clientIdLabel) {
      tags.push(names.TAG_CLIENT_ID);
      tags.push(client);
    }
    registry.count(names.metricName(names.PRODUCE_ACKS0_REQUESTS_TOTAL, tags));
  }

  /** Consumer progress of one partition: the client's position after a fetch, and the high watermark. */
  fetchProgress(client: string, topic: string, partition: i32, fetchOffset: i64, highWatermark: i64): void {
    if (!this.config.consumerProgress) return;
    const key = client + "|" + topic + "|" + partition.toString();
    if (this.partitionSeries.admit(key) != key) return; // over the series cap: counted in the limiter
    const p = partition.toString();
    registry.set(names.metricName(names.PARTITION_HIGH_WATERMARK, [names.TAG_TOPIC, topic, names.TAG_PARTITION, p]), <u64>max<i64>(highWatermark, 0));
    if (fetchOffset < 0) return;
    const tags = [names.TAG_CLIENT_ID, client, names.TAG_TOPIC, topic, names.TAG_PARTITION, p];
    registry.set(names.metricName(names.CONSUMER_FETCH_OFFSET, tags), <u64>fetchOffset);
    registry.set(names.metricName(names.CONSUMER_LAG, tags), <u64>max<i64>(highWatermark - fetchOffset, 0));
  }
}
