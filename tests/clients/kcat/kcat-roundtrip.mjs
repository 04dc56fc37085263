#!/usr/bin/env node
// End-to-end Kafka client through librdkafka: drives the `kcat` CLI (Debian package kcat).
// Produces the seeded messages of tests/clients/lib/gen.mjs with `kcat -P` (one run per
// topic+partition: keys via -K'|', compression -z, static header src=<client id>), reads them back
// with `kcat -C -o beginning -e -J`, verifies key, value, header, partition and per-partition
// order, and prints ONE JSON summary line on stdout. Exit 0 only when everything verified.
//
//   node tests/clients/kcat/kcat-roundtrip.mjs --bootstrap 127.0.0.1:19092 --scenario standard \
//        --prefix mytest [--seed 42] [--count N] [--topics N] [--partitions N] [--large-bytes N]
//        [--compression snappy,zstd,gzip] [--client-id e2e-kcat] [--timeout-ms 120000] [--dry-run]
//
// kcat cannot create topics: they are auto-created by the broker (num.partitions=3 in
// tests/kafka), so --partitions must not exceed the broker's default partition count.
import { spawn } from "node:child_process";
import {
  compressionFor, finish, indexOfKey, message, parseArgsOrExit, timedRoundTrip, topicName, topicStats,
} from "../lib/gen.mjs";

const KCAT = process.env.KCAT ?? "kcat";
const t0 = Date.now();
const errors = [];
const sc = parseArgsOrExit("kcat", process.argv.slice(2), { clientId: "e2e-kcat", compression: "snappy,zstd,gzip" });
const debug = (...a) => sc.verbose && console.error("[kcat-client]", ...a);

const common = () => [
  "-b", sc.bootstrap,
  "-X", `client.id=${sc.clientId}`,
  "-X", "socket.timeout.ms=30000",
];

/** Run kcat with args, optional stdin data; resolve {code, stdout(Buffer), stderr} (never rejects). */
function kcat(args, input) {
  return new Promise((resolve) => {
    const child = spawn(KCAT, args, { stdio: ["pipe", "pipe", "pipe"] });
    const out = [];
    let err = "";
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, sc.timeoutMs);
    child.stdout.on("data", (d) => out.push(d));
    child.stderr.on("data", (d) => (err += d));
    child.on("error", (e) => {
      clearTimeout(timer);
      resolve({ code: -1, stdout: Buffer.alloc(0), stderr: String(e) });
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code: timedOut ? -2 : code, stdout: Buffer.concat(out), stderr: err + (timedOut ? " (timed out)" : "") });
    });
    child.stdin.on("error", () => {});
    if (input !== undefined) child.stdin.end(input);
    else child.stdin.end();
  });
}

/** Wait until the topic exists (kcat -L asks for it, which lets the broker auto-create it). */
async function partitionsOf(topic) {
  const deadline = Date.now() + Math.min(30000, sc.timeoutMs);
  let last = "";
  while (Date.now() < deadline) {
    const r = await kcat([...common(), "-L", "-t", topic, "-J"]);
    if (r.code === 0) {
      try {
        const md = JSON.parse(r.stdout.toString("utf8"));
        const t = md.topics?.find((x) => x.topic === topic);
        if (t && !t.error && t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0)) return t.partitions.length;
        last = t?.error ?? "no partitions";
      } catch (e) {
        last = `bad metadata json: ${e.message}`;
      }
    } else last = r.stderr.trim();
    await new Promise((res) => setTimeout(res, 300));
  }
  throw new Error(`${topic}: topic not available: ${last}`);
}

/** End offsets per partition before producing (so reruns with the same prefix still verify). */
async function endOffsets(topic, n) {
  const args = [...common(), "-Q", "-J"];
  for (let p = 0; p < n; p++) args.push("-t", `${topic}:${p}:-1`);
  const r = await kcat(args);
  if (r.code !== 0) throw new Error(`${topic}: offset query failed: ${r.stderr.trim()}`);
  const j = JSON.parse(r.stdout.toString("utf8"))[topic];
  const out = [];
  for (let p = 0; p < n; p++) out.push(j?.[String(p)]?.offset ?? 0);
  return out;
}

