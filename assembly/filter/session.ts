// The Kafka view of one connection: matches responses to requests, and turns what the framer
// reports into metrics. Knows nothing of Envoy's callbacks (see connection.ts for those).
import { FrameListener, DIRECTION_REQUEST, directionName } from "../framer/frame_listener";
import { Stepper } from "../protocol/stepper";
import { RequestHeader } from "../protocol/request_header";
import { ResponseHeader } from "../protocol/response_header";
import { isKnownApi, isApiVersionsProbe, responseHeaderVersion } from "../protocol/api_table";
import { apiLabel, RequestSeries, KafkaMetrics } from "../metrics/kafka_metrics";
import { InFlightTable, InFlightRequest } from "./inflight";
import { PluginConfig } from "../config/plugin_config";
import { VmState } from "./vm_state";
import * as names from "../metrics/names";
import { registry } from "../metrics/registry";
import { logLine, nowNanos, LOG_WARN } from "../abi/host";
import { BodyDecoder } from "../codec/decoder";
import { MODE_ENFORCE } from "../config/policy_config";
import { TrafficSink, TrafficListener } from "../traffic/traffic_sink";
import { API_KEY_SASL_HANDSHAKE } from "../protocol/generated/apis";
import { LegacySasl } from "./sasl";
import { OTHER } from "../metrics/labels";

/** Problem lines logged per connection before going quiet (the counters keep counting). */
const MAX_LOG_LINES_PER_CONNECTION: i32 = 5;

/** Receives what decoded bodies mean for the connection (acks=0 requests get no response). */
class SessionTraffic extends TrafficListener {
  constructor(private session: KafkaSession) {
    super();
  }
  onNoResponseExpected(): void {
    this.session.dropNewestInFlight();
  }
  onPolicyViolation(rule: string, apiLabel: string): void {
    this.session.policyViolation(rule, apiLabel);
  }
}

export class KafkaSession extends FrameListener {
  clientId: string = "";
  clientLabel: string = "none";
  /** Set when an enforced policy rule was broken: the connection must be closed. */
  closeRequested: bool = false;
  closeReason: string = "";
  private inflight: InFlightTable;
  private dropped: InFlightRequest = new InFlightRequest();
  private matched: InFlightRequest = new InFlightRequest();
  private hasMatch: bool = false;
  private logLines: i32 = 0;
  private requestBody: BodyDecoder = new BodyDecoder();
  private responseBody: BodyDecoder = new BodyDecoder();
  private requestSink!: TrafficSink;
  private responseSink!: TrafficSink;
  private requestDecoding: bool = false;
  private metrics: KafkaMetrics;
  private requestSeries: RequestSeries;
  private responseDecoding: bool = false;
  private requestApiKey: i16 = -1;
  /** The response being decoded answers an ApiVersions probe (decoded as v0). */
  private probeResponse: bool = false;
  private sasl: LegacySasl = new LegacySasl();
  /** The request (response) frame being read is a SaslHandshake v0 request (its response). */
  private requestIsHandshakeV0: bool = false;
  private responseIsHandshakeV0: bool = false;

  constructor(public connectionId: u32, private config: PluginConfig, private vm: VmState) {
    super();
    this.inflight = new InFlightTable(config.maxInFlightPerConnection);
    this.metrics = vm.metrics;
    this.requestSeries = new RequestSeries(config);
    const traffic = new SessionTraffic(this);
    this.requestSink = new TrafficSink(vm.metrics, vm, vm.policy, traffic);
    this.responseSink = new TrafficSink(vm.metrics, vm, vm.policy, traffic);
  }

  /** The request just added to the in-flight table expects no response. */
  dropNewestInFlight(): void {
    if (this.inflight.size() == 0) return;
    this.inflightGauge(this.inflight.at(this.inflight.size() - 1).apiKey, -1);
    this.inflight.popNewest();
  }

  frameMode(direction: i32, frameLength: i32): i32 {
    return this.sasl.frameMode(direction, frameLength);
  }

  onFramePeek(direction: i32, frameLength: i32, firstByte: u8): bool {
    return this.sasl.onFramePeek(direction, firstByte);
  }

