// Test encoder: builds valid random bodies for any API key x version x direction straight from the
// resolved spec layouts (tools/codegen/model.ts) and records the events BodyDecoder must report
// (same text format as tests/codec/harness.ts LogSink).
import { type LField, type LStruct, PRIM_SIZE, type ApiSpecLike, resolveMessage } from "./layout.ts";
import { ENTRIES, OFFSET_ROLES, ROLES, SCOPES, STRING_CAP, STRING_ROLES } from "../../tools/codegen/roles.ts";

export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class W {
  b: number[] = [];
  u8(v: number) { this.b.push(v & 0xff); }
  i16(v: number) { this.u8(v >> 8); this.u8(v); }
  i32(v: number) { this.u8(v >>> 24); this.u8(v >>> 16); this.u8(v >>> 8); this.u8(v); }
  i64(v: bigint) { const u = BigInt.asUintN(64, v); this.i32(Number(u >> 32n)); this.i32(Number(u & 0xffffffffn)); }
  uv(v: number) { v = v >>> 0; while (v >= 0x80) { this.u8((v & 0x7f) | 0x80); v >>>= 7; } this.u8(v); }
  raw(a: ArrayLike<number>) { for (let i = 0; i < a.length; i++) this.b.push(a[i] & 0xff); }
}

export interface Opts {
  rnd: () => number;
  pNull: number;      // probability of null for nullable fields
  pTag: number;       // probability of each known tagged field being present
  unknownTags: boolean;
  big: boolean;       // larger arrays
  empty?: boolean;    // every string, bytes, records and array field empty (zero-length), no tags
}

const SCOPE_OF: Record<number, number> = {
  [ENTRIES.E_TOPIC]: SCOPES.SCOPE_TOPIC, [ENTRIES.E_PARTITION]: SCOPES.SCOPE_PARTITION,
  [ENTRIES.E_GROUP]: SCOPES.SCOPE_GROUP, [ENTRIES.E_RESOURCE]: SCOPES.SCOPE_RESOURCE, [ENTRIES.E_NONE]: SCOPES.SCOPE_OTHER,
};

interface Ctx { ev: string[]; scopes: number[]; o: Opts }
interface Frame { pending: number | null }

const utf8 = new TextEncoder();
const SAMPLES = ["é", "中", "😀", "ß", "ü", "€"];

function randInt(r: () => number, lo: number, hi: number) { return lo + Math.floor(r() * (hi - lo + 1)); }
function randBig(r: () => number): bigint {
  const pick = r();
  if (pick < 0.2) return -1n;
  if (pick < 0.3) return 0n;
  return BigInt.asIntN(64, (BigInt(randInt(r, 0, 0xffffffff)) << 32n) | BigInt(randInt(r, 0, 0xffffffff)));
}

function randString(r: () => number, captured: boolean): string {
  const p = r();
  const len = p < 0.1 ? 0 : captured && p > 0.9 ? randInt(r, 240, 400) : randInt(r, 1, 20);
  let s = "";
  const uni = captured && r() < 0.4;
  while (utf8.encode(s).length < len) {
    s += uni && r() < 0.3 ? SAMPLES[randInt(r, 0, SAMPLES.length - 1)] : String.fromCharCode(randInt(r, 0x21, 0x7e));
  }
  return s;
}

/** what the decoder reports for a captured string: first <= STRING_CAP bytes at a character boundary */
export function capped(s: string): string {
  const b = utf8.encode(s);
  if (b.length <= STRING_CAP) return s;
  let cut = STRING_CAP;
  while (cut > 0 && (b[cut] & 0xc0) === 0x80) cut--;
  return new TextDecoder().decode(b.subarray(0, cut));
}

function flush(c: Ctx, f: Frame) {
  if (f.pending !== null) {
    c.ev.push(`e:${f.pending}@${c.scopes.length ? c.scopes[c.scopes.length - 1] : SCOPES.SCOPE_BODY}`);
    f.pending = null;
  }
}

function writeLen(w: W, n: number, compact: boolean, wide: boolean) {
  // n = -1 for null
  if (compact) w.uv(n + 1);
  else if (wide) w.i32(n);
  else w.i16(n);
}

