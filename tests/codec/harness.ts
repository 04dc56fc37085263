// AssemblyScript test harness: the filter's own FrameAssembler drives the real BodyDecoder, as in
// the module. decode() wraps one body in a frame (a request header, or a response header whose
// request the listener has seen) and feeds it in chunks; the replay functions feed whole captured
// connections, both directions, matching responses to requests by correlation id.
import { BodyDecoder } from "../../assembly/codec/decoder";
import { DecodeSink, RecordsInfo } from "../../assembly/codec/sink";
import { FrameAssembler } from "../../assembly/framer/frame_assembler";
import { FrameListener, DIRECTION_REQUEST, DIRECTION_RESPONSE } from "../../assembly/framer/frame_listener";
import { RequestHeader } from "../../assembly/protocol/request_header";
import { ResponseHeader } from "../../assembly/protocol/response_header";
import { Stepper } from "../../assembly/protocol/stepper";
import { ByteSource } from "../../assembly/bytes/byte_source";
import { API_COUNT, apiName, requestHeaderVersion, responseHeaderVersion, isValidVersion } from "../../assembly/protocol/generated/apis";
import { requestHeaderVersion as filterRequestHeader, responseHeaderVersion as filterResponseHeader } from "../../assembly/protocol/api_table";

class LogSink extends DecodeSink {
  log: string[] = [];
  topicBegin(): void { this.log.push("T{"); }
  topicName(name: string): void { this.log.push("tn:" + name); }
  topicId(hi: u64, lo: u64): void { this.log.push("ti:" + hex64(hi) + hex64(lo)); }
  topicEnd(): void { this.log.push("}T"); }
  partitionBegin(): void { this.log.push("P{"); }
  partitionIndex(index: i32): void { this.log.push("pi:" + index.toString()); }
  partitionEnd(): void { this.log.push("}P"); }
  errorCode(code: i16, scope: i32): void { this.log.push("e:" + code.toString() + "@" + scope.toString()); }
  throttleTimeMs(ms: i32): void { this.log.push("th:" + ms.toString()); }
  acks(acks: i16): void { this.log.push("ack:" + acks.toString()); }
  offset(role: i32, value: i64): void { this.log.push("o" + role.toString() + ":" + value.toString()); }
  text(role: i32, value: string): void { this.log.push("s" + role.toString() + ":" + value); }
  records(i: RecordsInfo): void {
    this.log.push("r:" + i.totalBytes.toString() + "," + i.batchCount.toString() + "," + i.recordCount.toString() + "," +
      i.firstCodec.toString() + "," + i.attributesOr.toString() + "," + i.flags.toString());
  }
}

function hex64(v: u64): string {
  let s = "";
  for (let i = 15; i >= 0; i--) s += "0123456789abcdef".charAt(<i32>((v >> (<u64>(i * 4))) & 15));
  return s;
}

let maxNeed: i32 = 0;

/** The real decoder, noting the most contiguous bytes it ever asked for. */
class MeasuredDecoder extends BodyDecoder {
  step(ptr: usize, length: i32): i32 {
    const n = super.step(ptr, length);
    if (this.needBytes > maxNeed) maxNeed = this.needBytes;
    return n;
  }
}

class Source extends ByteSource {
  ptr: usize = 0;
  length: i32 = 0;
  size(): i32 { return this.length; }
  copyTo(start: i32, length: i32, dest: usize): i32 {
    if (start < 0 || length <= 0 || start >= this.length) return 0;
    const n = min(length, this.length - start);
    memory.copy(dest, this.ptr + <usize>start, <usize>n);
    return n;
  }
}

const STATUS_UNKNOWN: i32 = 0;
const STATUS_DONE: i32 = 1;
const STATUS_FAILED: i32 = 2;

