// Resumable, copy-free Kafka body decoder: interprets the generated field programs
// (assembly/codec/generated/programs.ts, format in tools/codegen/compile.ts) over TCP chunks.
// It is a Stepper (assembly/protocol/stepper.ts), driven by the framer like the header steppers:
//
//   const d = new BodyDecoder();
//   if (!d.begin(apiKey, apiVersion, isResponse, bodyLength, sink)) { /* unknown: skip body */ }
//   loop: n = d.step(ptr, len)   // consumes n bytes of [ptr, ptr+len)
//     d.done            -> body decoded exactly to its end
//     d.failed          -> errorField / errorOffset / errorReason
//     d.skipPending > 0 -> skip that many bytes after the consumed ones without reading, then step again
//     d.needBytes > 0   -> call step again with >= that many contiguous bytes (or all remaining body bytes)
//
// Never traps on any input: every read is bounded by the current limit (body end or tagged-field end)
// and by the bytes passed in; counts are checked against remaining bytes before any loop; no recursion,
// no allocation proportional to input (frames are a fixed stack of MAX_FRAMES; depth comes from the
// schema, not the input). needBytes is at most 5 + STRING_CAP (captured string) and never above 512.
import { BLOCK_OFF, fieldName, PROG } from "./generated/programs";
import { rootBlock } from "./generated/roots";
import {
  E_GROUP, E_NONE, E_PARTITION, E_RESOURCE, E_TOPIC, F_COMPACT, F_NULLABLE, MAX_FRAMES, NO_NAME,
  OP_ARRAY, OP_ARRAY_FIX, OP_BYTES, OP_END, OP_FIX, OP_RECORDS, OP_STR, OP_STRUCT, OP_TAGS,
  R_ACKS, R_COMMITTED_OFFSET, R_ERROR_CODE, R_FETCH_OFFSET, R_GROUP_ID, R_PARTITION_INDEX,
  R_RESOURCE_NAME, R_THROTTLE_TIME_MS, R_TOPIC_ID, R_TOPIC_NAME, SCOPE_BODY, SCOPE_GROUP, SCOPE_OTHER,
  SCOPE_PARTITION, SCOPE_RESOURCE, SCOPE_TOPIC, STRING_CAP,
} from "./generated/roles";
import { DecodeSink, RECORDS_LEGACY, RECORDS_NULL, RECORDS_PARTIAL, RecordsInfo } from "./sink";
import { validUtf8Prefix } from "../protocol/utf8";
import { sameAscii, readI16, readI32, readI64, readUnsignedVarint, varintValue, VARINT_NEED, VARINT_TRUNCATED } from "../protocol/primitives";
import { readTaggedFieldCount, readTaggedFieldHeader, taggedCount, taggedTag, taggedSize, taggedFieldError } from "../protocol/tagged_fields";
import { Stepper } from "../protocol/stepper";

const K_BLOCK: i32 = 1;  // executing a struct block (root, struct field)
const K_ELEM: i32 = 2;   // executing an array element's block
const K_TAGGED: i32 = 3; // executing a known tagged field within [.., limit)
const K_ARRAY: i32 = 4;  // iterating array elements
const K_TAGS: i32 = 5;   // iterating tagged fields (count left in fCount)

const NAME_TAGS: i32 = -2;
const NAME_TRAILING: i32 = -3;
const NO_ERR: i32 = -1;
const R_NEED: i32 = -1;
const R_FAIL: i32 = -2;
const BATCH_HEADER: i32 = 61;
// frame stack slots
const F_KIND: i32 = 0;
const F_PC: i32 = 1;
const F_LIMIT: i32 = 2;
const F_NAME: i32 = 3;
const F_INDEX: i32 = 4;
const F_COUNT: i32 = 5;
const F_BLOCK: i32 = 6;
const F_ENTRY: i32 = 7;
const F_ERR: i32 = 8;
const NF: i32 = 9;

@inline function blockPc(b: i32): i32 { return <i32>load<u16>(BLOCK_OFF + (<usize>b << 1)); }

export class BodyDecoder extends Stepper {
  private sink: DecodeSink = new DecodeSink();
  /** Between begin() and the end of the body (done or failed). */
  private running: bool = false;
  private depth: i32 = 0;
  // The frame stack: NF slots per frame (F_KIND ... F_ERR) in one array, so a decoder is a handful
  // of objects for the garbage collector to trace, not one per slot kind.
  private fr: StaticArray<i32> = new StaticArray<i32>(MAX_FRAMES * NF);
  private skipRem: i32 = 0;
  // records walk
  private inRec: bool = false;
  private recRem: i32 = 0;
  private recName: i32 = 0;
  private rec: RecordsInfo = new RecordsInfo();
  // scratch
  private curName: i32 = NO_NAME;
  private opPos: i32 = 0;
  private hdr: i32 = 0;
  private val: i64 = 0;
  // last captured strings: frames repeat them (topic names, group ids), so equal bytes reuse them
  private lastTopic: string = "";
  private lastText: string = "";