export function batchHeader(count: number, payload: number, attrs: number, magic = 2): number[] {
  const w = new W();
  w.i64(123456789n); w.i32(49 + payload); w.i32(7); w.u8(magic); w.i32(0x12345678); w.i16(attrs);
  w.i32(Math.max(0, count - 1)); w.i64(1700000000000n); w.i64(1700000000123n); w.i64(4242n); w.i16(3); w.i32(0);
  w.i32(count);
  return w.b;
}

function genRecords(r: () => number): { bytes: number[]; ev: string } {
  const mode = r();
  const out: number[] = [];
  let batches = 0, records = 0, codec = -1, attrsOr = 0, flags = 0;
  const pushBatch = (): number[] => {
    const count = randInt(r, 0, r() < 0.1 ? 100000 : 50);
    const payload = randInt(r, 0, 40);
    const attrs = randInt(r, 0, 4) | (r() < 0.5 ? 8 : 0) | (r() < 0.3 ? 16 : 0) | (r() < 0.1 ? 32 : 0);
    const b = [...batchHeader(count, payload, attrs)];
    for (let i = 0; i < payload; i++) b.push(randInt(r, 0, 255));
    return Object.assign(b, { count, attrs });
  };
  if (mode < 0.15) {
    // empty records
  } else if (mode < 0.25) {
    // legacy message set (magic 1)
    const n = randInt(r, 17, 80);
    for (let i = 0; i < n; i++) out.push(randInt(r, 0, 255));
    out[16] = 1;
    flags |= 4;
  } else {
    const k = randInt(r, 1, 4);
    for (let i = 0; i < k; i++) {
      const b = pushBatch() as number[] & { count: number; attrs: number };
      if (batches === 0) codec = b.attrs & 7;
      batches++; records += b.count; attrsOr |= b.attrs;
      out.push(...b);
    }
    if (mode > 0.85) {
      const b = pushBatch();
      out.push(...b.slice(0, randInt(r, 1, b.length - 1)));
      flags |= 2;
    }
  }
  return { bytes: out, ev: `r:${out.length},${batches},${records},${codec},${attrsOr},${flags}` };
}

function encPrim(f: LField, w: W, c: Ctx, fr: Frame) {
  const r = c.o.rnd;
  const t = f.type as { k: "prim"; p: keyof typeof PRIM_SIZE };
  switch (t.p) {
    case "int16": {
      const v = f.role === ROLES.R_ERROR_CODE ? randInt(r, -1, 120) : randInt(r, -32768, 32767);
      w.i16(v);
      if (f.role === ROLES.R_ERROR_CODE) { flush(c, fr); fr.pending = v; }
      else if (f.role === ROLES.R_ACKS) c.ev.push(`ack:${v}`);
      return;
    }
    case "int32": {
      const v = randInt(r, -5, 100000);
      w.i32(v);
      if (f.role === ROLES.R_PARTITION_INDEX) c.ev.push(`pi:${v}`);
      else if (f.role === ROLES.R_THROTTLE_TIME_MS) c.ev.push(`th:${v}`);
      return;
    }
    case "int64": {
      const v = randBig(r);
      w.i64(v);
      if (OFFSET_ROLES.has(f.role)) c.ev.push(`o${f.role}:${v}`);
      return;
    }
    case "uuid": {
      const b: number[] = [];
      for (let i = 0; i < 16; i++) b.push(randInt(r, 0, 255));
      w.raw(b);
      if (f.role === ROLES.R_TOPIC_ID) c.ev.push(`ti:${b.map((x) => x.toString(16).padStart(2, "0")).join("")}`);
      return;
    }
    case "bool": w.u8(randInt(r, 0, 1)); return;
    default: for (let i = 0; i < PRIM_SIZE[t.p]; i++) w.u8(randInt(r, 0, 255));
  }
}

function encString(role: number, nullable: boolean, compact: boolean, w: W, c: Ctx) {
  const r = c.o.rnd;
  if (nullable && r() < c.o.pNull) { writeLen(w, -1, compact, false); return; }
  const cap = STRING_ROLES.has(role);
  const s = c.o.empty ? "" : randString(r, cap);
  const b = utf8.encode(s);
  writeLen(w, b.length, compact, false);
  w.raw(b);
  if (role === ROLES.R_TOPIC_NAME) c.ev.push(`tn:${capped(s)}`);
  else if (cap) c.ev.push(`s${role}:${capped(s)}`);
}

