// Receives the body decoder's field events for one frame and turns them into what the traffic
// means: records produced or fetched per topic/partition, error codes, throttling, client
// software, consumer progress and topics named in Metadata responses, recorded as metrics, and the
// Produce facts the policy rules judge. Knows which API it is decoding; knows nothing of how
// metrics are named (metrics/kafka_metrics.ts does that).
import { DecodeSink, RecordsInfo, R_FETCH_OFFSET, R_HIGH_WATERMARK, R_CLIENT_SOFTWARE_NAME, R_CLIENT_SOFTWARE_VERSION, R_SASL_MECHANISM, SCOPE_BODY } from "../codec/sink";
import { KafkaMetrics, TopicSeries } from "../metrics/kafka_metrics";
import { Policy } from "../policy/policy";
import { TopicDirectory } from "./topic_directory";
import { API_KEY_PRODUCE, API_KEY_FETCH, API_KEY_METADATA, API_KEY_API_VERSIONS, API_KEY_SHARE_FETCH } from "../protocol/generated/apis";
import { sanitizeLabel, OTHER } from "../metrics/labels";


/** What the connection must act on (the in-flight table lives there). */
export abstract class TrafficListener {
  /** A Produce request with acks=0: the broker sends no response. */
  abstract onNoResponseExpected(): void;
  /** The request breaks a policy rule (see assembly/policy). */
  abstract onPolicyViolation(rule: string, apiLabel: string): void;
}

export class TrafficSink extends DecodeSink {
  apiKey: i16 = -1;
  apiLabel: string = "unknown";
  isResponse: bool = false;
  clientLabel: string = "none";

  private topic: string = "";
  private topicIdHi: u64 = 0;
  private topicIdLo: u64 = 0;
  private hasTopicId: bool = false;
  private partition: i32 = -1;
  private fetchOffset: i64 = -1;
  private highWatermark: i64 = -1;
  private nextOffset: i64 = -1;
  private lastSeries: TopicSeries | null = null;
  // Produce records of the current request, added up per (topic, client) series until the request
  // is complete: one entry per distinct series (bounded by the topic label cap), never one per
  // partition or batch, so a frame's state does not grow with its shape.
  private pending: TopicSeries[] = [];
  private pendingBytes: i64[] = [];
  private pendingRecords: i64[] = [];
  private pendingBatches: i64[] = [];
  private pendingIndex: Map<usize, i32> = new Map<usize, i32>();
  private pendingLast: i32 = -1;
  private softwareName: string = "";
  private softwareVersion: string = "";
  /** The mechanism a SaslHandshake request names ("" until decoded). */
  saslMechanism: string = "";
  /** The body's top-level error code (-1 when it has none or it was not decoded yet). */
  bodyErrorCode: i32 = -1;
  constructor(private metrics: KafkaMetrics, private topics: TopicDirectory, private policy: Policy, private listener: TrafficListener) {
    super();
  }

  /** Called before a body is decoded. */
  startFrame(apiKey: i16, apiLabel: string, isResponse: bool, clientLabel: string): void {
    this.apiKey = apiKey;
    this.apiLabel = apiLabel;
    this.isResponse = isResponse;
    this.clientLabel = clientLabel;
    this.softwareName = "";
    this.softwareVersion = "";
    this.saslMechanism = "";
    this.bodyErrorCode = -1;
    if (this.pending.length > 0) {
      this.pending.length = 0;
      this.pendingBytes.length = 0;
      this.pendingRecords.length = 0;
      this.pendingBatches.length = 0;
      this.pendingIndex.clear();
    }
    this.pendingLast = -1;
    this.topic = "";
    this.hasTopicId = false;
  }

  /** Called after a body decoded completely; `delivered` is false when a policy stopped it. */
  endFrame(delivered: bool): void {
    if (delivered) {
      for (let i = 0; i < this.pending.length; i++) {
        this.metrics.produced(this.pending[i], this.pendingBytes[i], this.pendingRecords[i], this.pendingBatches[i]);
      }
    }
    if (this.apiKey == API_KEY_API_VERSIONS && !this.isResponse && this.softwareName.length > 0) {
      const name = sanitizeLabel(this.softwareName);
      const version = sanitizeLabel(this.softwareVersion);
      if (this.topics.clientSoftwareLabels(name, version)) this.metrics.clientSoftware(this.clientLabel, name, version);
      else this.metrics.clientSoftware(this.clientLabel, OTHER, OTHER);
    }
  }

  topicBegin(): void {
    this.topic = "";
    this.hasTopicId = false;
  }

  topicName(name: string): void {
    this.topic = name;
  }

  topicId(hi: u64, lo: u64): void {
    this.topicIdHi = hi;
    this.topicIdLo = lo;
    this.hasTopicId = hi != 0 || lo != 0;
  }

