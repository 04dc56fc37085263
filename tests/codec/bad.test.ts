// Hand-made malformed bodies: each must fail cleanly with a named field (never trap).
import assert from "node:assert/strict";
import { test } from "node:test";
import { batchHeader, W } from "./encoder.ts";
import { Harness } from "./wasm.ts";

const h = new Harness();
const PRODUCE = 0;

function run(w: W | number[], apiKey: number, version: number, resp = false, chunk = 0) {
  const bytes = Uint8Array.from(Array.isArray(w) ? w : w.b);
  h.load(bytes);
  return { r: h.decode(bytes.length, apiKey, version, resp, chunk), len: bytes.length };
}
function expectFail(w: W | number[], apiKey: number, version: number, field: string, reason: RegExp, resp = false) {
  for (const chunk of [0, 1, 3]) {
    const { r } = run(w, apiKey, version, resp, chunk);
    assert.equal(r.status, 2, `expected failure at ${field}, got status ${r.status} ${r.field} ${r.reason}`);
    assert.equal(r.field, field, `field (reason ${r.reason})`);
    assert.match(r.reason, reason);
  }
}
const str16 = (w: W, s: string | null) => {
  if (s === null) { w.i16(-1); return; }
  const b = Buffer.from(s); w.i16(b.length); w.raw(b);
};
const cstr = (w: W, s: string | null) => {
  if (s === null) { w.uv(0); return; }
  const b = Buffer.from(s); w.uv(b.length + 1); w.raw(b);
};

/** Produce v3 (non-flexible) request up to the topic array */
function produceV3Prefix(): W { const w = new W(); str16(w, null); w.i16(-1); w.i32(30000); return w; }
/** Produce v9 (flexible) request up to the topic array */
function produceV9Prefix(): W { const w = new W(); cstr(w, "txn-1"); w.i16(1); w.i32(30000); return w; }

test("valid hand-made Produce v3 and v9 bodies decode with the expected events", () => {
  const w = produceV3Prefix();
  w.i32(1); str16(w, "orders"); w.i32(1); w.i32(4);
  const batch = batchHeader(5, 3, 0x12); batch.push(1, 2, 3);
  w.i32(batch.length * 2); w.raw(batch); w.raw(batch);
  const { r, len } = run(w, PRODUCE, 3);
  assert.equal(r.status, 1, `${r.field} ${r.reason}`);
  assert.equal(r.consumed, len);
  assert.deepEqual(r.events, ["ack:-1", "T{", "tn:orders", "P{", "pi:4", `r:${batch.length * 2},2,10,2,18,0`, "}P", "}T"]);

  const v = produceV9Prefix();
  v.uv(2); cstr(v, "t"); v.uv(1); v.uv(0); /* topic tags */ v.uv(0); /* body tags */
  const r9 = run(v, PRODUCE, 9).r;
  assert.equal(r9.status, 1, `${r9.field} ${r9.reason}`);
  assert.deepEqual(r9.events, ["s13:txn-1", "ack:1", "T{", "tn:t", "}T"]);
});

test("negative and huge array counts", () => {
  let w = produceV3Prefix(); w.i32(-5);
  expectFail(w, PRODUCE, 3, "TopicData", /negative/);
  w = produceV3Prefix(); w.i32(0x7fffffff);
  expectFail(w, PRODUCE, 3, "TopicData", /exceeds remaining/);
  w = produceV3Prefix(); w.i32(1); str16(w, "a"); w.i32(1000000);
  expectFail(w, PRODUCE, 3, "TopicData[0].PartitionData", /exceeds remaining/);
  w = produceV9Prefix(); w.uv(0xffffffff);
  expectFail(w, PRODUCE, 9, "TopicData", /exceeds remaining/);
  w = produceV9Prefix(); w.uv(0); // compact null for a non-nullable array
  expectFail(w, PRODUCE, 9, "TopicData", /null not allowed/);
  // malformed varint (5th byte too large)
  w = produceV9Prefix(); w.raw([0xff, 0xff, 0xff, 0xff, 0x7f]);
  expectFail(w, PRODUCE, 9, "TopicData", /malformed varint/);
});

test("oversized and invalid strings", () => {
  let w = produceV3Prefix(); w.i32(1); w.i16(30000); w.raw([0x61, 0x62]);
  expectFail(w, PRODUCE, 3, "TopicData[0].Name", /exceeds remaining/);
  w = produceV3Prefix(); w.i32(1); w.i16(-2);
  expectFail(w, PRODUCE, 3, "TopicData[0].Name", /negative/);
  w = produceV9Prefix(); w.uv(2); w.uv(40000 + 1); w.raw(new Array(50).fill(0x61));
  expectFail(w, PRODUCE, 9, "TopicData[0].Name", /32767/);
  // bad UTF-8 in a captured string (topic name)
  for (const bad of [[0xc3], [0xff], [0xed, 0xa0, 0x80], [0xe0, 0x80, 0x80], [0x61, 0x80]]) {
    w = produceV3Prefix(); w.i32(1); w.i16(bad.length); w.raw(bad); w.i32(0);
    expectFail(w, PRODUCE, 3, "TopicData[0].Name", /UTF-8/);
  }
  // bad UTF-8 in the transactional id (captured) of a flexible request
  w = new W(); w.uv(3); w.raw([0x61, 0xfe]); w.i16(1); w.i32(1); w.uv(1); w.uv(0);
  expectFail(w, PRODUCE, 9, "TransactionalId", /UTF-8/);
  // uncaptured strings are skipped by count, not validated
  const fc = new W(); str16(fc, "\u00e9"); // FindCoordinator v0 request: Key (not captured)
  fc.b[2] = 0xff; fc.b[3] = 0xfe;
  const { r } = run(fc, 10, 0);
  assert.equal(r.status, 1, `${r.field} ${r.reason}`);
  // captured strings longer than the cap are cut at a character boundary
  const long = "é".repeat(200); // 400 bytes
  w = produceV3Prefix(); w.i32(1); str16(w, long); w.i32(0);
  const rl = run(w, PRODUCE, 3).r;
  assert.equal(rl.status, 1);
  assert.deepEqual(rl.events.slice(0, 3), ["ack:-1", "T{", "tn:" + "é".repeat(127)]);
});

