// Cross-check of the test encoder (and so of the shared spec model) against Kafka's own Java
// message classes: every generated body must parse in Java exactly and re-serialize identically.
// Skipped when java/javac or the kafka-clients jar are missing.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { test } from "node:test";
import { kafkaClientsJar } from "../../tools/codegen/spec.ts";
import { encodeBody, rng } from "./encoder.ts";
import { loadApis, versionsOf } from "./layout.ts";

const ROOT = resolve(dirname(new URL(import.meta.url).pathname), "../..");
const jar = kafkaClientsJar();
const haveJava = spawnSync("javac", ["-version"]).status === 0 && jar !== "" && existsSync(jar);

test("Kafka's Java message classes parse and re-serialize every encoded body identically", { skip: !haveJava && "no javac or kafka-clients jar" }, () => {
  const out = join(ROOT, "build/test-codec/java");
  mkdirSync(out, { recursive: true });
  execFileSync("javac", ["-cp", jar, "-d", out, join(ROOT, "tests/codec/java/Oracle.java")]);
  const lines: string[] = [], labels: string[] = [];
  for (const a of loadApis()) {
    for (const v of versionsOf(a.request)) {
      for (const resp of [false, true]) {
        for (let kind = 0; kind < 4; kind++) {
          const o = {
            rnd: rng(a.apiKey * 7919 + v * 104729 + (resp ? 3 : 0) + kind), pNull: kind === 2 ? 0.8 : kind === 1 ? 0 : 0.3,
            pTag: kind === 1 ? 1 : kind === 2 ? 0 : 0.5, unknownTags: kind !== 2, big: kind === 1,
          };
          const { bytes } = encodeBody(a, resp, v, o);
          lines.push(`${a.apiKey} ${v} ${resp ? 1 : 0} ${Buffer.from(bytes).toString("hex")}`);
          labels.push(`${a.name}(${a.apiKey}) v${v} ${resp ? "response" : "request"} kind ${kind}`);
        }
      }
    }
  }
  const res = execFileSync("java", ["-cp", `${out}:${jar}`, "Oracle"], { input: lines.join("\n") + "\n", maxBuffer: 64 << 20 }).toString().trim().split("\n");
  assert.equal(res.length, lines.length);
  const bad = res.map((r, i) => (r === "OK" ? "" : `${labels[i]}: ${r}`)).filter(Boolean);
  console.log(`codec: Java oracle checked ${lines.length} bodies, ${bad.length} mismatches`);
  assert.deepEqual(bad.slice(0, 20), []);
});
