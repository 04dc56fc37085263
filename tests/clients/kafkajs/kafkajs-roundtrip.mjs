#!/usr/bin/env node
// End-to-end Kafka client in pure JavaScript: kafkajs 2.2.4 (from the repo's node_modules).
// Creates the topics with the admin client, produces the seeded messages of
// tests/clients/lib/gen.mjs (acks=-1, gzip or none: kafkajs only ships a GZIP codec), consumes
// them back with a consumer group (classic protocol), verifies key, value, headers, partition and
// per-partition order, and prints ONE JSON summary line on stdout. Exit 0 only when all verified.
//
//   node tests/clients/kafkajs/kafkajs-roundtrip.mjs --bootstrap 127.0.0.1:19092 --scenario standard \
//        --prefix mytest [--seed 42] [--count N] [--topics N] [--partitions N] [--large-bytes N]
//        [--compression gzip,none] [--client-id e2e-kafkajs] [--timeout-ms 120000] [--dry-run]
import { createRequire } from "node:module";
import {
  compressionFor, finish, indexOfKey, message, parseArgsOrExit, timedRoundTrip, topicName, topicStats,
} from "../lib/gen.mjs";

const require = createRequire(import.meta.url);
const { Kafka, CompressionTypes, logLevel, Partitioners } = require("kafkajs");

const t0 = Date.now();
const errors = [];
const sc = parseArgsOrExit("kafkajs", process.argv.slice(2), { clientId: "e2e-kafkajs", compression: "gzip,none,gzip" });

const CODECS = { gzip: CompressionTypes.GZIP, none: CompressionTypes.None };
for (const c of sc.compression) {
  if (!(c in CODECS)) {
    console.log(JSON.stringify({ client: "kafkajs", ok: false, errors: [`compression ${c} not available in kafkajs (gzip, none)`] }));
    process.exit(2);
  }
}

// kafkajs logs to stdout by default; stdout is reserved for the summary line.
const logCreator = () => ({ namespace, level, log }) => {
  const { message: msg, ...extra } = log;
  console.error(`[kafkajs ${namespace}] ${msg} ${JSON.stringify(extra)}`);
};

const kafka = new Kafka({
  clientId: sc.clientId,
  brokers: sc.bootstrap.split(","),
  logLevel: sc.verbose ? logLevel.INFO : logLevel.WARN,
  logCreator,
  connectionTimeout: 10000,
  requestTimeout: 60000,
  retry: { retries: 8, initialRetryTime: 200 },
});

const topics = topicStats(sc);

async function setup() {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const create = [];
    for (let t = 0; t < sc.topics; t++) {
      const name = topicName(sc, t);
      if (!existing.has(name))
        create.push({ topic: name, numPartitions: sc.partitions, replicationFactor: 1,
          configEntries: [{ name: "max.message.bytes", value: "10485760" }] });
    }
    if (create.length) await admin.createTopics({ topics: create, waitForLeaders: true });
    const starts = [];
    for (let t = 0; t < sc.topics; t++) {
      // right after creation the leader may not be known everywhere yet (NOT_LEADER_OR_FOLLOWER,
      // UNKNOWN_TOPIC_OR_PARTITION): kafkajs does not retry these here, so retry for a while
      let offs;
      for (let attempt = 0; ; attempt++) {
        try {
          offs = await admin.fetchTopicOffsets(topicName(sc, t));
          break;
        } catch (e) {
          if (attempt >= 50 || !e.retriable) throw e;
          await new Promise((res) => setTimeout(res, 200));
        }
      }
      const m = new Map(offs.map((o) => [o.partition, Number(o.high)]));
      starts.push(m);
    }
    return starts;
  } finally {
    await admin.disconnect();
  }
}

