// Hand-built Kafka frames for the benchmarks: Produce v9 requests (flexible, request header v2)
// with a record batch v2 of a chosen payload size, and the matching Produce v9 responses
// (response header v1). Field layout from Kafka 4.1.1 ProduceRequest.json / ProduceResponse.json
// and the record batch v2 format (DefaultRecordBatch: 61-byte header).

// Kafka's unsigned varint is the protobuf base-128 varint.
import { varint as uvarint } from '../host/properties.ts';
import { crc32c } from '../lib/crc32c.ts';

export { uvarint };

class W {
  parts: Buffer[] = [];
  i8(v: number) { const b = Buffer.alloc(1); b.writeInt8(v); this.parts.push(b); return this; }
  i16(v: number) { const b = Buffer.alloc(2); b.writeInt16BE(v); this.parts.push(b); return this; }
  i32(v: number) { const b = Buffer.alloc(4); b.writeInt32BE(v); this.parts.push(b); return this; }
  i64(v: bigint) { const b = Buffer.alloc(8); b.writeBigInt64BE(v); this.parts.push(b); return this; }
  uvarint(v: number) { this.parts.push(uvarint(v)); return this; }
  varint(v: number) { this.parts.push(uvarint(v >= 0 ? v * 2 : -v * 2 - 1)); return this; }
  raw(b: Buffer) { this.parts.push(b); return this; }
  str16(s: string | null) {
    if (s === null) return this.i16(-1);
    const b = Buffer.from(s, 'utf8');
    return this.i16(b.length).raw(b);
  }
  compactStr(s: string | null) {
    if (s === null) return this.uvarint(0);
    const b = Buffer.from(s, 'utf8');
    return this.uvarint(b.length + 1).raw(b);
  }
  compactBytes(b: Buffer) { return this.uvarint(b.length + 1).raw(b); }
  tags() { return this.uvarint(0); }
  build() { return Buffer.concat(this.parts); }
}


// CRC-32C (Castagnoli), as the batch's crc field; the filter does not check it, brokers do.
/** One record (v2): length varint, attributes, timestampDelta, offsetDelta, key, value, headers. */
function record(offsetDelta: number, value: Buffer): Buffer {
  const body = new W().i8(0).varint(0).varint(offsetDelta).varint(-1).varint(value.length).raw(value).varint(0).build();
  return Buffer.concat([uvarint(body.length * 2), body]); // zigzag of a positive length
}

/**
 * A record batch v2 whose record values add up to `payloadBytes` (values of at most
 * `valueSize` bytes each; a 1 KiB payload is one record, 8 MiB is 8192 records of 1 KiB).
 */
export function recordBatch(payloadBytes: number, valueSize = 1024): { batch: Buffer; records: number } {
  const recs: Buffer[] = [];
  let left = payloadBytes;
  let i = 0;
  const full = Buffer.alloc(valueSize, 0x61);
  while (left > 0) {
    const n = Math.min(left, valueSize);
    recs.push(record(i++, n === valueSize ? full : full.subarray(0, n)));
    left -= n;
  }
  const recordsBytes = Buffer.concat(recs);
  const ts = 1_700_000_000_000n;
  // after the crc: attributes .. records
  const tail = new W()
    .i16(0) // attributes: no compression, CreateTime
    .i32(recs.length - 1) // lastOffsetDelta
    .i64(ts).i64(ts) // base / max timestamp
    .i64(-1n).i16(-1).i32(-1) // producer id / epoch / base sequence (non-idempotent)
    .i32(recs.length)
    .raw(recordsBytes)
    .build();
  const batchLength = 4 + 1 + 4 + tail.length; // partitionLeaderEpoch + magic + crc + tail
  const batch = new W().i64(0n).i32(batchLength).i32(-1).i8(2).raw(Buffer.alloc(4)).raw(tail).build();
  batch.writeUInt32BE(crc32c(tail), 17);
  return { batch, records: recs.length };
}

function frame(body: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeInt32BE(body.length);
  return Buffer.concat([len, body]);
}

/** Produce v9 request (api key 0), one topic, one partition, acks=-1. */
export function produceRequest(correlationId: number, batch: Buffer, topic = 'bench', clientId = 'bench-producer'): Buffer {
  const body = new W()
    .i16(0).i16(9).i32(correlationId).str16(clientId).tags() // request header v2
    .compactStr(null) // transactional_id
    .i16(-1) // acks
    .i32(30000) // timeout_ms
    .uvarint(2) // topics: 1
    .compactStr(topic)
    .uvarint(2) // partitions: 1
    .i32(0)
    .compactBytes(batch)
    .tags() // partition tags
    .tags() // topic tags
    .tags() // body tags
    .build();
  return frame(body);
}

/** Produce v9 response matching produceRequest (response header v1). */
export function produceResponse(correlationId: number, baseOffset: bigint, topic = 'bench'): Buffer {
  const body = new W()
    .i32(correlationId).tags() // response header v1
    .uvarint(2) // responses: 1
    .compactStr(topic)
    .uvarint(2) // partition_responses: 1
    .i32(0).i16(0).i64(baseOffset).i64(-1n).i64(0n)
    .uvarint(1) // record_errors: empty
    .compactStr(null) // error_message
    .tags()
    .tags()
    .i32(0) // throttle_time_ms
    .tags()
    .build();
  return frame(body);
}

/** ApiVersions v3 request/response pair (what every client sends first). */
export function apiVersionsRequest(correlationId: number, clientId = 'bench-producer'): Buffer {
  const body = new W()
    .i16(18).i16(3).i32(correlationId).str16(clientId).tags()
    .compactStr('bench-client').compactStr('1.0').tags()
    .build();
  return frame(body);
}