  onRequestHeader(h: RequestHeader, frameLength: i32): Stepper | null {
    this.requestIsHandshakeV0 = h.apiKey == API_KEY_SASL_HANDSHAKE && h.apiVersion == 0;
    const known = isKnownApi(h.apiKey, h.apiVersion);
    const api = apiLabel(h.apiKey);
    if (h.clientId !== null && (h.clientId as string) != this.clientId) {
      this.clientId = h.clientId as string;
      this.clientLabel = this.vm.clientIdLabel(this.clientId);
    }
    if (h.clientIdInvalidUtf8) {
      registry.count(names.metricName(names.INVALID_UTF8_TOTAL, [names.TAG_DIRECTION, "request"]));
      this.report("request correlation_id=" + h.correlationId.toString() + ": client_id is not valid UTF-8");
    }
    const rule = this.vm.policy.checkHeader(h.apiKey, h.apiVersion, h.clientId);
    if (rule.length > 0) this.policyViolation(rule, api);
    // An ApiVersions request newer than the tables is how clients probe (the broker answers it
    // with a v0 UNSUPPORTED_VERSION response, decoded below): not an unknown frame.
    if (!known && !isApiVersionsProbe(h.apiKey, h.apiVersion)) {
      registry.count(names.metricName(names.FRAMES_UNKNOWN_TOTAL, [names.TAG_DIRECTION, "request"]));
      this.report("request correlation_id=" + h.correlationId.toString() + ": unknown api_key " + h.apiKey.toString() + " version " + h.apiVersion.toString() + " (passed through)");
    }
    this.metrics.request(this.requestSeries, h.apiKey, h.apiVersion, this.clientLabel);
    if (this.inflight.add(h.correlationId, h.apiKey, h.apiVersion, nowNanos(), this.dropped)) {
      registry.count(names.metricName(names.INFLIGHT_EVICTED_TOTAL, []));
      this.inflightGauge(this.dropped.apiKey, -1);
    }
    this.inflightGauge(h.apiKey, 1);
    this.requestDecoding = false;
    this.requestApiKey = h.apiKey;
    if (!known || this.closeRequested) return null;
    const bodyLength = frameLength - h.position;
    this.requestSink.startFrame(h.apiKey, api, false, this.clientLabel);
    if (!this.requestBody.begin(h.apiKey, h.apiVersion, false, bodyLength, this.requestSink)) return null;
    this.requestDecoding = true;
    return this.requestBody;
  }

  onResponseCorrelation(correlationId: i32): i32 {
    const index = this.inflight.find(correlationId);
    if (index < 0) {
      this.hasMatch = false;
      return 0;
    }
    // Kafka answers in order: entries before the match were never going to be answered.
    for (let i = 0; i < index; i++) {
      this.inflightGauge(this.inflight.at(0).apiKey, -1);
      this.inflight.popOldest();
    }
    const e = this.inflight.at(0);
    this.matched.correlationId = e.correlationId;
    this.matched.apiKey = e.apiKey;
    this.matched.apiVersion = e.apiVersion;
    this.matched.startNanos = e.startNanos;
    this.inflight.popOldest();
    this.inflightGauge(e.apiKey, -1);
    this.hasMatch = true;
    return responseHeaderVersion(e.apiKey, e.apiVersion);
  }

  onResponseHeader(h: ResponseHeader, frameLength: i32): Stepper | null {
    this.responseIsHandshakeV0 = false;
    if (!this.hasMatch && this.sasl.window) return null; // maybe a SASL token: not reported
    if (!this.hasMatch) {
      registry.count(names.metricName(names.UNMATCHED_RESPONSES_TOTAL, []));
      this.report("response correlation_id=" + h.correlationId.toString() + " matches no request in flight");
      return null;
    }
    const m = this.matched;
    this.responseIsHandshakeV0 = m.apiKey == API_KEY_SASL_HANDSHAKE && m.apiVersion == 0;
    if (!this.responseIsHandshakeV0) this.sasl.answered();
    const api = apiLabel(m.apiKey);
    const now = nowNanos();
    this.metrics.response(m.apiKey, now > m.startNanos ? (now - m.startNanos) / 1000 : 0);
    this.hasMatch = false;
    this.responseDecoding = false;
    this.probeResponse = false;
    let version = m.apiVersion;
    if (isApiVersionsProbe(m.apiKey, m.apiVersion)) {
      // Kafka's broker answers an ApiVersions version it does not support with a v0 body
      // (RequestContext.apiVersion(): "use v0 when serializing an unhandled ApiVersion response");
      // a broker newer than our tables may support it: then the v0 decode fails, and the frame
      // is counted as unknown, not malformed (Kafka's client falls back the same way).
      version = 0;
      this.probeResponse = true;
    } else if (!isKnownApi(m.apiKey, m.apiVersion)) return null;
    const bodyLength = frameLength - h.position;
    this.responseSink.startFrame(m.apiKey, api, true, this.clientLabel);
    if (!this.responseBody.begin(m.apiKey, version, true, bodyLength, this.responseSink)) return null;
    this.responseDecoding = true;
    return this.responseBody;
  }

