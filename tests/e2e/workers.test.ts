// End-to-end with Envoy's per-worker VMs: the compiled filter in real Envoy with --concurrency 2
// and 4 (one VM per worker, one process-wide stats store and shared-data store) in front of the
// real broker, driven by the Java client. Its consumer fetches with Fetch v18, which names topics
// by id only; the filter learns id -> name from Metadata responses and shares it with the other
// workers' VMs through Envoy shared data (assembly/filter/vm_state.ts), so every fetched record
// must be counted under its topic name whichever worker saw the Metadata response. Needs
// `make test-e2e` (the broker advertises Envoy's port).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { BOOTSTRAP, KAFKA_PORT, startFilterEnvoy, assertNoVmFailure, type FilterEnvoy } from './filter_envoy.ts';
import { total, find, type Series } from './prom.ts';
import { runClient, type ClientSummary } from './clients.ts';

const RUN = `wk${Date.now().toString(36)}`;
const METRICS = { metrics: { max_topics: 500, max_client_ids: 50 } };

let envoy: FilterEnvoy | undefined;
let javaSummary: ClientSummary | undefined;

after(async () => {
  await envoy?.close();
});

for (const concurrency of [2, 4]) {
  test(`java with ${concurrency} workers: topic ids resolved across VMs, counts summed over workers match the client`, async () => {
    envoy = await startFilterEnvoy(METRICS, { concurrency, vmId: `workers-${RUN}-${concurrency}` });
    try {
      const { summary, stderr } = await runClient('java', BOOTSTRAP, `${RUN}.c${concurrency}.java`);
      javaSummary = summary;
      assert.ok(summary.ok, `java failed: ${JSON.stringify(summary.errors)}\n${stderr.slice(-3000)}`);
      await envoy.flushed();
      const series: Series[] = await envoy.series();
      assertNoVmFailure(envoy);
      const perWorker = await envoy.connectionsPerWorker();
      assert.equal(perWorker.length, concurrency, `Envoy reports ${concurrency} workers: ${JSON.stringify(perWorker)}`);

      // no record, byte or offset series left without a topic name
      const unresolved = series.filter((s) => s.labels.topic === 'unresolved');
      assert.deepEqual(unresolved, [], `series with topic="unresolved": ${JSON.stringify(unresolved.slice(0, 5))}`);

      const client = summary.client_id;
      let sent = 0;
      for (const [topic, t] of Object.entries(summary.topics)) {
        sent += t.messages;
        assert.equal(t.consumed, t.messages, `${topic}: consumed ${t.consumed} of ${t.messages}`);
        const produced = total(series, 'kafka_produce_records_total', { topic });
        assert.equal(produced, t.messages, `${topic}: produce records over all workers ${produced}, client sent ${t.messages}`);
        assert.equal(total(series, 'kafka_produce_records_total', { topic, client_id: client }), t.messages);
        const fetched = total(series, 'kafka_fetch_records_total', { topic });
        assert.equal(fetched, t.messages, `${topic}: fetch records over all workers ${fetched}, client consumed ${t.messages}`);
        // one series per topic and client (one stat shared by every VM, not one per VM)
        assert.equal(find(series, 'kafka_fetch_records_total', { topic }).length, 1, `${topic}: one fetch series`);
        assert.equal(total(series, 'kafka_consumer_lag', { topic, client_id: client }), 0, `${topic}: lag 0`);
      }
      assert.ok(sent > 0, 'the client produced something');
      assert.equal(total(series, 'kafka_produce_records_total'), sent, 'all produced records counted, under their topics');
      assert.equal(total(series, 'kafka_fetch_records_total'), sent, 'all fetched records counted, under their topics');

      assert.equal(total(series, 'kafka_frames_malformed_total'), 0, 'no malformed frames');
      assert.equal(total(series, 'kafka_framing_lost_total'), 0, 'framing never lost');
      assert.equal(total(series, 'kafka_unmatched_responses_total'), 0, 'every response matched a request');
      const fetchVersions = new Set(find(series, 'kafka_requests_total', { api: 'Fetch', client_id: client }).map((s) => s.labels.api_version));
      assert.ok(fetchVersions.has('18'), `the Java consumer used Fetch v18 (topic ids): ${[...fetchVersions]}`);
      const connections = perWorker.reduce((a, b) => a + b, 0);
      assert.equal(total(series, 'kafka_connections_total'), connections, `the filter counted every connection Envoy accepted (${JSON.stringify(perWorker)})`);
      console.log(`workers (Envoy ${envoy.version}, --concurrency ${concurrency}): connections per worker ${JSON.stringify(perWorker)}; ${sent} records produced and fetched, all under topic names`);
    } finally {
      await envoy.close();
      envoy = undefined;
    }
  });
}