async function produce() {
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
  await producer.connect();
  try {
    for (let t = 0; t < sc.topics; t++) {
      const name = topicName(sc, t);
      const compression = CODECS[compressionFor(sc, t)];
      // send in chunks (awaited in turn, so per-partition order holds) to keep requests well below limits
      for (let from = 0; from < sc.count; from += 50) {
        const messages = [];
        for (let i = from; i < Math.min(sc.count, from + 50); i++) {
          const m = message(sc, t, i);
          messages.push({ key: m.key, value: m.value, partition: m.partition,
            headers: { seq: String(i), src: sc.clientId } });
        }
        try {
          await producer.send({ topic: name, acks: -1, timeout: 30000, compression, messages });
          topics[name].produced += messages.length;
        } catch (e) {
          errors.push(`${name} #${from}..: produce failed: ${e.name}: ${e.message}`);
        }
      }
    }
  } finally {
    await producer.disconnect();
  }
}

async function consume(starts) {
  const consumer = kafka.consumer({
    groupId: `${sc.clientId}.${sc.prefix}`,
    maxBytesPerPartition: 4 * 1024 * 1024,
    maxBytes: 32 * 1024 * 1024,
    sessionTimeout: 30000,
    heartbeatInterval: 3000,
    allowAutoTopicCreation: false,
  });
  const byName = new Map();
  for (let t = 0; t < sc.topics; t++) byName.set(topicName(sc, t), t);
  const total = sc.topics * sc.count;
  let got = 0;
  const seen = new Set();
  const last = new Map();
  let finish;
  const done = new Promise((res) => (finish = res));
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [...byName.keys()], fromBeginning: true });
    await consumer.run({
      autoCommit: true,
      eachMessage: async ({ topic, partition, message: rec }) => {
        const t = byName.get(topic);
        const where = `${topic}/${partition}@${rec.offset}`;
        if (Number(rec.offset) < (starts[t].get(partition) ?? 0)) return;
        const key = rec.key ? rec.key.toString("latin1") : "";
        const i = indexOfKey(key);
        if (i < 0 || i >= sc.count) {
          errors.push(`${where}: bad key ${key}`);
          return;
        }
        if (seen.has(`${t}/${i}`)) {
          errors.push(`${where}: duplicate message #${i}`);
          return;
        }
        seen.add(`${t}/${i}`);
        const m = message(sc, t, i);
        const st = topics[topic];
        if (!rec.key || !rec.key.equals(m.key)) errors.push(`${where}: key mismatch for #${i}`);
        if (!rec.value || !rec.value.equals(m.value))
          errors.push(`${where}: value mismatch for #${i} (got ${rec.value?.length ?? "null"} bytes, want ${m.value.length})`);
        if (partition !== m.partition) errors.push(`${where}: #${i} in partition ${partition}, want ${m.partition}`);
        const seq = rec.headers?.seq?.toString();
        const src = rec.headers?.src?.toString();
        if (seq !== String(i) || src !== sc.clientId) errors.push(`${where}: headers mismatch for #${i} (seq=${seq}, src=${src})`);
        else st.headers_checked++;
        const lk = `${topic}/${partition}`;
        const prev = last.get(lk);
        if (prev !== undefined && prev >= i) errors.push(`${where}: out of order, #${i} after #${prev}`);
        last.set(lk, i);
        st.consumed++;
        st.consumed_value_bytes += rec.value?.length ?? 0;
        if (++got >= total) finish(true);
      },
    });
    const timer = setTimeout(() => finish(false), sc.timeoutMs);
    const complete = await done;
    clearTimeout(timer);
    if (!complete) errors.push(`timeout after ${sc.timeoutMs} ms: consumed ${got} of ${total}`);
  } finally {
    await consumer.disconnect();
  }
  for (const [name, st] of Object.entries(topics))
    if (st.consumed !== sc.count) errors.push(`${name}: consumed ${st.consumed} of ${sc.count} messages`);
}

const { produceMs, consumeMs } = await timedRoundTrip(
  sc, errors,
  async () => {
    const starts = await setup();
    await produce();
    return starts;
  },
  consume,
  (e) => `fatal: ${e.name ?? "Error"}: ${e.message ?? e}`,
);
finish("kafkajs", sc, topics, errors, { produceMs, consumeMs, t0 });