  begin(apiKey: i16, apiVersion: i16, isResponse: bool, bodyLength: i32, sink: DecodeSink): bool {
    this.resetState(bodyLength);
    this.running = false;
    this.depth = 0; this.skipRem = 0; this.inRec = false;
    if (bodyLength < 0) return false;
    const root = rootBlock(<i32>apiKey, <i32>apiVersion, isResponse);
    if (root < 0) return false;
    this.sink = sink;
    this.push(K_BLOCK, blockPc(root), bodyLength, NO_NAME);
    this.running = true;
    return true;
  }

  step(ptr: usize, len: i32): i32 {
    this.skipPending = 0; this.needBytes = 0;
    if (!this.running) return 0;
    if (len < 0) len = 0;
    let off = 0;
    while (true) {
      if (this.skipRem > 0) {
        const take = min(this.skipRem, len - off);
        off += take; this.position += take; this.skipRem -= take;
        if (this.skipRem > 0) {
          this.skipPending = this.skipRem; this.position += this.skipRem; this.skipRem = 0;
          return off;
        }
      }
      if (this.depth == 0) {
        if (this.position != this.limit) {
          this.curName = NAME_TRAILING; this.opPos = this.position;
          this.failAt("trailing bytes after the body");
        } else {
          this.running = false;
          this.done = true;
        }
        return off;
      }
      this.opPos = this.position;
      const r = this.micro(ptr + <usize>off, len - off);
      if (r < 0) return off;
      off += r; this.position += r;
    }
    return off;
  }

  // ---- frames ----
  @inline private push(kind: i32, pc: i32, limit: i32, name: i32): bool {
    const d = this.depth;
    if (d >= MAX_FRAMES) { this.failAt("nesting too deep"); return false; }
    unchecked(this.fr[d * NF + F_KIND] = kind); unchecked(this.fr[d * NF + F_PC] = pc); unchecked(this.fr[d * NF + F_LIMIT] = limit);
    unchecked(this.fr[d * NF + F_NAME] = name); unchecked(this.fr[d * NF + F_INDEX] = 0); unchecked(this.fr[d * NF + F_COUNT] = 0);
    unchecked(this.fr[d * NF + F_BLOCK] = 0); unchecked(this.fr[d * NF + F_ENTRY] = E_NONE); unchecked(this.fr[d * NF + F_ERR] = NO_ERR);
    this.depth = d + 1;
    return true;
  }

  @inline private want(n: i32): i32 { this.needBytes = n; return R_NEED; }

  private failAt(reason: string): i32 {
    let path = "";
    for (let i = 0; i < this.depth; i++) {
      const k = unchecked(this.fr[i * NF + F_KIND]);
      const nm = unchecked(this.fr[i * NF + F_NAME]);
      if (k == K_ARRAY) {
        path = join(path, nameOf(nm) + "[" + unchecked(this.fr[i * NF + F_INDEX]).toString() + "]");
      } else if (k == K_BLOCK && nm >= 0 && nm != NO_NAME) {
        path = join(path, nameOf(nm));
      } else if (k == K_TAGS && i == this.depth - 1) {
        path = join(path, "_tagged_fields");
      }
    }
    const c = this.curName;
    if (c == NAME_TRAILING) path = join(path, "(trailing bytes)");
    else if (c == NAME_TAGS) path = join(path, "_tagged_fields");
    else if (c >= 0 && c != NO_NAME) path = join(path, nameOf(c));
    this.errorField = path;
    this.errorReason = reason;
    this.errorOffset = this.opPos;
    this.running = false;
    this.failed = true;
    this.skipPending = 0; this.needBytes = 0;
    return R_FAIL;
  }

  private scope(): i32 {
    for (let i = this.depth - 1; i >= 0; i--) {
      if (unchecked(this.fr[i * NF + F_KIND]) == K_ELEM) {
        const e = unchecked(this.fr[i * NF + F_ENTRY]);
        if (e == E_TOPIC) return SCOPE_TOPIC;
        if (e == E_PARTITION) return SCOPE_PARTITION;
        if (e == E_GROUP) return SCOPE_GROUP;
        if (e == E_RESOURCE) return SCOPE_RESOURCE;
        return SCOPE_OTHER;
      }
    }
    return SCOPE_BODY;
  }

