// Events emitted by BodyDecoder while it walks a Kafka request/response body.
//
// Contract (the filter subclasses DecodeSink and overrides what it needs; every method is a no-op here):
//  * Events arrive in wire order, synchronously from BodyDecoder.step(); the sink must not call back
//    into the decoder. Strings passed to the sink are copies of the wire bytes (capped at STRING_CAP =
//    255 UTF-8 bytes, cut at a character boundary, validated as UTF-8), never views of the buffer;
//    when a topic name (or a text value) has the same ASCII bytes as the previous one the decoder
//    passes the same string object again (strings are immutable; no allocation per frame). Numbers
//    are passed by value.
//  * Topic entries (array elements holding a topic name and/or topic id) are bracketed by
//    topicBegin()/topicEnd(); partition entries (elements of an array inside a topic entry that have a
//    partition index) by partitionBegin()/partitionEnd(). topicName/topicId/partitionIndex are reported
//    inside their entry when read (a topic entry may carry a name, an id, both, or — null name — neither).
//    Arrays of plain topic-name strings produce one topicBegin/topicName/topicEnd per element.
//  * errorCode(code, scope): every int16 field named *ErrorCode. It is reported when its enclosing
//    struct/element ENDS (so the entry's name/id/index have been reported already), before topicEnd /
//    partitionEnd; a top-level ErrorCode is reported at the end of the body (scope SCOPE_BODY). scope is
//    the kind of the innermost array element (SCOPE_TOPIC, SCOPE_PARTITION, SCOPE_GROUP (group id seen via
//    text(R_GROUP_ID)), SCOPE_RESOURCE (text(R_RESOURCE_NAME)), SCOPE_OTHER). Zero codes are reported too.
//  * records(info): once per `records` field after its last byte, with batch/record counts of the v2
//    batches it holds (see RecordsInfo). Record contents are never read.
//  * text(role, value): captured strings: R_GROUP_ID, R_TRANSACTIONAL_ID, R_CLIENT_SOFTWARE_NAME,
//    R_CLIENT_SOFTWARE_VERSION, R_SASL_MECHANISM, R_RESOURCE_NAME. Null strings produce no event.
//    No bytes field is ever surfaced and SaslAuthenticate never produces text events (no credentials).
//  * offset(role, value): R_FETCH_OFFSET (Fetch request partitions), R_HIGH_WATERMARK,
//    R_LAST_STABLE_OFFSET, R_LOG_START_OFFSET, R_COMMITTED_OFFSET.
//  * acks(): Produce request Acks (read before any topic data); throttleTimeMs(): response top level.
//  * If decoding fails, events already emitted stand; no further events follow (no closing *End()).
export * from "./generated/roles";

export const RECORDS_NULL: i32 = 1;      // the records field was null
export const RECORDS_PARTIAL: i32 = 2;   // trailing partial batch (allowed in fetch responses), bytes counted
export const RECORDS_LEGACY: i32 = 4;    // magic 0/1 message set: only bytes counted

export class RecordsInfo {
  totalBytes: i32 = 0;     // size of the records field (0 when null)
  batchCount: i32 = 0;     // complete v2 batches
  recordCount: i64 = 0;    // sum of their record counts
  firstCodec: i32 = -1;    // compression codec of the first batch (0 none,1 gzip,2 snappy,3 lz4,4 zstd), -1 none
  attributesOr: i32 = 0;   // OR of all batch attributes (bit 4 transactional, bit 5 control)
  nextOffset: i64 = -1;    // offset after the last complete v2 batch (baseOffset + lastOffsetDelta + 1), -1 none
  flags: i32 = 0;          // RECORDS_NULL | RECORDS_PARTIAL | RECORDS_LEGACY
  reset(): void {
    this.totalBytes = 0; this.batchCount = 0; this.recordCount = 0; this.firstCodec = -1;
    this.attributesOr = 0; this.nextOffset = -1;
    this.flags = 0;
  }
  get transactional(): bool { return (this.attributesOr & 0x10) != 0; }
}

export class DecodeSink {
  topicBegin(): void {}
  topicName(name: string): void {}
  /** topic id uuid as two big-endian halves */
  topicId(hi: u64, lo: u64): void {}
  topicEnd(): void {}
  partitionBegin(): void {}
  partitionIndex(index: i32): void {}
  partitionEnd(): void {}
  errorCode(code: i16, scope: i32): void {}
  throttleTimeMs(ms: i32): void {}
  acks(acks: i16): void {}
  offset(role: i32, value: i64): void {}
  text(role: i32, value: string): void {}
  records(info: RecordsInfo): void {}
}
