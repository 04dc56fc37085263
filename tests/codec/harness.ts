// AssemblyScript test harness: runs BodyDecoder over a body placed in wasm memory, delivering it
// in chunks (each chunk copied to a scratch area followed by poison bytes, so reads past the chunk
// would show up as wrong results), honouring needBytes()/skipPending() like the framer does.
import { BodyDecoder } from "../../assembly/codec/decoder";
import { API_COUNT, apiName, requestHeaderVersion, responseHeaderVersion, isValidVersion } from "../../assembly/protocol/generated/apis";
import { DecodeSink, RecordsInfo } from "../../assembly/codec/sink";

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

let input: usize = 0;
let inputCap: i32 = 0;
let scratch: usize = 0;
let scratchCap: i32 = 0;
const POISON: i32 = 64;

export function inputBuffer(n: i32): usize {
  if (n > inputCap) { input = heap.alloc(<usize>n); inputCap = n; }
  return input;
}

const dec = new BodyDecoder();
let lastLog: string = "";
let consumedTotal: i32 = 0;
let maxNeed: i32 = 0;
let steps: i32 = 0;

/**
 * Decodes input[0, len). chunk: normal chunk size (0 = everything); split: if > 0 the first chunk ends
 * there. Returns 1 done, 2 failed, 0 unknown api/version, 3 stuck (decoder contract violation).
 */
export function decode(len: i32, apiKey: i32, version: i32, isResponse: bool, chunk: i32, split: i32): i32 {
  const sink = new LogSink();
  consumedTotal = 0; maxNeed = 0; steps = 0; lastLog = "";
  if (!dec.begin(<i16>apiKey, <i16>version, isResponse, len, sink)) return 0;
  let off = 0;
  let need = 0;
  let first = true;
  while (true) {
    let want = chunk <= 0 ? len - off : chunk;
    if (first && split > 0) want = split;
    first = false;
    let give = max(want, need);
    if (give > len - off) give = len - off;
    if (give + POISON > scratchCap) {
      scratchCap = max(give + POISON, 4096);
      scratch = heap.alloc(<usize>scratchCap);
    }
    memory.copy(scratch, input + <usize>off, <usize>give);
    memory.fill(scratch + <usize>give, 0xa5, <usize>POISON);
    const n = dec.step(scratch, give);
    steps++;
    if (n < 0 || n > give) { lastLog = sink.log.join("\n"); return 3; }
    off += n;
    if (dec.done || dec.failed) break;
    const skip = dec.skipPending;
    need = dec.needBytes;
    if (need > maxNeed) maxNeed = need;
    if (skip > 0) {
      if (need != 0 || off + skip > len) { lastLog = sink.log.join("\n"); return 3; }
      off += skip;
    } else if (need <= 0 || need <= give - n || need > len - off) {
      lastLog = sink.log.join("\n"); return 3;
    }
    if (steps > 10000000) { lastLog = sink.log.join("\n"); return 3; }
  }
  consumedTotal = off;
  lastLog = sink.log.join("\n");
  return dec.done ? 1 : 2;
}

export function consumed(): i32 { return consumedTotal; }
export function maxNeedBytes(): i32 { return maxNeed; }
export function events(): string { return lastLog; }
export function errorField(): string { return dec.errorField; }
export function errorReason(): string { return dec.errorReason; }
export function errorOffset(): i32 { return dec.errorOffset; }

// API tables, for checking against the specs
export function apiCount(): i32 { return API_COUNT; }
export function apiNameOf(k: i32): string { return apiName(k); }
export function validVersion(k: i32, v: i32): bool { return isValidVersion(k, v); }
export function reqHeaderVersion(k: i32, v: i32): i32 { return requestHeaderVersion(k, v); }
export function respHeaderVersion(k: i32, v: i32): i32 { return responseHeaderVersion(k, v); }