  private flushErr(t: i32): void {
    const e = unchecked(this.fr[t * NF + F_ERR]);
    if (e != NO_ERR) {
      unchecked(this.fr[t * NF + F_ERR] = NO_ERR);
      this.sink.errorCode(<i16>e, this.scope());
    }
  }

  // ---- one atomic step: returns bytes consumed, R_NEED or R_FAIL ----
  private micro(p: usize, avail: i32): i32 {
    const t = this.depth - 1;
    const kind = unchecked(this.fr[t * NF + F_KIND]);
    if (kind == K_ARRAY) {
      const i = unchecked(this.fr[t * NF + F_INDEX]);
      if (i < unchecked(this.fr[t * NF + F_COUNT])) {
        const entry = unchecked(this.fr[t * NF + F_ENTRY]);
        if (!this.push(K_ELEM, blockPc(unchecked(this.fr[t * NF + F_BLOCK])), unchecked(this.fr[t * NF + F_LIMIT]), NO_NAME)) return R_FAIL;
        unchecked(this.fr[(t + 1) * NF + F_ENTRY] = entry);
        if (entry == E_TOPIC) this.sink.topicBegin();
        else if (entry == E_PARTITION) this.sink.partitionBegin();
      } else {
        this.depth = t;
      }
      return 0;
    }
    if (kind == K_TAGS) return this.tagStep(t, p, avail);
    if (this.inRec) return this.recordsStep(p, avail);

    const pc = unchecked(this.fr[t * NF + F_PC]);
    const a = PROG + <usize>pc;
    const op = <i32>load<u8>(a);
    if (op == OP_END) return this.endBlock(t);
    const role = <i32>load<u8>(a, 1);
    const name = <i32>load<u16>(a, 2);
    this.curName = name;
    const rem = unchecked(this.fr[t * NF + F_LIMIT]) - this.position;

    if (op == OP_FIX) {
      const size = <i32>load<u8>(a, 4);
      if (size > rem) return this.failAt("truncated");
      if (avail < size) return this.want(size);
      unchecked(this.fr[t * NF + F_PC] = pc + 5);
      if (role != 0) this.fixRole(t, role, p, size);
      return size;
    }
    if (op == OP_TAGS) {
      this.curName = NAME_TAGS;
      const r = readTaggedFieldCount(p, avail, rem);
      if (r <= 0) return r == VARINT_NEED ? this.want(min(5, rem)) : this.failAt(taggedFieldError(r, false));
      const count = taggedCount;
      const n = <i32>load<u8>(a, 4);
      unchecked(this.fr[t * NF + F_PC] = pc + 5 + n * 4);
      if (count == 0) {
        // No tagged fields (the usual case): nothing to iterate, no frame to push and pop.
        if (this.depth >= MAX_FRAMES) return this.failAt("nesting too deep"); // as push() would
        return r;
      }
      if (!this.push(K_TAGS, pc + 4, unchecked(this.fr[t * NF + F_LIMIT]), NO_NAME)) return R_FAIL;
      unchecked(this.fr[(t + 1) * NF + F_COUNT] = count);
      return r;
    }
    const flags = <i32>load<u8>(a, 4);
    const compact = (flags & F_COMPACT) != 0;
    const nullable = (flags & F_NULLABLE) != 0;

    if (op == OP_STRUCT) {
      let used = 0;
      if (nullable) {
        if (rem < 1) return this.failAt("truncated");
        if (avail < 1) return this.want(1);
        used = 1;
        if (load<i8>(p) < 0) { unchecked(this.fr[t * NF + F_PC] = pc + 7); return 1; }
      }
      unchecked(this.fr[t * NF + F_PC] = pc + 7);
      if (!this.push(K_BLOCK, blockPc(<i32>load<u16>(a, 5)), unchecked(this.fr[t * NF + F_LIMIT]), name)) return R_FAIL;
      return used;
    }

    // length-prefixed: string (int16 / compact), bytes, records, arrays (int32 / compact)
    const hr = this.header(p, avail, rem, compact, op != OP_STR);
    if (hr < 0) return hr;
    const h = this.hdr;
    const v = this.val;
    const left = rem - h;
    if (v < 0) {
      if (v != -1 || !nullable) return this.failAt(compact && v == -1 ? "null not allowed" : "negative length");
    }
    if (op == OP_STR) {
      unchecked(this.fr[t * NF + F_PC] = pc + 5);
      if (v < 0) return h;
      if (v > 0x7fff) return this.failAt("string longer than 32767 bytes");
      const n = <i32>v;
      if (n > left) return this.failAt("string length exceeds remaining bytes");
      if (role == R_TOPIC_NAME || (role >= R_GROUP_ID && role <= R_RESOURCE_NAME)) {
        const keep = min(n, STRING_CAP);
        if (avail < h + keep) { unchecked(this.fr[t * NF + F_PC] = pc); return this.want(h + keep); }
        const cut = validUtf8Prefix(p + <usize>h, keep, n > keep);
        if (cut < 0) { unchecked(this.fr[t * NF + F_PC] = pc); return this.failAt("invalid UTF-8"); }
        const sp = p + <usize>h;
        if (role == R_TOPIC_NAME) {
          let s = this.lastTopic;
          if (!sameAscii(sp, cut, s)) { s = String.UTF8.decodeUnsafe(sp, <usize>cut, false); this.lastTopic = s; }
          this.sink.topicName(s);
        } else {
          let s = this.lastText;
          if (!sameAscii(sp, cut, s)) { s = String.UTF8.decodeUnsafe(sp, <usize>cut, false); this.lastText = s; }
          this.sink.text(role, s);
        }
        this.skipRem = n - keep;
        return h + keep;
      }
      this.skipRem = n;
      return h;
    }
    if (op == OP_BYTES) {
      unchecked(this.fr[t * NF + F_PC] = pc + 5);
      if (v < 0) return h;
      if (v > <i64>left) return this.failAt("bytes length exceeds remaining bytes");
      this.skipRem = <i32>v;
      return h;
    }
    if (op == OP_RECORDS) {
      unchecked(this.fr[t * NF + F_PC] = pc + 5);
      this.rec.reset();
      if (v < 0) {
        this.rec.flags = RECORDS_NULL;
        this.sink.records(this.rec);
        return h;
      }
      if (v > <i64>left) return this.failAt("records length exceeds remaining bytes");
      this.rec.totalBytes = <i32>v;
      this.inRec = true; this.recRem = <i32>v; this.recName = name;
      return h;
    }
    if (op == OP_ARRAY_FIX) {
      unchecked(this.fr[t * NF + F_PC] = pc + 6);
      if (v < 0) return h;
      const bytes = v * <i64>load<u8>(a, 5);
      if (bytes > <i64>left) return this.failAt("array count exceeds remaining bytes");
      this.skipRem = <i32>bytes;
      return h;
    }
    if (op == OP_ARRAY) {
      unchecked(this.fr[t * NF + F_PC] = pc + 8);
      if (v < 0) return h;
      if (v > <i64>left) return this.failAt("array count exceeds remaining bytes");
      if (!this.push(K_ARRAY, pc, unchecked(this.fr[t * NF + F_LIMIT]), name)) return R_FAIL;
      unchecked(this.fr[(t + 1) * NF + F_COUNT] = <i32>v);
      unchecked(this.fr[(t + 1) * NF + F_BLOCK] = <i32>load<u16>(a, 6));
      unchecked(this.fr[(t + 1) * NF + F_ENTRY] = <i32>load<u8>(a, 5));
      return h;
    }
    return this.failAt("bad program");
  }

