// Minimal entry to measure the release size of the codec (decoder + generated tables + a trivial sink).
import { BodyDecoder } from "../../assembly/codec/decoder";
import { DecodeSink, RecordsInfo } from "../../assembly/codec/sink";

class CountSink extends DecodeSink {
  n: i64 = 0;
  topicName(name: string): void { this.n += name.length; }
  errorCode(code: i16, scope: i32): void { this.n += code; }
  records(info: RecordsInfo): void { this.n += info.recordCount; }
  text(role: i32, value: string): void { this.n += value.length; }
}
const sink = new CountSink();
const dec = new BodyDecoder();
export function run(apiKey: i32, version: i32, resp: bool, ptr: usize, len: i32): i64 {
  if (!dec.begin(<i16>apiKey, <i16>version, resp, len, sink)) return -1;
  dec.step(ptr, len);
  return sink.n + dec.errorField.length;
}
