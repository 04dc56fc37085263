// Generated API tables match the specs, and the committed generated files are up to date.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join, resolve, dirname } from "node:path";
import { test } from "node:test";
import { generate } from "../../tools/codegen/main.ts";
import { flexibleFrom } from "../../tools/codegen/model.ts";
import { loadApiKeys, loadApis, loadSpecFiles, versionsOf } from "./layout.ts";
import { Harness, harnessExports } from "./wasm.ts";

const ROOT = resolve(dirname(new URL(import.meta.url).pathname), "../..");

test("API tables: names, versions, header versions", () => {
  const h = new Harness();
  const ex = harnessExports(h);
  const apis = loadApis();
  assert.equal(ex.apiCount(), apis.length);
  console.log(`codec: ${apis.length} API keys in the generated tables`);
  for (const a of apis) {
    assert.equal(h.str(ex.apiNameOf(a.apiKey)), a.name);
    const vs = versionsOf(a.request);
    assert.equal(ex.validVersion(a.apiKey, vs[0] - 1), 0);
    assert.equal(ex.validVersion(a.apiKey, vs[vs.length - 1] + 1), 0);
    const rf = flexibleFrom(a.request), sf = flexibleFrom(a.response);
    for (const v of vs) {
      assert.equal(ex.validVersion(a.apiKey, v), 1);
      assert.equal(ex.reqHeaderVersion(a.apiKey, v), rf >= 0 && v >= rf ? 2 : 1, `${a.name} v${v}`);
      const resp = a.apiKey === 18 ? 0 : sf >= 0 && v >= sf ? 1 : 0;
      assert.equal(ex.respHeaderVersion(a.apiKey, v), resp, `${a.name} v${v} response header`);
    }
  }
});

test("codegen-check: committed generated files equal the generator output", () => {
  const src = loadSpecFiles();
  const g = generate(loadApis(src), src.origin, loadApiKeys(src));
  for (const [rel, text] of g.files) {
    assert.equal(readFileSync(join(ROOT, rel), "utf8"), text, `${rel} is stale: run make codegen`);
  }
});
