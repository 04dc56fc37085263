// End-to-end with Envoy's per-worker VMs: the compiled filter in the host with two workers (two
// VMs, one stats store, one shared-data store) in front of the real broker, driven by the Java
// client. Its consumer fetches with Fetch v18, which names topics by id only; the filter learns
// id -> name from Metadata responses and shares it with the other worker's VM through Envoy shared
// data (assembly/filter/vm_state.ts), so every fetched record must be counted under its topic name
// whichever worker saw the Metadata response. Needs `make test-e2e` (the broker advertises the
// host's port).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { type RunningHost } from '../host/index.ts';
import { BOOTSTRAP, KAFKA_PORT, startFilterHost } from './filter_host.ts';
import { parsePrometheus, total, find, type Series } from './prom.ts';
import net from 'node:net';
import { runClient, type ClientSummary } from './clients.ts';

const RUN = `wk${Date.now().toString(36)}`;

let host: RunningHost;
let javaSummary: ClientSummary | undefined;

before(async () => {
  host = await startFilterHost({ metrics: { max_topics: 500, max_client_ids: 50 } }, { workers: 2 });
});

after(async () => {
  await host?.close();
});

test('java with two workers: topic ids resolved across VMs, counts summed over workers match the client', async () => {
  assert.equal(host.workers.length, 2);
  const { summary, stderr } = await runClient('java', BOOTSTRAP, `${RUN}.java`);
  javaSummary = summary;
  assert.ok(summary.ok, `java failed: ${JSON.stringify(summary.errors)}\n${stderr.slice(-3000)}`);
  await new Promise((r) => setTimeout(r, 300));
  const series: Series[] = parsePrometheus(await host.prometheus());

  for (const [w, vm] of host.workers.entries()) assert.equal(vm.failed, null, `worker ${w}: the VM never failed (${vm.failMessage})`);
  const perWorker = host.connectionsPerWorker();
  assert.ok(perWorker.every((n) => n > 0), `connections spread over both workers: ${JSON.stringify(perWorker)}`);

  // no record, byte or offset series left without a topic name
  const unresolved = series.filter((s) => s.labels.topic === 'unresolved');
  assert.deepEqual(unresolved, [], `series with topic="unresolved": ${JSON.stringify(unresolved.slice(0, 5))}`);

  const client = summary.client_id;
  let sent = 0;
  for (const [topic, t] of Object.entries(summary.topics)) {
    sent += t.messages;
    assert.equal(t.consumed, t.messages, `${topic}: consumed ${t.consumed} of ${t.messages}`);
    const produced = total(series, 'kafka_produce_records_total', { topic });
    assert.equal(produced, t.messages, `${topic}: produce records over both workers ${produced}, client sent ${t.messages}`);
    assert.equal(total(series, 'kafka_produce_records_total', { topic, client_id: client }), t.messages);
    const fetched = total(series, 'kafka_fetch_records_total', { topic });
    assert.equal(fetched, t.messages, `${topic}: fetch records over both workers ${fetched}, client consumed ${t.messages}`);
    // one series per topic and client (one stat shared by both VMs, not one per VM)
    assert.equal(find(series, 'kafka_fetch_records_total', { topic }).length, 1, `${topic}: one fetch series`);
    assert.equal(total(series, 'kafka_consumer_lag', { topic, client_id: client }), 0, `${topic}: lag 0`);
  }
  assert.ok(sent > 0, 'the client produced something');
  assert.equal(total(series, 'kafka_produce_records_total'), sent, 'all produced records counted, under their topics');
  assert.equal(total(series, 'kafka_fetch_records_total'), sent, 'all fetched records counted, under their topics');

  assert.equal(total(series, 'kafka_frames_malformed_total'), 0, 'no malformed frames');
  assert.equal(total(series, 'kafka_framing_lost_total'), 0, 'framing never lost');
  assert.equal(total(series, 'kafka_unmatched_responses_total'), 0, 'every response matched a request');
  assert.ok(total(series, 'kafka_requests_total', { api: 'Fetch', client_id: client }) > 0, 'Fetch requests seen');
  const fetchVersions = new Set(find(series, 'kafka_requests_total', { api: 'Fetch', client_id: client }).map((s) => s.labels.api_version));
  assert.ok(fetchVersions.has('18'), `the Java consumer used Fetch v18 (topic ids): ${[...fetchVersions]}`);
  assert.equal(total(series, 'envoy_tcp_downstream_cx_total', { tcp_prefix: 'kafka' }), perWorker[0] + perWorker[1], 'one process-wide tcp_proxy stat');
  // not asserted: whether a VM needed the other's Metadata depends on which connections the
  // client used for Metadata and Fetch (the probe below forces that case)
  const crossReads = host.workers.map((vm) => vm.sharedDataReadsFromOtherVms);
  console.log(`workers: connections per worker ${JSON.stringify(perWorker)}; ${sent} records produced and fetched, all under topic names; shared-data reads of values the other VM wrote, per worker: ${JSON.stringify(crossReads)}`);
});

