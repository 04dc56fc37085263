#!/usr/bin/env node
// Print the expected per-topic totals of a scenario as one JSON line (what a client will
// produce for the same options), e.g. for e2e tests that compare filter metrics:
//   node tests/clients/lib/expected.mjs --scenario standard --prefix p1 --seed 42
// Pass --acks0 20 to include the Java client's default extra acks=0 topic.
// --check-java also runs the Java client with --dry-run and compares its totals (generator parity).
import { execFileSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { expected, parseArgs } from "./gen.mjs";

const argv = process.argv.slice(2).filter((a) => a !== "--check-java");
const sc = parseArgs(argv, { clientId: "e2e", compression: "none" });
const exp = expected(sc);
console.log(JSON.stringify({ scenario: sc.scenario, seed: sc.seed, prefix: sc.prefix, topics: exp }));
if (process.argv.includes("--check-java")) {
  const here = dirname(fileURLToPath(import.meta.url));
  const out = execFileSync(join(here, "..", "java", "run.sh"), [...argv.filter((a, k) => a !== "--prefix" && argv[k - 1] !== "--prefix"), "--prefix", sc.prefix, "--acks0", String(sc.acks0), "--dry-run"], {
    encoding: "utf8",
  });
  const java = JSON.parse(out.trim().split("\n").pop());
  let same = true;
  for (const [name, e] of Object.entries(exp)) {
    const j = java.topics[name];
    for (const f of ["messages", "value_bytes", "key_bytes", "partitions", "digest"]) {
      if (!j || j[f] !== e[f]) {
        same = false;
        console.error(`mismatch ${name}.${f}: node ${e[f]} java ${j?.[f]}`);
      }
    }
  }
  console.error(same ? "java generator matches" : "java generator DIFFERS");
  process.exit(same ? 0 : 1);
}
