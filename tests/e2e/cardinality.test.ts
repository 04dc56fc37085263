// Label cardinality through the compiled module: thousands of distinct client ids and topic names
// must not create thousands of series. Values past the configured cap go to `other`, the overflow
// is counted, and hostile values cannot forge labels. Runs real Envoy in front of a recording echo
// upstream (the frames are hand-built; what is tested is the filter's labelling, not the broker).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startEnvoy, type RunningEnvoy } from '../envoy/envoy.ts';
import { startRecordingUpstream, type RecordingUpstream } from '../lib/recording_upstream.ts';
import { assertNoVmFailure } from './filter_envoy.ts';
import { parsePrometheus, total, find } from './prom.ts';

const MAX_CLIENT_IDS = 50;
const MAX_TOPICS = 20;
let upstream: RecordingUpstream;
let envoy: RunningEnvoy;

before(async () => {
  upstream = await startRecordingUpstream();
  envoy = await startEnvoy({ upstreamPort: upstream.port, pluginConfig: { metrics: { max_client_ids: MAX_CLIENT_IDS, max_topics: MAX_TOPICS } } });
});

after(async () => {
  await envoy?.close();
  await upstream?.close();
});

const i16 = (v: number) => { const b = Buffer.alloc(2); b.writeInt16BE(v); return b; };
const i32 = (v: number) => { const b = Buffer.alloc(4); b.writeInt32BE(v); return b; };
const str = (s: string) => Buffer.concat([i16(Buffer.byteLength(s)), Buffer.from(s)]);
const frame = (body: Buffer) => Buffer.concat([i32(body.length), body]);

/** ApiVersions v0 request (header v1, empty body). */
function apiVersions(correlationId: number, clientId: string): Buffer {
  return frame(Buffer.concat([i16(18), i16(0), i32(correlationId), str(clientId)]));
}

/** Produce v3 request with one topic, one partition and a null record set. */
function produce(correlationId: number, clientId: string, topic: string): Buffer {
  return frame(Buffer.concat([i16(0), i16(3), i32(correlationId), str(clientId), i16(-1), i16(1), i32(1000), i32(1), str(topic), i32(1), i32(0), i32(-1)]));
}

async function send(data: Buffer): Promise<void> {
  const sock = net.connect(envoy.port, '127.0.0.1');
  await new Promise<void>((r) => sock.once('connect', () => r()));
  let n = 0;
  await new Promise<void>((resolve) => {
    sock.on('data', (d) => {
      n += d.length;
      if (n >= data.length) resolve();
    });
    sock.write(data);
  });
  sock.destroy();
}

test('hostile label values cannot forge labels', async () => {
  await send(produce(500, 'evil;.;client_id=.=admin', 'x=.=y;.;api=.=Fetch'));
  const series = parsePrometheus(await envoy.prometheus());
  const forged = find(series, 'kafka_produce_records_total', { client_id: 'evil_._client_id_._admin' });
  assert.equal(forged.length, 1, 'the hostile value is kept, sanitised, as one label value');
  assert.equal(forged[0].labels.topic, 'x_._y_._api_._Fetch');
  assert.equal(find(series, 'kafka_requests_total', { client_id: 'admin' }).length, 0, 'no forged client_id label');
  assert.equal(find(series, 'kafka_requests_total', { api: 'Fetch' }).length, 0, 'no forged api label');
});

test('3000 client ids over 300 connections: at most the cap plus "other"', async () => {
  for (let c = 0; c < 300; c++) {
    const frames: Buffer[] = [];
    for (let k = 0; k < 10; k++) frames.push(apiVersions(k, `tenant-${c}-app-${k}`));
    await send(Buffer.concat(frames));
  }
  const series = parsePrometheus(await envoy.prometheus());
  const clients = new Set(find(series, 'kafka_requests_total').map((s) => s.labels.client_id));
  assert.ok(clients.size <= MAX_CLIENT_IDS + 1, `${clients.size} distinct client_id values`);
  assert.ok(clients.has('other'), 'values past the cap are reported as other');
  assert.equal(total(series, 'kafka_requests_total', { api: 'ApiVersions' }), 3000, 'every request still counted');
  assert.equal(total(series, 'kafka_label_overflow_total', { reason: 'client_id' }), 3000 - (MAX_CLIENT_IDS - 1), 'one slot was taken by the first test');
  assertNoVmFailure(envoy);
});

test('topics past the cap go to other, and every label value is sanitised', async () => {
  const frames: Buffer[] = [];
  for (let t = 0; t < 200; t++) frames.push(produce(t, 'producer', `topic-${t}`));
  await send(Buffer.concat(frames));
  const series = parsePrometheus(await envoy.prometheus());
  const topics = new Set(find(series, 'kafka_produce_records_total').map((s) => s.labels.topic));
  assert.ok(topics.size <= MAX_TOPICS + 1, `${topics.size} distinct topic values`);
  assert.ok(topics.has('other'));
  for (const s of series.filter((x) => x.name.startsWith('kafka_'))) {
    for (const [k, v] of Object.entries(s.labels)) {
      assert.ok(/^[A-Za-z0-9._+-]*$/.test(v) || k === 'le', `label ${k}="${v}" on ${s.name} is not sanitised`);
    }
  }
});

test('made-up API versions do not mint series', async () => {
  const frames: Buffer[] = [];
  for (let v = 100; v < 1100; v++) frames.push(frame(Buffer.concat([i16(0), i16(v), i32(v), str('versions-probe')])));
  await send(Buffer.concat(frames));
  const series = parsePrometheus(await envoy.prometheus());
  const versions = find(series, 'kafka_requests_total').filter((s) => s.labels.api === 'unknown' || s.labels.api_version === 'unknown');
  assert.equal(versions.length, 1, JSON.stringify(versions.slice(0, 3)));
  assert.equal(versions[0].value, 1000);
  assert.equal(versions[0].labels.api_version, 'unknown');
});