// ---------------------------------------------------------------- a deterministic cross-VM probe
// The Java run above may well see Metadata and Fetch for a topic on the same worker. Here the
// order is forced with hand-built frames on a fresh host (own vm_id, so its shared data is empty):
// a Fetch v18 by topic id on worker 0 before any VM saw the id (control: "unresolved"), Metadata
// v12 through worker 1 (its VM learns the id and stores it in shared data), then the same Fetch on
// worker 0 again: its VM has never seen a Metadata response, so the name can only come from the
// shared data worker 1's VM wrote.

const uvarint = (v: number) => { const o: number[] = []; while (v >= 0x80) { o.push((v & 0x7f) | 0x80); v >>>= 7; } o.push(v); return Buffer.from(o); };
const i8 = (v: number) => Buffer.from([v & 0xff]);
const i16 = (v: number) => { const b = Buffer.alloc(2); b.writeInt16BE(v); return b; };
const i32 = (v: number) => { const b = Buffer.alloc(4); b.writeInt32BE(v); return b; };
const i64 = (v: bigint) => { const b = Buffer.alloc(8); b.writeBigInt64BE(v); return b; };
const compactString = (s: string) => Buffer.concat([uvarint(Buffer.byteLength(s) + 1), Buffer.from(s)]);
const NO_TAGS = uvarint(0);

/** Request header v2 (flexible) + body, length-prefixed. */
function request(apiKey: number, version: number, correlationId: number, clientId: string, body: Buffer): Buffer {
  const clientIdBytes = Buffer.from(clientId);
  const msg = Buffer.concat([i16(apiKey), i16(version), i32(correlationId), i16(clientIdBytes.length), clientIdBytes, NO_TAGS, body]);
  return Buffer.concat([i32(msg.length), msg]);
}

/** Metadata v12 for one topic by name, no auto-creation. */
function metadataRequest(topic: string, clientId: string): Buffer {
  return request(3, 12, 1, clientId, Buffer.concat([uvarint(2), Buffer.alloc(16), compactString(topic), NO_TAGS, i8(0), i8(0), NO_TAGS]));
}

/** Fetch v18, sessionless, every partition of one topic id from offset 0. */
function fetchRequest(topicId: Buffer, partitions: number, clientId: string): Buffer {
  const parts: Buffer[] = [uvarint(partitions + 1)];
  for (let p = 0; p < partitions; p++) parts.push(i32(p), i32(-1), i64(0n), i32(-1), i64(-1n), i32(32 << 20), NO_TAGS);
  return request(1, 18, 2, clientId, Buffer.concat([
    i32(100), i32(0), i32(64 << 20), i8(0), i32(0), i32(-1),
    uvarint(2), topicId, ...parts, NO_TAGS,
    uvarint(1), compactString(''), NO_TAGS,
  ]));
}