test("record batches: bad length, negative count, legacy and partial", () => {
  const prefix = () => { const w = produceV3Prefix(); w.i32(1); str16(w, "t"); w.i32(1); w.i32(0); return w; };
  let b = batchHeader(1, 0, 0); b[8] = 0; b[9] = 0; b[10] = 0; b[11] = 10; // batchLength 10 < 49
  let w = prefix(); w.i32(b.length); w.raw(b);
  expectFail(w, PRODUCE, 3, "TopicData[0].PartitionData[0].Records", /batch length/);
  b = batchHeader(-1, 0, 0);
  w = prefix(); w.i32(b.length); w.raw(b);
  expectFail(w, PRODUCE, 3, "TopicData[0].PartitionData[0].Records", /negative record count/);
  b = batchHeader(1, 0, 0); b[16] = 3;
  w = prefix(); w.i32(b.length); w.raw(b);
  expectFail(w, PRODUCE, 3, "TopicData[0].PartitionData[0].Records", /magic/);
  w = prefix(); w.i32(100); w.raw(new Array(60).fill(0));
  expectFail(w, PRODUCE, 3, "TopicData[0].PartitionData[0].Records", /exceeds remaining/);
  // partial trailing batch is allowed and flagged (fetch responses may end with one)
  b = batchHeader(9, 20, 4); const full = [...b, ...new Array(20).fill(7)];
  w = prefix(); w.i32(full.length + 30); w.raw(full); w.raw(full.slice(0, 30));
  const r = run(w, PRODUCE, 3).r;
  assert.equal(r.status, 1, `${r.field} ${r.reason}`);
  assert.ok(r.events.includes(`r:${full.length + 30},1,9,4,4,2`), r.events.join(" "));
});

test("tagged fields: size mismatch, overflow; trailing bytes", () => {
  // Produce v9 request body with a tagged section holding tag 0 of 3 bytes (unknown: skipped)
  let w = produceV9Prefix(); w.uv(1); w.uv(1); w.raw([0, 1, 2]);
  let r = run(w, PRODUCE, 9).r;
  assert.equal(r.status, 1, `${r.field} ${r.reason}`);
  w = produceV9Prefix(); w.uv(1); w.uv(1); w.uv(0); w.uv(9); w.raw([0, 1]);
  expectFail(w, PRODUCE, 9, "_tagged_fields", /exceeds remaining/);
  // Fetch v12 request (flexible): tag 0 = ClusterId (string); declare 4 bytes but string takes 2
  const f = new W();
  f.i32(-1); f.i32(500); f.i32(1); f.i32(1000); f.u8(0); f.i32(0); f.i32(-1); // ReplicaId..SessionEpoch
  f.uv(1); f.uv(1); f.uv(1); // Topics empty, ForgottenTopicsData empty, RackId ""
  f.uv(1); f.uv(0); f.uv(4); f.uv(2); f.raw([0x41, 0, 0]);
  expectFail(f, 1, 12, "ClusterId", /tagged field size mismatch/);
  w = produceV9Prefix(); w.uv(1); w.uv(0); w.u8(0);
  expectFail(w, PRODUCE, 9, "(trailing bytes)", /trailing/);
});

test("unknown api keys and versions are refused by begin()", () => {
  h.load(Uint8Array.from([0, 0, 0, 0]));
  for (const [k, v] of [[0, 2], [0, 14], [0, -1], [4, 0], [7, 0], [93, 0], [1000, 0], [-1, 0], [18, 5]]) {
    assert.equal(h.decode(4, k, v, false).status, 0, `api ${k} v${v}`);
    assert.equal(h.decode(4, k, v, true).status, 0, `api ${k} v${v} response`);
  }
});

test("SaslAuthenticate never surfaces auth bytes", () => {
  for (const v of [0, 1, 2]) {
    const w = new W();
    const secret = Buffer.from("user\0pass\0secret");
    if (v >= 2) { w.uv(secret.length + 1); w.raw(secret); w.uv(0); } else { w.i32(secret.length); w.raw(secret); }
    const r = run(w, 36, v).r;
    assert.equal(r.status, 1, `${r.field} ${r.reason}`);
    assert.deepEqual(r.events, []);
  }
});