  onFrameEnd(direction: i32, frameLength: i32, bodyDecoded: bool): void {
    if (direction == DIRECTION_REQUEST) {
      const decoded = bodyDecoded && this.requestDecoding;
      if (decoded) this.requestSink.endFrame(!this.closeRequested);
      this.requestDecoding = false;
      if (this.requestIsHandshakeV0) {
        // Raw SASL tokens follow: never parsed (see sasl.ts).
        this.requestIsHandshakeV0 = false;
        this.sasl.handshakeV0(decoded ? this.requestSink.saslMechanism : "");
        if (this.sasl.undecodedRest) this.report("legacy SASL handshake (v0) with a mechanism whose token exchange is not known: the rest of this connection is passed through undecoded");
      }
    } else {
      const decoded = bodyDecoded && this.responseDecoding;
      if (decoded) this.responseSink.endFrame(true);
      this.responseDecoding = false;
      if (this.responseIsHandshakeV0) {
        this.responseIsHandshakeV0 = false;
        if (decoded) this.sasl.handshakeResponse(this.responseSink.bodyErrorCode < 0 ? 0 : this.responseSink.bodyErrorCode);
      }
    }
  }

  /** An enforced rule was broken: the framer reads no further (the connection is closing). */
  stopFeeding(): bool {
    return this.closeRequested;
  }

  /**
   * True while the request being decoded can still break a rule that only its body shows, so an
   * enforcing filter must not let it through yet.
   */
  requestVerdictPending(): bool {
    return this.requestDecoding && this.vm.policy.checksBody(this.requestApiKey);
  }

  onMalformed(direction: i32, part: string, field: string, reason: string, offset: i32): void {
    if (direction != DIRECTION_REQUEST && part == "body" && this.probeResponse) {
      this.probeResponse = false;
      registry.count(names.metricName(names.FRAMES_UNKNOWN_TOTAL, [names.TAG_DIRECTION, "response"]));
      this.report("response to an ApiVersions request newer than the filter's tables is not a v0 error response (a newer broker?): passed through undecoded");
      return;
    }
    registry.count(names.metricName(names.FRAMES_MALFORMED_TOTAL, [names.TAG_DIRECTION, directionName(direction), names.TAG_REASON, part]));
    this.report(directionName(direction) + " " + part + " malformed at byte " + offset.toString() + " field " + field + ": " + reason + " (frame forwarded unchanged)");
  }

  onFramingLost(direction: i32, reason: string, streamOffset: i64): void {
    registry.count(names.metricName(names.FRAMING_LOST_TOTAL, [names.TAG_DIRECTION, directionName(direction)]));
    this.report(directionName(direction) + " stream at byte " + streamOffset.toString() + ": " + reason + "; the rest of this direction is passed through undecoded");
  }

  /** Counts and logs a broken policy rule; in enforce mode the connection is to be closed. */
  policyViolation(rule: string, apiLabel: string): void {
    const tags: string[] = [names.TAG_REASON, rule, names.TAG_API, apiLabel];
    if (this.config.clientIdLabel) {
      tags.push(names.TAG_CLIENT_ID);
      tags.push(this.clientLabel);
      if (!registry.countBudgeted(names.metricName(names.POLICY_VIOLATIONS_TOTAL, tags))) {
        tags[5] = OTHER; // over the series budget
        registry.count(names.metricName(names.POLICY_VIOLATIONS_TOTAL, tags));
      }
    } else registry.count(names.metricName(names.POLICY_VIOLATIONS_TOTAL, tags));
    const enforce = this.config.policy.mode == MODE_ENFORCE;
    this.report("policy: " + apiLabel + " request breaks rule " + rule + (enforce ? "; closing the connection" : " (audit mode: allowed)"));
    if (enforce && !this.closeRequested) {
      this.closeRequested = true;
      this.closeReason = rule;
    }
  }

  /** The connection ended: requests still in flight get no response. */
  close(truncatedRequest: bool, truncatedResponse: bool): void {
    while (this.inflight.size() > 0) {
      this.inflightGauge(this.inflight.at(0).apiKey, -1);
      this.inflight.popOldest();
    }
    if (truncatedRequest) this.onMalformed(DIRECTION_REQUEST, "truncated", "frame", "connection closed inside a frame", 0);
    if (truncatedResponse) this.onMalformed(1, "truncated", "frame", "connection closed inside a frame", 0);
  }

  private inflightGauge(apiKey: i16, by: i64): void {
    this.metrics.inflightAdd(apiKey, by);
  }

  private report(message: string): void {
    if (this.logLines >= MAX_LOG_LINES_PER_CONNECTION) return;
    this.logLines++;
    let line = "connection " + this.connectionId.toString() + " (client_id " + this.clientLabel + "): " + message;
    if (this.logLines == MAX_LOG_LINES_PER_CONNECTION) line += " [further problems on this connection are counted, not logged]";
    logLine(LOG_WARN, line);
  }
}