// ---------------------------------------------------------------- a deterministic cross-VM probe
// The Java runs above may well see Metadata and Fetch for a topic on the same worker. Here the
// order is forced with hand-built frames on a fresh Envoy (own vm_id, so its shared data is
// empty) with two workers and exact connection balancing: connection A sends a Fetch v18 by topic
// id before any VM saw the id (control: "unresolved") and stays open; connection B, opened while A
// is, lands on the other worker, sends Metadata v12 and its VM learns the id and stores it in
// shared data; then A sends the same Fetch again: A's VM never saw a Metadata response, so the
// name can only come from the shared data B's VM wrote.

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

/** A client connection that sends one request at a time and returns each response's payload. */
class KafkaConnection {
  private buf = Buffer.alloc(0);
  private waiting: ((b: Buffer) => void) | null = null;
  private constructor(private sock: net.Socket) {
    sock.on('data', (d) => {
      this.buf = Buffer.concat([this.buf, d]);
      if (this.waiting && this.buf.length >= 4 && this.buf.length >= 4 + this.buf.readInt32BE(0)) {
        const len = this.buf.readInt32BE(0);
        const payload = this.buf.subarray(4, 4 + len);
        this.buf = this.buf.subarray(4 + len);
        const w = this.waiting;
        this.waiting = null;
        w(payload);
      }
    });
  }
  static open(port: number): Promise<KafkaConnection> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('error', reject);
      s.once('connect', () => resolve(new KafkaConnection(s)));
    });
  }
  exchange(frame: Buffer): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no response in 10 s')), 10_000);
      this.waiting = (b) => { clearTimeout(timer); resolve(b); };
      this.sock.write(frame);
    });
  }
  close(): void { this.sock.destroy(); }
}

/** One request on a connection of its own. */
async function exchangeOnce(port: number, frame: Buffer): Promise<Buffer> {
  const c = await KafkaConnection.open(port);
  try { return await c.exchange(frame); } finally { c.close(); }
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

test('cross-VM topic ids: a Fetch on one worker is named by the Metadata another worker saw (shared data), deterministically', async (t) => {
  if (!javaSummary) return t.skip('needs a Java run');
  const [topic, info] = Object.entries(javaSummary.topics)[0];
  envoy = await startFilterEnvoy(METRICS, { listenPort: 0, concurrency: 2, exactBalance: true, vmId: `workers-probe-${RUN}` });
  const probe = envoy;
  // the id straight from the broker: no VM sees this exchange
  const topicId = topicIdFromMetadata(await exchangeOnce(KAFKA_PORT, metadataRequest(topic, 'workers-probe')));
  assert.notDeepEqual(topicId, Buffer.alloc(16), 'the broker has a topic id');
  const fetch = (clientId: string) => fetchRequest(topicId, info.partitions, clientId);

  const a = await KafkaConnection.open(probe.port);
  const b = await KafkaConnection.open(probe.port).catch((e) => { a.close(); throw e; });
  try {
    await a.exchange(fetch('workers-probe-control')); // id unknown everywhere
    await b.exchange(metadataRequest(topic, 'workers-probe')); // the other worker learns the id
    await a.exchange(fetch('workers-probe')); // A's worker again
    const perWorker = await probe.connectionsPerWorker();
    assert.deepEqual([...perWorker].sort(), [1, 1], `A and B on different workers: ${JSON.stringify(perWorker)}`);
  } finally {
    a.close();
    b.close();
  }
  assertNoVmFailure(probe);
  const series = await probe.series();
  const control = total(series, 'kafka_fetch_records_total', { topic: 'unresolved', client_id: 'workers-probe-control' });
  assert.ok(control > 0, `control: before any Metadata the fetched records are unresolved (${control})`);
  const named = total(series, 'kafka_fetch_records_total', { topic, client_id: 'workers-probe' });
  assert.equal(named, control, `A's worker named ${named} fetched records "${topic}" from the other worker's shared data (control fetched ${control})`);
  assert.equal(total(series, 'kafka_fetch_records_total', { topic: 'unresolved', client_id: 'workers-probe' }), 0);
  console.log(`cross-VM probe (Envoy ${probe.version}): ${named} records of ${topic} fetched on one worker, named from the other worker's Metadata via shared data`);
});
