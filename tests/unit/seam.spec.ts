// The framer <-> decoder seam: FrameAssembler drives the real BodyDecoder, as the filter does,
// over frames cut at every point; the decoded events must not depend on where the cuts fall.
import { FrameAssembler } from "../../assembly/framer/frame_assembler";
import { FrameListener, DIRECTION_REQUEST } from "../../assembly/framer/frame_listener";
import { RequestHeader } from "../../assembly/protocol/request_header";
import { ResponseHeader } from "../../assembly/protocol/response_header";
import { Stepper } from "../../assembly/protocol/stepper";
import { BodyDecoder } from "../../assembly/codec/decoder";
import { DecodeSink, RecordsInfo } from "../../assembly/codec/sink";
import { Bytes, concat, feedSplit, sameEvents } from "./helpers";

class EventSink extends DecodeSink {
  constructor(public log: string[]) { super(); }
  topicBegin(): void { this.log.push("T{"); }
  topicName(name: string): void { this.log.push("topic " + name); }
  topicEnd(): void { this.log.push("}T"); }
  partitionBegin(): void { this.log.push("P{"); }
  partitionIndex(index: i32): void { this.log.push("partition " + index.toString()); }
  partitionEnd(): void { this.log.push("}P"); }
  acks(acks: i16): void { this.log.push("acks " + acks.toString()); }
  text(role: i32, value: string): void { this.log.push("text " + role.toString() + " " + value); }
  records(i: RecordsInfo): void {
    this.log.push("records " + i.totalBytes.toString() + " bytes, " + i.batchCount.toString() + " batches, " + i.recordCount.toString() + " records, codec " + i.firstCodec.toString());
  }
}

/** Decodes every request body with the real decoder, recording headers, events and results. */
class Decoding extends FrameListener {
  log: string[] = [];
  decoder: BodyDecoder = new BodyDecoder();
  sink: EventSink = new EventSink(this.log);
  onRequestHeader(h: RequestHeader, frameLength: i32): Stepper | null {
    this.log.push("request " + h.apiKey.toString() + "v" + h.apiVersion.toString() + " #" + h.correlationId.toString());
    return this.decoder.begin(h.apiKey, h.apiVersion, false, frameLength - h.position, this.sink) ? this.decoder : null;
  }
  onResponseCorrelation(correlationId: i32): i32 { return 0; }
  onResponseHeader(h: ResponseHeader, frameLength: i32): Stepper | null { return null; }
  onFrameEnd(direction: i32, frameLength: i32, bodyDecoded: bool): void {
    this.log.push(bodyDecoded ? "decoded" : "not decoded");
  }
  onMalformed(direction: i32, part: string, field: string, reason: string, offset: i32): void {
    this.log.push("malformed " + part + " " + field + " @" + offset.toString() + ": " + reason);
  }
  onFramingLost(direction: i32, reason: string, streamOffset: i64): void {
    this.log.push("lost: " + reason);
  }
}

function cstr(b: Bytes, s: string): Bytes {
  const u = Uint8Array.wrap(String.UTF8.encode(s));
  b.varint(u.length + 1);
  for (let i = 0; i < u.length; i++) b.i8(u[i]);
  return b;
}
function long(b: Bytes, v: i64): Bytes { return b.i32(<i32>(v >> 32)).i32(<i32>v); }

/** A v2 record batch: the 61-byte header, then `payload` bytes standing for the records. */
function batch(baseOffset: i64, records: i32, codec: i32, payload: i32): u8[] {
  const b = new Bytes();
  long(b, baseOffset).i32(49 + payload).i32(0).i8(2).i32(0).i16(codec).i32(records - 1);
  long(b, 0); long(b, 0); long(b, -1); b.i16(-1).i32(-1).i32(records);
  return b.zeros(payload).data;
}

/** A flexible request header (v2) and its body as one frame. */
function request(apiKey: i32, version: i32, correlationId: i32, clientId: string, body: Bytes): u8[] {
  return new Bytes().i16(apiKey).i16(version).i32(correlationId).str(clientId).varint(0).raw(body.data).frame();
}

function stream(): u8[] {
  const versions = cstr(cstr(new Bytes(), "apache-kafka-java"), "4.1.1").varint(0);
  const records = concat([batch(0, 3, 4, 40), batch(3, 2, 4, 25)]);
  const produce = new Bytes().varint(0).i16(-1).i32(30000) // no transactional id, acks -1, timeout
    .varint(2); // one topic
  cstr(produce, "orders").varint(3) // two partitions
    .i32(0).varint(records.length + 1).raw(records).varint(0)
    .i32(7).varint(0).varint(0) // a null records field
    .varint(0).varint(0);
  const metadata = new Bytes().varint(2); // Metadata v12: one topic by name (compact array of 1)
  metadata.raw([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]); // topic id: zero uuid
  cstr(metadata, "payments").varint(0).i8(1).i8(0).varint(0); // allow auto-creation, no authorized ops, tags
  return concat([request(18, 3, 1, "seam", versions), request(0, 9, 2, "seam", produce), request(3, 12, 3, "seam", metadata)]);
}

function decodeAll(bytes: u8[], cuts: i32[]): string[] {
  const l = new Decoding();
  feedSplit(new FrameAssembler(DIRECTION_REQUEST, l), bytes, cuts);
  return l.log;
}

describe("framer and body decoder", () => {
  it("decode real bodies in one chunk", () => {
    const log = decodeAll(stream(), []);
    expect(log.join("\n")).toBe([
      "request 18v3 #1", "text 14 apache-kafka-java", "text 15 4.1.1", "decoded",
      "request 0v9 #2", "acks -1", "T{", "topic orders", "P{", "partition 0", "records " + (61 * 2 + 65).toString() + " bytes, 2 batches, 5 records, codec 4", "}P",
      "P{", "partition 7", "records 0 bytes, 0 batches, 0 records, codec -1", "}P", "}T", "decoded",
      "request 3v12 #3", "T{", "topic payments", "}T", "decoded",
    ].join("\n"));
  });

  it("give the same events cut at every point", () => {
    const bytes = stream();
    const expected = decodeAll(bytes, []);
    for (let cut = 1; cut < bytes.length; cut++) {
      expect(sameEvents(decodeAll(bytes, [cut]), expected)).toBe(true, "cut at " + cut.toString());
    }
  });

  it("give the same events cut at every pair of points", () => {
    const bytes = stream();
    const expected = decodeAll(bytes, []);
    for (let c1 = 1; c1 < bytes.length; c1 += 2) {
      for (let c2 = c1 + 1; c2 < bytes.length; c2 += 3) {
        expect(sameEvents(decodeAll(bytes, [c1, c2]), expected)).toBe(true, "cuts at " + c1.toString() + ", " + c2.toString());
      }
    }
  });

  it("give the same events one byte per callback", () => {
    const bytes = stream();
    const cuts: i32[] = [];
    for (let i = 1; i < bytes.length; i++) cuts.push(i);
    expect(sameEvents(decodeAll(bytes, cuts), decodeAll(bytes, []))).toBe(true);
  });
});