/** Decodes every body the framer finds, as the filter's session does; responses are matched by correlation id. */
class HarnessListener extends FrameListener {
  decoder: MeasuredDecoder = new MeasuredDecoder();
  sink: LogSink = new LogSink();
  /** Requests awaiting their response: correlation id, api key, version (Kafka answers in order). */
  pending: i32[] = [];
  private matchedKey: i32 = -1;
  private matchedVersion: i32 = 0;
  // the last frame
  status: i32 = STATUS_UNKNOWN;
  apiKey: i32 = -1;
  version: i32 = 0;
  consumed: i32 = 0;
  field: string = "";
  reason: string = "";
  offset: i32 = 0;
  // replay totals
  frames: i32 = 0;
  decoded: i32 = 0;
  report: string[] = [];

  private begin(apiKey: i32, version: i32, isResponse: bool, bodyLength: i32): Stepper | null {
    this.apiKey = apiKey;
    this.version = version;
    this.status = STATUS_UNKNOWN;
    this.consumed = 0;
    this.field = "";
    this.reason = "";
    if (!this.decoder.begin(<i16>apiKey, <i16>version, isResponse, bodyLength, this.sink)) return null;
    this.status = STATUS_FAILED; // until the frame ends decoded
    return this.decoder;
  }

  onRequestHeader(h: RequestHeader, frameLength: i32): Stepper | null {
    this.pending.push(h.correlationId);
    this.pending.push(h.apiKey);
    this.pending.push(h.apiVersion);
    return this.begin(h.apiKey, h.apiVersion, false, frameLength - h.position);
  }

  onResponseCorrelation(correlationId: i32): i32 {
    this.matchedKey = -1;
    for (let i = 0; i < this.pending.length; i += 3) {
      if (this.pending[i] != correlationId) continue;
      this.matchedKey = this.pending[i + 1];
      this.matchedVersion = this.pending[i + 2];
      this.pending.splice(0, i + 3);
      return filterResponseHeader(this.matchedKey, this.matchedVersion);
    }
    return 0;
  }

  onResponseHeader(h: ResponseHeader, frameLength: i32): Stepper | null {
    if (this.matchedKey < 0) {
      this.report.push("response #" + h.correlationId.toString() + ": no request");
      this.status = STATUS_UNKNOWN;
      return null;
    }
    return this.begin(this.matchedKey, this.matchedVersion, true, frameLength - h.position);
  }

  onFrameEnd(direction: i32, frameLength: i32, bodyDecoded: bool): void {
    this.frames++;
    if (bodyDecoded) {
      this.status = STATUS_DONE;
      this.consumed = this.decoder.position;
      this.decoded++;
    } else if (this.status == STATUS_UNKNOWN) {
      this.report.push((direction == DIRECTION_REQUEST ? "request" : "response") + ": api " + this.apiKey.toString() + " v" + this.version.toString() + " unknown");
    }
  }

  onMalformed(direction: i32, part: string, field: string, reason: string, offset: i32): void {
    this.status = STATUS_FAILED;
    this.field = field;
    this.reason = reason;
    this.offset = offset;
    this.report.push((direction == DIRECTION_REQUEST ? "request " : "response ") + apiName(this.apiKey) + " v" + this.version.toString() + " " + part + " " + field + ": " + reason + " @" + offset.toString());
  }

  onFramingLost(direction: i32, reason: string, streamOffset: i64): void {
    this.report.push((direction == DIRECTION_REQUEST ? "request" : "response") + " framing lost at " + streamOffset.toString() + ": " + reason);
  }
}

let input: usize = 0;
let inputCap: i32 = 0;
let frame: usize = 0;
let frameCap: i32 = 0;

export function inputBuffer(n: i32): usize {
  if (n > inputCap) { input = heap.alloc(<usize>n); inputCap = n; }
  return input;
}

let listener = new HarnessListener();
let lastLog: string = "";
const source = new Source();

function feed(framer: FrameAssembler, ptr: usize, length: i32): void {
  source.ptr = ptr;
  source.length = length;
  framer.feed(source);
}

function put16(p: usize, v: i32): void { store<u16>(p, bswap<u16>(<u16>v)); }
function put32(p: usize, v: i32): void { store<u32>(p, bswap<u32>(<u32>v)); }