async function produce(topic, t, stats) {
  const comp = compressionFor(sc, t);
  for (let p = 0; p < sc.partitions; p++) {
    const lines = [];
    let n = 0;
    for (let i = p; i < sc.count; i += sc.partitions) {
      const m = message(sc, t, i);
      lines.push(m.key, Buffer.from("|"), m.value, Buffer.from("\n"));
      n++;
    }
    if (n === 0) continue;
    const args = [...common(), "-P", "-t", topic, "-p", String(p), "-K", "|",
      "-H", `src=${sc.clientId}`,
      "-X", "message.max.bytes=10485760",
      "-X", "acks=all",
      "-X", "enable.idempotence=true",
      "-X", "linger.ms=5"];
    if (comp !== "none") args.push("-z", comp);
    const r = await kcat(args, Buffer.concat(lines));
    debug(topic, p, r.code, r.stderr.trim());
    if (r.code !== 0 || /fail|error/i.test(r.stderr)) {
      errors.push(`${topic}/${p}: kcat -P exit ${r.code}: ${r.stderr.trim().slice(0, 500)}`);
    } else stats.produced += n;
  }
}

async function consume(topic, t, start, stats) {
  const r = await kcat([...common(), "-C", "-t", topic, "-o", "beginning", "-e", "-J", "-q",
    "-X", "fetch.message.max.bytes=4194304",
    "-X", "receive.message.max.bytes=104857600"]);
  if (r.code !== 0) {
    errors.push(`${topic}: kcat -C exit ${r.code}: ${r.stderr.trim().slice(0, 500)}`);
    return;
  }
  const seen = new Set();
  const last = new Map();
  for (const line of r.stdout.toString("utf8").split("\n")) {
    if (!line.trim()) continue;
    let rec;
    try {
      rec = JSON.parse(line);
    } catch (e) {
      errors.push(`${topic}: unparsable kcat output line (${line.length} chars)`);
      continue;
    }
    const where = `${topic}/${rec.partition}@${rec.offset}`;
    if (rec.offset < (start[rec.partition] ?? 0)) continue; // earlier run with the same prefix
    const i = indexOfKey(rec.key ?? "");
    if (i < 0 || i >= sc.count) {
      errors.push(`${where}: bad key ${rec.key}`);
      continue;
    }
    if (seen.has(i)) {
      errors.push(`${where}: duplicate message #${i}`);
      continue;
    }
    seen.add(i);
    const m = message(sc, t, i);
    if (rec.key !== m.key.toString("ascii")) errors.push(`${where}: key mismatch for #${i}`);
    const payload = rec.payload ?? "";
    if (payload !== m.value.toString("ascii"))
      errors.push(`${where}: value mismatch for #${i} (got ${payload.length} bytes, want ${m.value.length})`);
    if (rec.partition !== m.partition) errors.push(`${where}: #${i} in partition ${rec.partition}, want ${m.partition}`);
    const h = rec.headers ?? [];
    const src = h.indexOf("src") >= 0 && h.indexOf("src") % 2 === 0 ? h[h.indexOf("src") + 1] : undefined;
    if (src !== sc.clientId) errors.push(`${where}: header src=${src}, want ${sc.clientId}`);
    else stats.headers_checked++;
    const prev = last.get(rec.partition);
    if (prev !== undefined && prev >= i) errors.push(`${where}: out of order, #${i} after #${prev}`);
    last.set(rec.partition, i);
    stats.consumed++;
    stats.consumed_value_bytes += Buffer.byteLength(payload, "ascii");
  }
  if (stats.consumed !== sc.count) errors.push(`${topic}: consumed ${stats.consumed} of ${sc.count} messages`);
}

const topics = topicStats(sc);
const { produceMs, consumeMs } = await timedRoundTrip(
  sc, errors,
  async () => {
    const starts = [];
    for (let t = 0; t < sc.topics; t++) {
      const name = topicName(sc, t);
      const n = await partitionsOf(name);
      if (n < sc.partitions) throw new Error(`${name}: has ${n} partitions, scenario needs ${sc.partitions} (kcat relies on auto-creation)`);
      starts.push(await endOffsets(name, n));
    }
    for (let t = 0; t < sc.topics; t++) await produce(topicName(sc, t), t, topics[topicName(sc, t)]);
    return starts;
  },
  async (starts) => {
    for (let t = 0; t < sc.topics; t++) await consume(topicName(sc, t), t, starts[t], topics[topicName(sc, t)]);
  },
  (e) => `fatal: ${e.message ?? e}`,
);
finish("kcat", sc, topics, errors, { produceMs, consumeMs, t0 });
