// State shared by every connection of one VM (one plugin instance on one worker): the
// configuration, the label caps (so each label's cardinality is bounded per VM as documented),
// the metrics recorder, and what Metadata responses taught us about topics.
import { PluginConfig } from "../config/plugin_config";
import { LabelLimiter, sanitizeLabel } from "../metrics/labels";
import { KafkaMetrics } from "../metrics/kafka_metrics";
import { registry } from "../metrics/registry";
import * as names from "../metrics/names";
import { getSharedString, setSharedString, createSharedString } from "../abi/shared_data";
import { Policy } from "../policy/policy";
import { TopicDirectory } from "../traffic/topic_directory";

const MAX_TOPIC_IDS: i32 = 100000;

export class VmState extends TopicDirectory {
  clientIds: LabelLimiter;
  topics: LabelLimiter;
  metrics: KafkaMetrics;
  policy: Policy;
  private topicIds: Map<string, string> = new Map<string, string>();
  private metadataTopics: Set<string> = new Set<string>();

  constructor(public config: PluginConfig) {
    super();
    this.clientIds = new LabelLimiter(config.maxClientIds);
    this.topics = new LabelLimiter(config.maxTopics);
    this.metrics = new KafkaMetrics(config);
    this.policy = new Policy(config.policy);
  }

  clientIdLabel(clientId: string): string {
    const before = this.clientIds.overflowed;
    const label = this.clientIds.admit(sanitizeLabel(clientId));
    if (this.clientIds.overflowed != before) registry.count(names.metricName(names.LABEL_OVERFLOW_TOTAL, [names.TAG_REASON, names.TAG_CLIENT_ID]));
    return label;
  }

  topicLabel(topic: string): string {
    const before = this.topics.overflowed;
    const label = this.topics.admit(sanitizeLabel(topic));
    if (this.topics.overflowed != before) registry.count(names.metricName(names.LABEL_OVERFLOW_TOTAL, [names.TAG_REASON, names.TAG_TOPIC]));
    return label;
  }

  /** Remembers a topic id from a Metadata response, here and in Envoy's shared data. */
  learnTopicId(hi: u64, lo: u64, name: string): void {
    const key = uuidKey(hi, lo);
    if (this.topicIds.has(key) && this.topicIds.get(key) == name) return;
    if (this.topicIds.size >= MAX_TOPIC_IDS) this.topicIds.clear();
    this.topicIds.set(key, name);
    setSharedString("kafka-filter.topic-id." + key, name);
  }

  /** The topic name for an id, or "" when no Metadata response has named it yet. */
  topicNameForId(hi: u64, lo: u64): string {
    const key = uuidKey(hi, lo);
    if (this.topicIds.has(key)) return this.topicIds.get(key);
    const shared = getSharedString("kafka-filter.topic-id." + key);
    if (shared.length > 0) this.topicIds.set(key, shared);
    return shared;
  }

  /**
   * Notes a topic named in a Metadata response; true when no VM of this sidecar had seen it (then
   * the caller adds it to kafka_metadata_topics, the one gauge all worker VMs add to). Which VM
   * counts a topic is decided in Envoy's shared data: the one that creates the topic's key.
   */
  noteMetadataTopic(name: string): bool {
    if (this.metadataTopics.has(name) || this.metadataTopics.size >= MAX_TOPIC_IDS) return false;
    this.metadataTopics.add(name);
    return createSharedString("kafka-filter.metadata-topic." + name, "1");
  }
}

function uuidKey(hi: u64, lo: u64): string {
  return hi.toString(16) + "-" + lo.toString(16);
}