/**
 * Decodes input[0, len) as the body of one request (or response) of apiKey/version, framed with
 * its header and fed to a FrameAssembler. chunk: normal chunk size (0 = everything); split: if > 0
 * the first chunk ends that many body bytes in. Returns 1 done, 2 failed, 0 unknown api/version.
 */
export function decode(len: i32, apiKey: i32, version: i32, isResponse: bool, chunk: i32, split: i32): i32 {
  listener = new HarnessListener();
  maxNeed = 0;
  const headerVersion = isResponse ? filterResponseHeader(apiKey, version) : filterRequestHeader(apiKey, version);
  const header = isResponse ? 4 + (headerVersion >= 1 ? 1 : 0) : 8 + (headerVersion >= 1 ? 2 : 0) + (headerVersion >= 2 ? 1 : 0);
  const total = 4 + header + len;
  if (total > frameCap) { frame = heap.alloc(<usize>total); frameCap = total; }
  put32(frame, header + len);
  if (isResponse) {
    put32(frame + 4, 7);
    if (headerVersion >= 1) store<u8>(frame + 8, 0);
    listener.pending = [7, apiKey, version];
  } else {
    put16(frame + 4, apiKey);
    put16(frame + 6, version);
    put32(frame + 8, 7);
    if (headerVersion >= 1) put16(frame + 12, -1); // null client id
    if (headerVersion >= 2) store<u8>(frame + 14, 0); // no tagged fields
  }
  memory.copy(frame + <usize>(4 + header), input, <usize>len);
  const framer = new FrameAssembler(isResponse ? DIRECTION_RESPONSE : DIRECTION_REQUEST, listener);
  let off = 0;
  while (off < total) {
    let n = chunk <= 0 ? total - off : chunk;
    if (off == 0 && split > 0) n = 4 + header + split;
    n = min(n, total - off);
    feed(framer, frame + <usize>off, n);
    off += n;
  }
  framer.release();
  lastLog = listener.sink.log.join("\n");
  return listener.status;
}

export function consumed(): i32 { return listener.consumed; }
export function maxNeedBytes(): i32 { return maxNeed; }
export function events(): string { return lastLog; }
export function errorField(): string { return listener.field; }
export function errorReason(): string { return listener.reason; }
export function errorOffset(): i32 { return listener.offset; }

// Replay of captured connections: both directions of one connection through two framers.
let requests: FrameAssembler = new FrameAssembler(DIRECTION_REQUEST, listener);
let responses: FrameAssembler = new FrameAssembler(DIRECTION_RESPONSE, listener);

export function replayBegin(): void {
  listener = new HarnessListener();
  requests = new FrameAssembler(DIRECTION_REQUEST, listener);
  responses = new FrameAssembler(DIRECTION_RESPONSE, listener);
}
/** Feeds input[from, from+length) as one data callback of a direction (0 requests, 1 responses). */
export function replayFeed(direction: i32, from: i32, length: i32): void {
  feed(direction == DIRECTION_REQUEST ? requests : responses, input + <usize>from, length);
}
export function replayFrames(): i32 { return listener.frames; }
export function replayDecoded(): i32 { return listener.decoded; }
export function replayInFrame(): bool { return requests.inFrame() || responses.inFrame(); }
/** What went wrong, one line per frame; and the decoded events of every frame. */
export function replayReport(): string { return listener.report.join("\n"); }
export function replayEvents(): string { return listener.sink.log.join("\n"); }

// API tables, for checking against the specs
export function apiCount(): i32 { return API_COUNT; }
export function apiNameOf(k: i32): string { return apiName(k); }
export function validVersion(k: i32, v: i32): bool { return isValidVersion(k, v); }
export function reqHeaderVersion(k: i32, v: i32): i32 { return requestHeaderVersion(k, v); }
export function respHeaderVersion(k: i32, v: i32): i32 { return responseHeaderVersion(k, v); }
