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

/**
 * Topic ids in Envoy's shared data (shared by the VMs of every worker): a fixed table of slots, so
 * the shared data never holds more than TOPIC_ID_SLOTS keys whatever the brokers send. An id goes
 * to one of TOPIC_ID_WAYS slots picked by its hash; when all are taken by other ids, one of them
 * is replaced (that id reads as "unresolved" until a Metadata response names it again).
 */
export const TOPIC_ID_SLOTS: i32 = 16384;
const TOPIC_ID_WAYS: i32 = 4;
const TOPIC_ID_KEY = "kafka-filter.topic-id.";
/** Ids this VM keeps at hand (a cache of the shared table); emptied when full. */
const LOCAL_TOPIC_IDS: i32 = 4096;
/**
 * Distinct Metadata topic names (kafka_metadata_topics) are counted in a fixed table of shared-data
 * slots too: at most METADATA_TOPIC_SLOTS keys (about 6 MB) whatever the brokers send; names past
 * what the table holds are not counted.
 */
export const METADATA_TOPIC_SLOTS: i32 = 32768;
const METADATA_TOPIC_KEY = "kafka-filter.metadata-topic.";

export class VmState extends TopicDirectory {
  clientIds: LabelLimiter;
  topics: LabelLimiter;
  /** (client_software_name, client_software_version) pairs. */
  clientSoftware: LabelLimiter;
  metrics: KafkaMetrics;
  policy: Policy;
  private topicIds: Map<string, string> = new Map<string, string>();
  /** Hashes of the topic names seen in Metadata responses (8 bytes each, not the names). */
  private metadataTopics: Set<u64> = new Set<u64>();

  constructor(public config: PluginConfig) {
    super();
    this.clientIds = new LabelLimiter(config.maxClientIds);
    this.topics = new LabelLimiter(config.maxTopics);
    this.clientSoftware = new LabelLimiter(config.maxClientSoftware);
    registry.setBudget(config.maxSeries);
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

  /** The labels of a client software name and version: both "other" past the cap (counted). */
  clientSoftwareLabels(name: string, version: string): bool {
    const before = this.clientSoftware.overflowed;
    const key = name + "\n" + version;
    const admitted = this.clientSoftware.admit(key) == key;
    if (this.clientSoftware.overflowed != before) registry.count(names.metricName(names.LABEL_OVERFLOW_TOTAL, [names.TAG_REASON, names.REASON_CLIENT_SOFTWARE]));
    return admitted;
  }

  /**
   * Remembers a topic id from a Metadata response, here and in Envoy's shared data. Only the
   * topic's label (sanitised, at most 64 characters) is kept: that is all a name is used for.
   */
  learnTopicId(hi: u64, lo: u64, name: string): void {
    const key = uuidKey(hi, lo);
    const label = sanitizeLabel(name);
    if (this.topicIds.has(key) && this.topicIds.get(key) == label) return;
    this.keepLocal(key, label);
    const prefix = key + "=";
    const first = topicIdSlot(hi, lo);
    let free = -1;
    for (let i = 0; i < TOPIC_ID_WAYS; i++) {
      const slot = (first + i) & (TOPIC_ID_SLOTS - 1);
      const value = getSharedString(TOPIC_ID_KEY + slot.toString());
      if (value.startsWith(prefix)) {
        if (value.length - prefix.length == label.length && value.endsWith(label)) return;
        free = slot;
        break;
      }
      if (value.length == 0 && free < 0) free = slot;
    }
    // All ways held by other ids: replace one (which one depends on the id, so two ids that keep
    // coming back do not evict each other forever).
    if (free < 0) free = (first + <i32>((lo >> 32) & <u64>(TOPIC_ID_WAYS - 1))) & (TOPIC_ID_SLOTS - 1);
    setSharedString(TOPIC_ID_KEY + free.toString(), prefix + label);
  }

  /** The topic label for an id, or "" when no Metadata response has named it yet. */
  topicNameForId(hi: u64, lo: u64): string {
    const key = uuidKey(hi, lo);
    if (this.topicIds.has(key)) return this.topicIds.get(key);
    const prefix = key + "=";
    const first = topicIdSlot(hi, lo);
    for (let i = 0; i < TOPIC_ID_WAYS; i++) {
      const value = getSharedString(TOPIC_ID_KEY + ((first + i) & (TOPIC_ID_SLOTS - 1)).toString());
      if (value.startsWith(prefix)) {
        const label = value.substring(prefix.length);
        this.keepLocal(key, label);
        return label;
      }
    }
    return "";
  }

  private keepLocal(key: string, label: string): void {
    if (this.topicIds.size >= LOCAL_TOPIC_IDS) this.topicIds.clear();
    this.topicIds.set(key, label);
  }

  /**
   * Notes a topic named in a Metadata response; true when no VM of this sidecar had seen it (then
   * the caller adds it to kafka_metadata_topics, the one gauge all worker VMs add to). Which VM
   * counts a topic is decided in Envoy's shared data: the one that creates the topic's key.
   */
  noteMetadataTopic(name: string): bool {
    const h = hashName(name);
    if (this.metadataTopics.has(h) || this.metadataTopics.size >= METADATA_TOPIC_SLOTS) return false;
    this.metadataTopics.add(h);
    // A fixed table of slots in shared data, like topic ids: the name's hash goes to the first of
    // its ways that is free (this VM created it: the topic counts) or already holds it (counted).
    const value = h.toString(16);
    const first = <i32>(h >> 40) & (METADATA_TOPIC_SLOTS - 1);
    for (let i = 0; i < TOPIC_ID_WAYS; i++) {
      const key = METADATA_TOPIC_KEY + ((first + i) & (METADATA_TOPIC_SLOTS - 1)).toString();
      if (createSharedString(key, value)) return true;
      if (getSharedString(key) == value) return false;
    }
    return false; // every way taken by other names: the table is (nearly) full, not counted
  }
}

function topicIdSlot(hi: u64, lo: u64): i32 {
  let h = hi ^ (lo * 0x9e3779b97f4a7c15);
  h ^= h >> 29;
  h *= 0xbf58476d1ce4e5b9;
  h ^= h >> 32;
  return <i32>(h & <u64>(TOPIC_ID_SLOTS - 1));
}

/** 64-bit FNV-1a of a name's UTF-16 code units. */
function hashName(name: string): u64 {
  let h: u64 = 0xcbf29ce484222325;
  for (let i = 0; i < name.length; i++) {
    h ^= <u64>name.charCodeAt(i);
    h *= 0x100000001b3;
  }
  return h;
}

function uuidKey(hi: u64, lo: u64): string {
  return hi.toString(16) + "-" + lo.toString(16);
}
