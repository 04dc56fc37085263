// Deterministic e2e payloads shared by the Node drivers (kcat, kafkajs).
// tests/clients/java/KafkaRoundTrip.java implements the same algorithm; keep them in step
// (tests/clients/lib/expected.mjs --check-java compares the two).
//
// Message i of topic index t, seed s (all uint32 arithmetic):
//   state = mix(mix(mix(s) ^ t) ^ i), 0 -> 1; next() is xorshift32(13,17,5)
//   r1 = next(), r2 = next():
//     i == largeIndex (t == 0 only, largeBytes > 0)   -> size = largeBytes
//     r1 % 10 < 4  -> size = 1 + r2 % 16
//     r1 % 10 < 8  -> size = 17 + r2 % 1008
//     else         -> size = 1025 + r2 % 64512
//   klen = next() % 16; key = "k" + i + "." + klen chars ALPHABET[next() & 63]
//   value = size chars ALPHABET[next() & 63]
//   partition = i % partitions
// Every key/value byte is printable ASCII from ALPHABET (no '|', no newline), so line-based
// tools (kcat -K'|') can carry them.

export const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const ALPHA = Buffer.from(ALPHABET, "ascii");

export function mix(x) {
  x >>>= 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

export function rng(seed, topicIdx, i) {
  let x = mix(mix(mix(seed) ^ topicIdx) ^ i);
  if (x === 0) x = 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

export const SCENARIOS = {
  smoke: { topics: 1, count: 20, partitions: 3, largeBytes: 0 },
  standard: { topics: 3, count: 120, partitions: 3, largeBytes: 2 * 1024 * 1024 + 17 },
  stress: { topics: 3, count: 2000, partitions: 3, largeBytes: 3 * 1024 * 1024 + 5 },
};

export function largeIndex(sc) {
  return Math.floor(sc.count / 2);
}

/** Message i of topic index t: { i, key: Buffer, value: Buffer, partition } */
export function message(sc, t, i) {
  const next = rng(sc.seed, t, i);
  const r1 = next();
  const r2 = next();
  let size;
  if (t === 0 && sc.largeBytes > 0 && i === largeIndex(sc)) size = sc.largeBytes;
  else if (r1 % 10 < 4) size = 1 + (r2 % 16);
  else if (r1 % 10 < 8) size = 17 + (r2 % 1008);
  else size = 1025 + (r2 % 64512);
  const klen = next() % 16;
  const prefix = Buffer.from(`k${i}.`, "ascii");
  const key = Buffer.alloc(prefix.length + klen);
  prefix.copy(key);
  for (let j = 0; j < klen; j++) key[prefix.length + j] = ALPHA[next() & 63];
  const value = Buffer.alloc(size);
  for (let j = 0; j < size; j++) value[j] = ALPHA[next() & 63];
  return { i, key, value, partition: i % sc.partitions };
}

/** Index of a message from its key ("k<i>.<suffix>"), or -1. */
export function indexOfKey(key) {
  const m = /^k(\d+)\./.exec(key);
  return m ? Number(m[1]) : -1;
}

/** generator topic index of the Java client's acks=0 topic "<prefix>.acks0" */
export const ACKS0_TOPIC_INDEX = 1000;

export function topicName(sc, t) {
  return `${sc.prefix}.t${t}`;
}

/** FNV-1a 32 over bytes, continuing from h */
export function fnv1a(h, buf) {
  for (let j = 0; j < buf.length; j++) h = Math.imul(h ^ buf[j], 0x01000193) >>> 0;
  return h >>> 0;
}

/** Totals of `count` messages of generator topic index t: {messages, value_bytes, key_bytes, partitions, digest} */
function topicTotals(sc, t, count) {
  let vb = 0, kb = 0, h = 0x811c9dc5;
  for (let i = 0; i < count; i++) {
    const m = message(sc, t, i);
    vb += m.value.length;
    kb += m.key.length;
    h = fnv1a(fnv1a(h, m.key), m.value);
  }
  return { messages: count, value_bytes: vb, key_bytes: kb, partitions: Math.min(sc.partitions, count),
    digest: h.toString(16).padStart(8, "0") };
}

/** Expected per-topic totals: { name: {messages, value_bytes, key_bytes, partitions, digest} } */
export function expected(sc) {
  const out = {};
  for (let t = 0; t < sc.topics; t++) out[topicName(sc, t)] = topicTotals(sc, t, sc.count);
  // the Java client's extra acks=0 topic: generator topic index 1000, sc.acks0 messages, no large one
  if (sc.acks0 > 0) out[`${sc.prefix}.acks0`] = topicTotals(sc, ACKS0_TOPIC_INDEX, sc.acks0);
  return out;
}

/**
 * Parse the common options. defaults: { clientId, compression }.
 * --bootstrap H:P  --scenario smoke|standard|stress  --prefix P  --seed N  --count N
 * --topics N  --partitions N  --large-bytes N  --compression a,b,..  --client-id ID  --timeout-ms N
 * --acks0 N (only the Java client produces this extra topic; expected() includes it when N > 0)
 */
export function parseArgs(argv, defaults) {
  const a = {};
  for (let k = 0; k < argv.length; k++) {
    const arg = argv[k];
    if (!arg.startsWith("--")) throw new Error(`unexpected argument ${arg}`);
    const eq = arg.indexOf("=");
    if (eq > 0) a[arg.slice(2, eq)] = arg.slice(eq + 1);
    else if (k + 1 < argv.length && !argv[k + 1].startsWith("--")) a[arg.slice(2)] = argv[++k];
    else a[arg.slice(2)] = "true";
  }
  const name = a.scenario ?? "standard";
  const base = SCENARIOS[name];
  if (!base) throw new Error(`unknown scenario ${name} (${Object.keys(SCENARIOS).join(", ")})`);
  const int = (k, d) => (a[k] === undefined ? d : Number.parseInt(a[k], 10));
  const sc = {
    scenario: name,
    bootstrap: a.bootstrap ?? "127.0.0.1:19092",
    clientId: a["client-id"] ?? defaults.clientId,
    seed: int("seed", 42) >>> 0,
    count: int("count", base.count),
    topics: int("topics", base.topics),
    partitions: int("partitions", base.partitions),
    largeBytes: int("large-bytes", base.largeBytes),
    compression: (a.compression ?? defaults.compression).split(","),
    timeoutMs: int("timeout-ms", 120000),
    acks0: int("acks0", defaults.acks0 ?? 0),
    dryRun: a["dry-run"] === "true",
    verbose: a.verbose === "true",
  };
  sc.prefix = a.prefix ?? `e2e-${sc.clientId}-${process.pid}`;
  sc.extra = a;
  return sc;
}

/** parseArgs for a client script: on bad arguments prints the failure summary line and exits 2. */
export function parseArgsOrExit(client, argv, defaults) {
  try {
    return parseArgs(argv, defaults);
  } catch (e) {
    console.log(JSON.stringify({ client, ok: false, errors: [`bad arguments: ${e.message}`] }));
    process.exit(2);
  }
}

/** Per-topic summary entries of a Node client: the expected totals plus its produce/consume counters. */
export function topicStats(sc) {
  const exp = expected(sc);
  const topics = {};
  for (let t = 0; t < sc.topics; t++) {
    topics[topicName(sc, t)] = {
      ...exp[topicName(sc, t)],
      compression: compressionFor(sc, t),
      acks: "all",
      produced: 0,
      consumed: 0,
      consumed_value_bytes: 0,
      headers_checked: 0,
    };
  }
  return topics;
}

/**
 * Runs the round trip unless --dry-run: `produce` (set-up included; returns what `consume` needs,
 * e.g. the end offsets before producing) then `consume`, timed separately. A thrown error is
 * recorded with `fatal(e)`. Returns { produceMs, consumeMs } (0 when not run).
 */
export async function timedRoundTrip(sc, errors, produce, consume, fatal) {
  let produceMs = 0;
  let consumeMs = 0;
  if (sc.dryRun) return { produceMs, consumeMs };
  try {
    const a = Date.now();
    const state = await produce();
    const b = Date.now();
    produceMs = b - a;
    await consume(state);
    consumeMs = Date.now() - b;
  } catch (e) {
    errors.push(fatal(e));
  }
  return { produceMs, consumeMs };
}

export function compressionFor(sc, t) {
  return sc.compression[t % sc.compression.length];
}

/** Prints the one-line JSON summary every client ends with, and exits 0 only when all verified. */
export function finish(client, sc, topics, errors, timings) {
  const ok = errors.length === 0;
  console.log(
    JSON.stringify({
      client,
      ok,
      client_id: sc.clientId,
      bootstrap: sc.bootstrap,
      scenario: sc.scenario,
      seed: sc.seed,
      dry_run: sc.dryRun,
      topics,
      produce_ms: timings.produceMs,
      consume_ms: timings.consumeMs,
      elapsed_ms: Date.now() - timings.t0,
      errors: errors.length > 50 ? [...errors.slice(0, 50), `... ${errors.length - 50} more`] : errors,
    }),
  );
  process.exit(ok ? 0 : 1);
}