  private endBlock(t: i32): i32 {
    this.flushErr(t);
    const kind = unchecked(this.fr[t * NF + F_KIND]);
    if (kind == K_TAGGED && this.position != unchecked(this.fr[t * NF + F_LIMIT])) {
      this.curName = <i32>load<u16>(PROG + <usize>unchecked(this.fr[t * NF + F_BLOCK]), 2);
      return this.failAt("tagged field size mismatch");
    }
    this.depth = t;
    if (kind == K_ELEM) {
      const p = t - 1;
      unchecked(this.fr[p * NF + F_INDEX] = unchecked(this.fr[p * NF + F_INDEX]) + 1);
      const e = unchecked(this.fr[t * NF + F_ENTRY]);
      if (e == E_TOPIC) this.sink.topicEnd();
      else if (e == E_PARTITION) this.sink.partitionEnd();
    }
    return 0;
  }

  private fixRole(t: i32, role: i32, p: usize, size: i32): void {
    if (size == 2) {
      const v = readI16(p);
      if (role == R_ERROR_CODE) {
        this.flushErr(t);
        unchecked(this.fr[t * NF + F_ERR] = <i32>v & 0xffff);
      } else if (role == R_ACKS) this.sink.acks(v);
    } else if (size == 4) {
      const v = readI32(p);
      if (role == R_PARTITION_INDEX) this.sink.partitionIndex(v);
      else if (role == R_THROTTLE_TIME_MS) this.sink.throttleTimeMs(v);
    } else if (size == 8) {
      if (role >= R_FETCH_OFFSET && role <= R_COMMITTED_OFFSET) this.sink.offset(role, readI64(p));
    } else if (size == 16) {
      if (role == R_TOPIC_ID) this.sink.topicId(<u64>readI64(p), <u64>readI64(p + 8));
    }
  }

