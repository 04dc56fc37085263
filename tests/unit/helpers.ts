// Test helpers: a frame builder and a listener that records what the framer reports.
import { FrameListener } from "../../assembly/framer/frame_listener";
import { Stepper } from "../../assembly/protocol/stepper";
import { RequestHeader } from "../../assembly/protocol/request_header";
import { ResponseHeader } from "../../assembly/protocol/response_header";
import { FrameAssembler } from "../../assembly/framer/frame_assembler";
import { ByteSource } from "../../assembly/bytes/byte_source";
import { requestHeaderVersion } from "../../assembly/protocol/api_table";

/** A ByteSource over VM memory. */
export class MemorySource extends ByteSource {
  constructor(public ptr: usize, public length: i32) {
    super();
  }
  size(): i32 {
    return this.length;
  }
  copyTo(start: i32, length: i32, dest: usize): i32 {
    if (start < 0 || length <= 0 || start >= this.length) return 0;
    const n = min(length, this.length - start);
    memory.copy(dest, this.ptr + <usize>start, <usize>n);
    return n;
  }
}

export class Bytes {
  data: u8[] = [];
  i8(v: i32): Bytes { this.data.push(<u8>v); return this; }
  i16(v: i32): Bytes { this.data.push(<u8>(v >> 8)); this.data.push(<u8>v); return this; }
  i32(v: i32): Bytes { this.i16(v >> 16); this.i16(v & 0xffff); return this; }
  varint(v: u32): Bytes {
    while (v >= 0x80) { this.data.push(<u8>((v & 0x7f) | 0x80)); v >>= 7; }
    this.data.push(<u8>v);
    return this;
  }
  str(s: string): Bytes {
    const b = Uint8Array.wrap(String.UTF8.encode(s));
    this.i16(b.length);
    for (let i = 0; i < b.length; i++) this.data.push(b[i]);
    return this;
  }
  raw(b: u8[]): Bytes { for (let i = 0; i < b.length; i++) this.data.push(b[i]); return this; }
  zeros(n: i32): Bytes { for (let i = 0; i < n; i++) this.data.push(0); return this; }
  /** Prefixes the content with its int32 length: a Kafka frame. */
  frame(): u8[] { const f = new Bytes().i32(this.data.length); f.raw(this.data); return f.data; }
}

/** A request frame: header v1 or v2 (flexible) with `bodySize` zero bytes of body. */
export function requestFrame(apiKey: i32, version: i32, correlationId: i32, clientId: string | null, bodySize: i32): u8[] {
  const b = new Bytes().i16(apiKey).i16(version).i32(correlationId);
  const header = requestHeaderVersion(apiKey, version);
  if (header >= 1) {
    if (clientId === null) b.i16(-1);
    else b.str(clientId as string);
    if (header >= 2) b.varint(0);
  }
  b.zeros(bodySize);
  return b.frame();
}

export function concat(parts: u8[][]): u8[] {
  const out: u8[] = [];
  for (let i = 0; i < parts.length; i++) for (let j = 0; j < parts[i].length; j++) out.push(parts[i][j]);
  return out;
}

export class Recorder extends FrameListener {
  events: string[] = [];
  flexibleResponses: bool = false;
  frames: i32 = 0;
  malformed: i32 = 0;
  lost: i32 = 0;
  onRequestHeader(h: RequestHeader, frameLength: i32): Stepper | null {
    const id = h.clientId;
    this.events.push("req " + h.apiKey.toString() + "v" + h.apiVersion.toString() + " #" + h.correlationId.toString() + " " + (id === null ? "<null>" : id as string) + (h.clientIdInvalidUtf8 ? " (invalid UTF-8)" : ""));
    return null;
  }
  onResponseCorrelation(correlationId: i32): i32 {
    return this.flexibleResponses ? 1 : 0;
  }
  onResponseHeader(h: ResponseHeader, frameLength: i32): Stepper | null {
    this.events.push("resp #" + h.correlationId.toString() + " len " + frameLength.toString());
    return null;
  }
  onFrameEnd(direction: i32, frameLength: i32, bodyDecoded: bool): void {
    this.frames++;
  }
  onMalformed(direction: i32, part: string, field: string, reason: string, offset: i32): void {
    this.malformed++;
    this.events.push("malformed " + part + " " + field + " @" + offset.toString() + ": " + reason);
  }
  onFramingLost(direction: i32, reason: string, streamOffset: i64): void {
    this.lost++;
    this.events.push("lost @" + streamOffset.toString() + ": " + reason);
  }
}

/** Feeds `bytes` to `assembler` in chunks cut at the given offsets. */
export function feedSplit(assembler: FrameAssembler, bytes: u8[], cuts: i32[]): void {
  const buf = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) buf[i] = bytes[i];
  let from = 0;
  for (let c = 0; c <= cuts.length; c++) {
    const to = c < cuts.length ? cuts[c] : bytes.length;
    if (to > from) assembler.feed(new MemorySource(buf.dataStart + <usize>from, to - from));
    from = to;
  }
}

export function sameEvents(a: string[], b: string[]): bool {
  if (a.length != b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] != b[i]) return false;
  return true;
}
