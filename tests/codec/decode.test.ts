// node --import tsx --test tests/codec/*.test.ts
import assert from "node:assert/strict";
import { test } from "node:test";
import { encodeBody, rng, type Opts } from "./encoder.ts";
import { loadApis, versionsOf } from "./layout.ts";
import { Harness } from "./wasm.ts";

const apis = loadApis();
const h = new Harness();

function opts(seed: number, kind: number): Opts {
  return {
    rnd: rng(seed), pNull: kind === 2 ? 0.8 : kind === 1 ? 0 : 0.3, pTag: kind === 1 ? 1 : kind === 2 ? 0 : 0.5,
    unknownTags: kind !== 2, big: kind === 1,
  };
}

const S_DONE = 1, S_FAIL = 2;

function label(a: { name: string; apiKey: number }, v: number, resp: boolean) {
  return `${a.name}(${a.apiKey}) v${v} ${resp ? "response" : "request"}`;
}

test("every API key x version x direction decodes exactly, with the encoded events", () => {
  let instances = 0, combos = 0, maxNeed = 0, bytes = 0;
  const keys = new Set<number>();
  for (const a of apis) {
    for (const v of versionsOf(a.request)) {
      for (const resp of [false, true]) {
        combos++;
        keys.add(a.apiKey);
        for (let kind = 0; kind < 4; kind++) {
          const seed = a.apiKey * 100003 + v * 1009 + (resp ? 7 : 0) + kind * 31;
          const { bytes: body, events } = encodeBody(a, resp, v, opts(seed, kind));
          h.load(body);
          const r = h.decode(body.length, a.apiKey, v, resp);
          const what = `${label(a, v, resp)} kind ${kind} (${body.length} bytes)`;
          assert.equal(r.status, S_DONE, `${what}: status ${r.status} ${r.field} ${r.reason} @${r.offset}`);
          assert.equal(r.consumed, body.length, what);
          assert.deepEqual(r.events, events, what);
          // chunked delivery: 1-byte and 7-byte chunks give the same result
          for (const chunk of [1, 7]) {
            const c = h.decode(body.length, a.apiKey, v, resp, chunk);
            assert.equal(c.status, S_DONE, `${what} chunk ${chunk}: ${c.status} ${c.field} ${c.reason}`);
            assert.deepEqual(c.events, events, `${what} chunk ${chunk}`);
            maxNeed = Math.max(maxNeed, c.maxNeed);
          }
          instances++; bytes += body.length;
        }
      }
    }
  }
  console.log(`codec: ${keys.size} API keys, ${combos} key x version x direction combinations, ${instances} instances (${bytes} bytes) decoded; max needBytes ${maxNeed}`);
  assert.ok(keys.size >= 80, `only ${keys.size} API keys covered`);
  assert.ok(maxNeed <= 4096);
});

test("splitting the body at every position gives the same result", () => {
  let runs = 0;
  for (const a of apis) {
    const vs = versionsOf(a.request);
    for (const v of [vs[0], vs[vs.length - 1]]) {
      for (const resp of [false, true]) {
        const { bytes: body, events } = encodeBody(a, resp, v, opts(a.apiKey * 7 + v, 0));
        h.load(body);
        for (let s = 1; s < body.length; s++) {
          const r = h.decode(body.length, a.apiKey, v, resp, 0, s);
          assert.equal(r.status, S_DONE, `${label(a, v, resp)} split ${s}: ${r.field} ${r.reason}`);
          assert.deepEqual(r.events, events, `${label(a, v, resp)} split ${s}`);
          runs++;
        }
      }
    }
  }
  console.log(`codec: ${runs} split decodes`);
});

test("every truncation fails cleanly with a named field", () => {
  let runs = 0;
  for (const a of apis) {
    const vs = versionsOf(a.request);
    for (const v of new Set([vs[0], vs[Math.floor(vs.length / 2)], vs[vs.length - 1]])) {
      for (const resp of [false, true]) {
        const { bytes: body } = encodeBody(a, resp, v, opts(a.apiKey * 13 + v + (resp ? 1 : 0), 3));
        h.load(body);
        for (let k = 0; k < body.length; k++) {
          const r = h.decode(k, a.apiKey, v, resp, k % 3 === 0 ? 0 : 5, 0, false);
          assert.equal(r.status, S_FAIL, `${label(a, v, resp)} truncated to ${k}/${body.length}: status ${r.status}`);
          assert.ok(r.field.length > 0, `${label(a, v, resp)} truncated to ${k}: no field name (${r.reason})`);
          assert.ok(r.offset <= k, `${label(a, v, resp)} truncated to ${k}: offset ${r.offset}`);
          runs++;
        }
      }
    }
  }
  console.log(`codec: ${runs} truncated decodes`);
});

test("random byte mutations never trap or stall the decoder", () => {
  let runs = 0, failed = 0;
  for (const a of apis) {
    for (const v of versionsOf(a.request)) {
      for (const resp of [false, true]) {
        const r = rng(a.apiKey * 31 + v * 17 + (resp ? 5 : 0));
        const { bytes: body } = encodeBody(a, resp, v, opts(a.apiKey * 3 + v, 0));
        if (body.length === 0) continue;
        for (let m = 0; m < 12; m++) {
          const mut = Uint8Array.from(body);
          for (let k = 1 + Math.floor(r() * 3); k > 0; k--) {
            const i = Math.floor(r() * mut.length);
            mut[i] = r() < 0.5 ? Math.floor(r() * 256) : [0, 0xff, 0x7f, 0x80][Math.floor(r() * 4)];
          }
          h.load(mut);
          const res = h.decode(mut.length, a.apiKey, v, resp, 1 + Math.floor(r() * 9), 0, false);
          assert.ok(res.status === S_DONE || res.status === S_FAIL, `${label(a, v, resp)} mutation ${m}: status ${res.status}`);
          if (res.status === S_FAIL) { failed++; assert.ok(res.field.length > 0, `${label(a, v, resp)}: unnamed failure ${res.reason}`); }
          else assert.equal(res.consumed, mut.length);
          runs++;
        }
      }
    }
  }
  console.log(`codec: ${runs} mutated bodies decoded without trap (${failed} rejected)`);
});