  /** length/count prefix: sets hdr, val (-1 = null; compact: uvarint - 1) */
  private header(p: usize, avail: i32, rem: i32, compact: bool, wide: bool): i32 {
    if (compact) {
      const r = readUnsignedVarint(p, avail, rem);
      if (r <= 0) return r == VARINT_NEED ? this.want(min(5, rem)) : this.failAt(r == VARINT_TRUNCATED ? "truncated" : "malformed varint");
      this.hdr = r; this.val = <i64>varintValue - 1;
      return 0;
    }
    const n = wide ? 4 : 2;
    if (rem < n) return this.failAt("truncated");
    if (avail < n) return this.want(n);
    this.hdr = n;
    this.val = wide ? <i64>readI32(p) : <i64>readI16(p);
    return 0;
  }

  private tagStep(t: i32, p: usize, avail: i32): i32 {
    if (unchecked(this.fr[t * NF + F_COUNT]) == 0) { this.depth = t; return 0; }
    this.curName = NO_NAME;
    const rem = unchecked(this.fr[t * NF + F_LIMIT]) - this.position;
    const h = readTaggedFieldHeader(p, avail, rem);
    if (h <= 0) return h == VARINT_NEED ? this.want(min(10, rem)) : this.failAt(taggedFieldError(h, true));
    const tag = taggedTag;
    const size = taggedSize;
    unchecked(this.fr[t * NF + F_COUNT] = unchecked(this.fr[t * NF + F_COUNT]) - 1);
    const tbl = PROG + <usize>unchecked(this.fr[t * NF + F_PC]);
    const n = <i32>load<u8>(tbl);
    for (let i = 0; i < n; i++) {
      const e = tbl + 1 + <usize>(i * 4);
      if (<u32>load<u16>(e) == tag) {
        const b = <i32>load<u16>(e, 2);
        const bpc = blockPc(b);
        if (!this.push(K_TAGGED, bpc, this.position + h + <i32>size, NO_NAME)) return R_FAIL;
        unchecked(this.fr[(t + 1) * NF + F_BLOCK] = bpc);
        return h;
      }
    }
    this.skipRem = <i32>size;
    return h;
  }

  private recordsStep(p: usize, avail: i32): i32 {
    this.curName = this.recName;
    const info = this.rec;
    const rem = this.recRem;
    if (rem == 0) {
      this.inRec = false;
      this.sink.records(info);
      return 0;
    }
    if (rem < 17) { info.flags |= RECORDS_PARTIAL; this.skipRem = rem; this.recRem = 0; return 0; }
    const n = min(BATCH_HEADER, rem);
    if (avail < n) return this.want(n);
    const magic = load<i8>(p, 16);
    if (magic < 2) { info.flags |= RECORDS_LEGACY; this.skipRem = rem; this.recRem = 0; return 0; }
    if (magic > 2) return this.failAt("unsupported record batch magic");
    if (rem < BATCH_HEADER) { info.flags |= RECORDS_PARTIAL; this.skipRem = rem; this.recRem = 0; return 0; }
    const batchLen = readI32(p + 8);
    if (batchLen < BATCH_HEADER - 12) return this.failAt("record batch length too small");
    const total = <i64>batchLen + 12;
    if (total > <i64>rem) { info.flags |= RECORDS_PARTIAL; this.skipRem = rem; this.recRem = 0; return 0; }
    const count = readI32(p + 57);
    if (count < 0) return this.failAt("negative record count");
    const attrs = <i32>bswap<u16>(load<u16>(p + 21));
    if (info.batchCount == 0) info.firstCodec = attrs & 7;
    info.attributesOr |= attrs;
    info.nextOffset = readI64(p) + <i64>readI32(p + 23) + 1; // baseOffset + lastOffsetDelta + 1
    info.batchCount++;
    info.recordCount += count;
    this.recRem = rem - <i32>total;
    this.skipRem = <i32>total;
    return 0;
  }
}

function nameOf(i: i32): string { return fieldName(i); }

function join(a: string, b: string): string { return a.length == 0 ? b : a + "." + b; }