function arrayCount(c: Ctx, prim: boolean): number {
  if (c.o.empty) return 0;
  const r = c.o.rnd, p = r();
  if (p < 0.2) return 0;
  if (c.o.big && p > 0.6) return randInt(r, 4, prim ? 60 : 12);
  return randInt(r, 1, 3);
}

function encField(f: LField, w: W, c: Ctx, fr: Frame, compact: boolean) {
  const r = c.o.rnd, t = f.type;
  switch (t.k) {
    case "prim": return encPrim(f, w, c, fr);
    case "string": return encString(f.role, f.nullable, compact, w, c);
    case "bytes": {
      if (f.nullable && r() < c.o.pNull) { writeLen(w, -1, compact, true); return; }
      const n = c.o.empty ? 0 : randInt(r, 0, 30);
      writeLen(w, n, compact, true);
      for (let i = 0; i < n; i++) w.u8(randInt(r, 0, 255));
      return;
    }
    case "records": {
      if (f.nullable && r() < c.o.pNull) { writeLen(w, -1, compact, true); c.ev.push("r:0,0,0,-1,0,1"); return; }
      const g = c.o.empty ? { bytes: [], ev: "r:0,0,0,-1,0,0" } : genRecords(r);
      writeLen(w, g.bytes.length, compact, true);
      w.raw(g.bytes);
      c.ev.push(g.ev);
      return;
    }
    case "struct": {
      if (f.nullable) {
        if (r() < c.o.pNull) { w.u8(0xff); return; }
        w.u8(1);
      }
      encStruct(t.s, w, c);
      return;
    }
    case "array": {
      if (f.nullable && r() < c.o.pNull) { writeLen(w, -1, compact, true); return; }
      const e = t.elem;
      const n = arrayCount(c, e.k === "prim");
      writeLen(w, n, compact, true);
      for (let i = 0; i < n; i++) {
        if (e.k === "prim") { encPrim({ ...f, type: e, role: 0 }, w, c, fr); continue; }
        if (t.entry === ENTRIES.E_TOPIC) c.ev.push("T{");
        else if (t.entry === ENTRIES.E_PARTITION) c.ev.push("P{");
        c.scopes.push(SCOPE_OF[t.entry]);
        if (e.k === "struct") encStruct(e.s, w, c);
        else if (e.k === "string") encString(f.role, false, compact, w, c);
        else throw new Error(`unsupported array element ${e.k}`);
        c.scopes.pop();
        if (t.entry === ENTRIES.E_TOPIC) c.ev.push("}T");
        else if (t.entry === ENTRIES.E_PARTITION) c.ev.push("}P");
      }
      return;
    }
  }
}

function encStruct(s: LStruct, w: W, c: Ctx) {
  const fr: Frame = { pending: null };
  for (const f of s.fields) encField(f, w, c, fr, s.flexible);
  if (s.flexible) {
    const r = c.o.rnd;
    const present = s.tagged.filter(() => r() < c.o.pTag);
    const unknown: number[] = [];
    if (c.o.unknownTags && r() < 0.5) {
      // above any tag the specs use in any version (Kafka's Java classes reject tags of other versions)
      let tag = Math.max(100, (s.tagged.length ? s.tagged[s.tagged.length - 1].tag : 0) + 1);
      for (let i = randInt(r, 1, 2); i > 0; i--) { tag += randInt(r, 0, 200); unknown.push(tag++); }
    }
    w.uv(present.length + unknown.length);
    for (const f of present) {
      const sub = new W();
      const tf: Frame = { pending: null };
      encField(f, sub, c, tf, true);
      flush(c, tf);
      w.uv(f.tag); w.uv(sub.b.length); w.raw(sub.b);
    }
    for (const tag of unknown) {
      const n = randInt(r, 0, 12);
      w.uv(tag); w.uv(n);
      for (let i = 0; i < n; i++) w.u8(randInt(r, 0, 255));
    }
  }
  flush(c, fr);
}

export function encodeBody(api: ApiSpecLike, resp: boolean, version: number, o: Opts): { bytes: Uint8Array; events: string[] } {
  const s = resolveMessage(api, resp, version);
  const c: Ctx = { ev: [], scopes: [], o };
  const w = new W();
  encStruct(s, w, c);
  return { bytes: Uint8Array.from(w.b), events: c.ev };
}