/** Sends one request frame and returns the response frame's payload (after the length). */
function exchange(port: number, frame: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => { s.destroy(); reject(new Error('no response')); }, 10_000);
    s.on('error', (e) => { clearTimeout(timer); reject(e); });
    s.on('connect', () => s.write(frame));
    s.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
        clearTimeout(timer);
        s.end();
        s.once('close', () => resolve(buf.subarray(4, 4 + buf.readInt32BE(0))));
      }
    });
  });
}

/** The topic id in a Metadata v12 response for one topic (response header v1). */
function topicIdFromMetadata(resp: Buffer): Buffer {
  let o = 4; // correlation id
  const uv = () => { let v = 0, shift = 0, b: number; do { b = resp[o++]; v |= (b & 0x7f) << shift; shift += 7; } while (b & 0x80); return v >>> 0; };
  const skipTags = () => { for (let n = uv(); n > 0; n--) { uv(); o += uv(); } };
  const skipCompact = () => { const n = uv(); if (n > 0) o += n - 1; };
  skipTags(); // response header
  o += 4; // throttle time
  for (let n = uv() - 1; n > 0; n--) { o += 4; skipCompact(); o += 4; skipCompact(); skipTags(); } // brokers
  skipCompact(); // cluster id
  o += 4; // controller id
  assert.equal(uv() - 1, 1, 'one topic in the Metadata response');
  assert.equal(resp.readInt16BE(o), 0, 'topic error code');
  o += 2;
  skipCompact(); // name
  return resp.subarray(o, o + 16);
}

test('cross-VM topic ids: a Fetch on worker 0 is named by the Metadata worker 1 saw (shared data), deterministically', async (t) => {
  if (!javaSummary) return t.skip('needs the Java run');
  const [topic, info] = Object.entries(javaSummary.topics)[0];
  const probe = await startFilterHost({ metrics: { max_topics: 500, max_client_ids: 50 } }, {
    listen: '127.0.0.1:0',
    workers: 2,
    vmId: `workers-probe-${RUN}`, // fresh shared-data namespace
  });
  try {
    // the id straight from the broker: no VM sees this exchange
    const topicId = topicIdFromMetadata(await exchange(KAFKA_PORT, metadataRequest(topic, 'workers-probe')));
    assert.notDeepEqual(topicId, Buffer.alloc(16), 'the broker has a topic id');
    const fetch = (clientId: string) => fetchRequest(topicId, info.partitions, clientId);

    await exchange(probe.port, fetch('workers-probe-control')); // worker 0, id unknown everywhere
    await exchange(probe.port, metadataRequest(topic, 'workers-probe')); // worker 1 learns the id
    await exchange(probe.port, fetch('workers-probe')); // worker 0 again
    assert.deepEqual(probe.connectionsPerWorker(), [2, 1]);
    assert.ok(probe.workers[0].sharedDataReadsFromOtherVms > 0, 'worker 0 read what worker 1 wrote');
    for (const vm of probe.workers) assert.equal(vm.failed, null);

    const series = parsePrometheus(await probe.prometheus());
    const control = total(series, 'kafka_fetch_records_total', { topic: 'unresolved', client_id: 'workers-probe-control' });
    assert.ok(control > 0, `control: before any Metadata the fetched records are unresolved (${control})`);
    const named = total(series, 'kafka_fetch_records_total', { topic, client_id: 'workers-probe' });
    assert.equal(named, control, `worker 0 named ${named} fetched records "${topic}" from worker 1's shared data (control fetched ${control})`);
    assert.equal(total(series, 'kafka_fetch_records_total', { topic: 'unresolved', client_id: 'workers-probe' }), 0);
    console.log(`cross-VM probe: ${named} records of ${topic} fetched on worker 0, named from worker 1's Metadata via shared data`);
  } finally {
    await probe.close();
  }
});
