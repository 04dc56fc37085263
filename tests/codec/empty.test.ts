// Zero-length fields (issue 14): every empty string, bytes, records and array field, and tagged
// sections with and without (empty) tagged fields, decode exactly in every API key x version x
// direction, whole and one byte per step. A field that consumes no bytes must never stall or fail
// a parser.
import assert from "node:assert/strict";
import { test } from "node:test";
import { encodeBody, rng } from "./encoder.ts";
import { loadApis, versionsOf } from "./layout.ts";
import { Harness } from "./wasm.ts";

const apis = loadApis();
const h = new Harness();
const S_DONE = 1;

test("bodies made only of zero-length fields decode exactly, whole and byte by byte", () => {
  let runs = 0;
  for (const a of apis) {
    for (const v of versionsOf(a.request)) {
      for (const resp of [false, true]) {
        for (const pTag of [0, 1]) {
          const o = { rnd: rng(a.apiKey * 31 + v), pNull: 0, pTag, unknownTags: pTag === 1, big: false, empty: true };
          const { bytes: body, events } = encodeBody(a, resp, v, o);
          h.load(body);
          const what = `${a.name}(${a.apiKey}) v${v} ${resp ? "response" : "request"} tags ${pTag} (${body.length} bytes)`;
          for (const chunk of [0, 1]) {
            const r = h.decode(body.length, a.apiKey, v, resp, chunk);
            assert.equal(r.status, S_DONE, `${what} chunk ${chunk}: ${r.field} ${r.reason} @${r.offset}`);
            assert.equal(r.consumed, body.length, what);
            assert.deepEqual(r.events, events, `${what} chunk ${chunk}`);
            runs++;
          }
        }
      }
    }
  }
  console.log(`codec: ${runs} decodes of all-empty bodies`);
});