  topicEnd(): void {
    if (this.apiKey == API_KEY_METADATA && this.isResponse && this.topic.length > 0) {
      if (this.hasTopicId) this.topics.learnTopicId(this.topicIdHi, this.topicIdLo, this.topic);
      if (this.topics.noteMetadataTopic(this.topic)) this.metrics.metadataTopicSeen();
    }
  }

  partitionBegin(): void {
    this.partition = -1;
    this.fetchOffset = -1;
    this.highWatermark = -1;
    this.nextOffset = -1;
  }

  partitionIndex(index: i32): void {
    this.partition = index;
  }

  offset(role: i32, value: i64): void {
    if (role == R_FETCH_OFFSET) this.fetchOffset = value;
    else if (role == R_HIGH_WATERMARK) this.highWatermark = value;
  }

  partitionEnd(): void {
    if (this.apiKey != API_KEY_FETCH || this.partition < 0) return;
    if (!this.isResponse) {
      if (this.fetchOffset >= 0) this.metrics.noteFetchOffset(this.clientLabel, this.topicLabel(), this.partition, this.fetchOffset);
    } else if (this.highWatermark >= 0) {
      // Where the consumer stands after this fetch: past the records returned, else where it asked.
      const topic = this.topicLabel();
      const key = this.metrics.progressKey(this.clientLabel, topic, this.partition);
      const position = max(this.metrics.askedOffset(key), this.nextOffset);
      this.metrics.fetchProgress(key, this.clientLabel, topic, this.partition, position, this.highWatermark);
    }
  }

  errorCode(code: i16, scope: i32): void {
    if (scope == SCOPE_BODY) this.bodyErrorCode = <i32>code;
    if (code != 0) this.metrics.responseError(this.apiKey, this.apiLabel, code);
  }

  throttleTimeMs(ms: i32): void {
    if (ms > 0) this.metrics.throttled(this.apiKey, ms);
  }

  acks(acks: i16): void {
    if (this.apiKey != API_KEY_PRODUCE || this.isResponse) return;
    const rule = this.policy.checkAcks(acks);
    if (rule.length > 0) this.listener.onPolicyViolation(rule, this.apiLabel);
    if (acks == 0) {
      this.listener.onNoResponseExpected();
      this.metrics.producedWithoutAcks(this.clientLabel);
    }
  }

  text(role: i32, value: string): void {
    if (role == R_CLIENT_SOFTWARE_NAME) this.softwareName = value;
    else if (role == R_CLIENT_SOFTWARE_VERSION) this.softwareVersion = value;
    else if (role == R_SASL_MECHANISM) this.saslMechanism = value;
  }

  records(info: RecordsInfo): void {
    if (this.apiKey == API_KEY_PRODUCE && !this.isResponse) {
      const rule = this.policy.checkRecords(info);
      if (rule.length > 0) this.listener.onPolicyViolation(rule, this.apiLabel);
      // Counted when the request is complete, so a request a policy stops is not counted as produced.
      this.addPending(this.series(), info);
    }
    else if ((this.apiKey == API_KEY_FETCH || this.apiKey == API_KEY_SHARE_FETCH) && this.isResponse) {
      this.metrics.fetched(this.series(), info);
      this.nextOffset = info.nextOffset;
    }
  }

  private addPending(series: TopicSeries, info: RecordsInfo): void {
    let i = this.pendingLast;
    if (i < 0 || this.pending[i] !== series) {
      const key = changetype<usize>(series);
      if (this.pendingIndex.has(key)) i = this.pendingIndex.get(key);
      else {
        i = this.pending.length;
        this.pending.push(series);
        this.pendingBytes.push(0);
        this.pendingRecords.push(0);
        this.pendingBatches.push(0);
        this.pendingIndex.set(key, i);
      }
      this.pendingLast = i;
    }
    this.pendingBytes[i] += <i64>info.totalBytes;
    this.pendingRecords[i] += info.recordCount;
    this.pendingBatches[i] += <i64>info.batchCount;
  }

  /** Metric ids for the current topic and client (the last pair is kept: frames repeat them). */
  private series(): TopicSeries {
    const topic = this.topicLabel();
    const last = this.lastSeries;
    if (last !== null && last.topic == topic && last.client == this.clientLabel) return last;
    const series = this.metrics.topic(topic, this.clientLabel);
    this.lastSeries = series;
    return series;
  }

  /** The topic's label: its name, or the name learnt for its id, or "unresolved" before that. */
  private topicLabel(): string {
    if (this.topic.length > 0) return this.topics.topicLabel(this.topic);
    if (this.hasTopicId) {
      const name = this.topics.topicNameForId(this.topicIdHi, this.topicIdLo);
      if (name.length > 0) {
        this.topic = name;
        return this.topics.topicLabel(name);
      }
    }
    return "unresolved";
  }
}
