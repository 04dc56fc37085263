// What testing with other clients and real Envoy found (issue 14), through the compiled filter in
// real Envoy in front of the real broker (`make test-e2e`: the broker advertises Envoy's port):
//   #1 a client with an empty (not null) client id is counted like a null one, every series there;
//   #2 an ApiVersions probe newer than the broker's maximum is counted under ApiVersions, its v0
//      UNSUPPORTED_VERSION answer decoded and its error counted; unknown keys stay "unknown"; the
//      answer of a broker that does support the probe is an unknown frame, not a malformed one
//      (that test talks to a fake broker, not the real one);
//   #3 kafka_metadata_topics counts the sidecar's distinct topics with 1, 2 and 4 worker VMs.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { BOOTSTRAP, startFilterEnvoy, assertNoVmFailure, type FilterEnvoy } from './filter_envoy.ts';
import { total, find, parsePrometheus, type Series } from './prom.ts';
import { startEnvoy } from '../envoy/envoy.ts';
import net from 'node:net';
import { RawConnection, apiVersionsRequest, fetchRequest, frame, metadataRequest, produceError, produceRequest, requestHeader, validBatch } from './kafka_wire.ts';
import { runClient } from './clients.ts';

const RUN = `fx${Date.now().toString(36)}`;
const run = promisify(execFile);

let envoy: FilterEnvoy | undefined;
afterEach(async () => {
  await envoy?.close();
  envoy = undefined;
});

/** The error code of a response body (after the 4-byte correlation id of a v0 response header). */
function errorCodeOfV0(response: Buffer): number {
  return response.readInt16BE(4);
}

/** The series once every client connection through Envoy has closed (in-flight gauges settle then). */
async function settled(e: FilterEnvoy): Promise<Series[]> {
  for (let i = 0; i < 100; i++) {
    const s = await e.series();
    if (total(s, 'kafka_connections_active') === 0) return s;
    await new Promise((r) => setTimeout(r, 100));
  }
  return e.series();
}

function frameBalance(s: Series[]): void {
  assert.equal(total(s, 'kafka_frames_malformed_total'), 0, `no malformed frames: ${JSON.stringify(find(s, 'kafka_frames_malformed_total'))}`);
  assert.equal(total(s, 'kafka_unmatched_responses_total'), 0, 'every response matched its request');
  assert.equal(total(s, 'kafka_inflight_requests'), 0, 'nothing left in flight');
}

test('#1 empty client id in flexible (v2) headers: ApiVersions, Metadata, Produce and Fetch all counted under client_id="none"', async () => {
  envoy = await startFilterEnvoy({});
  const topic = `${RUN}.empty-id`;
  // The topic, with one record at offset 0, made by another client (its leader is then ready).
  const seed = run('kcat', ['-b', BOOTSTRAP, '-X', 'client.id=e2e-setup', '-P', '-t', topic, '-p', '0'], { timeout: 60_000 });
  seed.child.stdin!.end('seed\n');
  await seed;
  const values = Array.from({ length: 5 }, (_, i) => `value-${i}`);
  const before = await settled(envoy);
  const c = await RawConnection.open(envoy.port);
  await c.write(Buffer.concat([apiVersionsRequest(3, 1, ''), metadataRequest(2, '', [topic])]));
  await c.readFrames(2);
  await c.write(produceRequest(3, '', topic, [validBatch(values)]));
  const produced = await c.readFrames(3);
  assert.equal(produceError(produced[2]), 0, 'the broker took the records');
  await c.write(fetchRequest(4, '', topic, 1n));
  const fetched = await c.readFrames(4);
  assert.ok(values.every((v) => fetched[3].includes(Buffer.from(v))), 'the records came back');
  c.close();

  const s = await settled(envoy);
  frameBalance(s);
  for (const [api, version] of [['ApiVersions', '3'], ['Metadata', '12'], ['Produce', '9'], ['Fetch', '12']]) {
    assert.equal(total(s, 'kafka_requests_total', { api, api_version: version, client_id: 'none' }), 1, `${api} v${version} under client_id="none"`);
    assert.equal(total(s, 'kafka_responses_total', { api }) - total(before, 'kafka_responses_total', { api }), 1, `${api} response matched`);
  }
  assert.equal(total(s, 'kafka_produce_records_total', { topic, client_id: 'none' }), 5, 'produced records counted');
  assert.equal(total(s, 'kafka_produce_batches_total', { topic, client_id: 'none' }), 1);
  assert.equal(total(s, 'kafka_fetch_records_total', { topic, client_id: 'none' }), 5, 'fetched records counted');
  assert.equal(total(s, 'kafka_client_software_total', { client_id: 'none', client_software_name: 'e2e-raw' }), 1, 'client software of the empty-id client');
  assert.ok(total(s, 'kafka_consumer_fetch_offset', { client_id: 'none', topic }) >= 1, 'consumer progress');
  assertNoVmFailure(envoy);
});

test('#1 kafkajs with clientId "" (header v1): every series under client_id="none"', async () => {
  envoy = await startFilterEnvoy({});
  const { summary } = await runClient('kafkajs', BOOTSTRAP, `${RUN}.kjs-empty`, ['--client-id', '']);
  assert.ok(summary.ok, JSON.stringify(summary.errors));
  const s = await settled(envoy);
  frameBalance(s);
  for (const [t, info] of Object.entries(summary.topics)) {
    assert.equal(total(s, 'kafka_produce_records_total', { topic: t, client_id: 'none' }), info.messages, `${t}: produced`);
    assert.ok(total(s, 'kafka_fetch_records_total', { topic: t, client_id: 'none' }) >= info.messages, `${t}: fetched`);
  }
});

test('#2 ApiVersions probe above the broker maximum: counted under ApiVersions v5, UNSUPPORTED_VERSION counted, the retry balances', async () => {
  envoy = await startFilterEnvoy({});
  const c = await RawConnection.open(envoy.port);
  // A newer client probes with v5 (Kafka 4.1.1 knows 0-4): header v2, as Kafka derives it from flexibleVersions 3+.
  await c.write(apiVersionsRequest(5, 11, 'probe-client'));
  const [probe] = await c.readFrames(1);
  assert.equal(probe.readInt32BE(0), 11);
  assert.equal(errorCodeOfV0(probe), 35, 'the broker answers UNSUPPORTED_VERSION (35) in a v0 body');
  await c.write(apiVersionsRequest(4, 12, 'probe-client')); // the retry with the version the broker offered
  const all = await c.readFrames(2);
  assert.equal(errorCodeOfV0(all[1]), 0);
  c.close();
  const s = await settled(envoy);
  frameBalance(s);
  assert.equal(total(s, 'kafka_requests_total', { api: 'ApiVersions', api_version: '5', client_id: 'probe-client' }), 1, 'the probe under its API name and version');
  assert.equal(total(s, 'kafka_requests_total', { api: 'ApiVersions', api_version: '4', client_id: 'probe-client' }), 1);
  assert.equal(total(s, 'kafka_responses_total', { api: 'ApiVersions' }), 2, 'both answered');
  assert.equal(total(s, 'kafka_requests_total', { api: 'unknown' }), 0, 'nothing counted as an unknown API');
  assert.equal(total(s, 'kafka_frames_unknown_total'), 0, 'the probe is no unknown frame (the alert stays quiet)');
  assert.equal(total(s, 'kafka_response_errors_total', { api: 'ApiVersions', error: 'UNSUPPORTED_VERSION' }), 1, 'the error is counted');
  assertNoVmFailure(envoy);
});

test('#2 a broker newer than the tables that supports the probe: its answer is an unknown response frame, not malformed (fake broker)', async () => {
  // A fake broker that answers ApiVersions v5 as a v5-supporting broker would: a flexible body
  // (error 0, compact array of api keys, throttle time, tags) after a v0 header.
  const server = net.createServer((sock) => {
    let pending = Buffer.alloc(0);
    sock.on('data', (d) => {
      pending = Buffer.concat([pending, d]);
      while (pending.length >= 4 && pending.length >= 4 + pending.readInt32BE(0)) {
        const req = pending.subarray(4, 4 + pending.readInt32BE(0));
        pending = pending.subarray(4 + req.length);
        const body = Buffer.from([0, 0, 3, 0, 18, 0, 0, 0, 5, 0, 0, 3, 0, 0, 0, 13, 0, 0, 0, 0, 0, 0]);
        const head = Buffer.alloc(4);
        head.writeInt32BE(req.readInt32BE(4)); // correlation id
        sock.write(frame(Buffer.concat([head, body])));
      }
    });
    sock.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const e = await startEnvoy({ upstreamPort: (server.address() as net.AddressInfo).port, pluginConfig: {} });
  try {
    const c = await RawConnection.open(e.port);
    await c.write(apiVersionsRequest(5, 21, 'new-client'));
    await c.readFrames(1);
    c.close();
    await new Promise((r) => setTimeout(r, 300));
    const s = parsePrometheus(await e.prometheus());
    assert.equal(total(s, 'kafka_requests_total', { api: 'ApiVersions', api_version: '5' }), 1);
    assert.equal(total(s, 'kafka_responses_total', { api: 'ApiVersions' }), 1, 'the answer matched the probe');
    assert.equal(total(s, 'kafka_frames_malformed_total'), 0, 'not malformed');
    assert.equal(total(s, 'kafka_frames_unknown_total', { direction: 'response' }), 1, 'an answer outside the tables');
    assert.equal(total(s, 'kafka_response_errors_total'), 0);
    assertNoVmFailure(e);
  } finally {
    await e.close();
    server.close();
  }
});

test('#2 a key the tables do not have stays api="unknown" and is an unknown frame', async () => {
  envoy = await startFilterEnvoy({});
  const c = await RawConnection.open(envoy.port);
  await c.write(apiVersionsRequest(3, 1, 'odd-client'));
  await c.readFrames(1);
  await c.write(frame(Buffer.concat([requestHeader(999, 0, 2, 'odd-client', false), Buffer.alloc(6)])));
  await c.until(() => c.closed, 5000); // Kafka closes a connection that sends an unknown API key
  c.close();
  const s = await settled(envoy);
  assert.equal(total(s, 'kafka_requests_total', { api: 'unknown', api_version: 'unknown', client_id: 'odd-client' }), 1);
  assert.equal(total(s, 'kafka_frames_unknown_total', { direction: 'request' }), 1);
  assert.equal(total(s, 'kafka_frames_malformed_total', { reason: 'header' }) + total(s, 'kafka_frames_malformed_total', { reason: 'body' }), 0);
});

for (const workers of [1, 2, 4]) {
  test(`#3 kafka_metadata_topics with ${workers} worker VM(s): the sidecar's distinct topics at every reading`, async () => {
    // Metadata responses name requested topics (the broker auto-creates them) even before they have a leader.
    const topics = Array.from({ length: 6 }, (_, i) => `${RUN}.w${workers}.topic-${i}`);
    envoy = await startFilterEnvoy({}, { concurrency: workers, exactBalance: true, vmId: `field-${RUN}-${workers}` });
    // 8 connections open at once, so exact balancing spreads them over every worker.
    const conns = await Promise.all(Array.from({ length: 8 }, () => RawConnection.open(envoy!.port)));
    await new Promise((r) => setTimeout(r, 200));
    const perWorker = await envoy.connectionsPerWorker();
    assert.equal(perWorker.length, workers);
    assert.ok(perWorker.every((n) => n >= 1), `every worker has connections: ${perWorker}`);
    const readings: number[] = [];
    const expected: number[] = [];
    for (let i = 0; i < conns.length; i++) {
      // connection i asks for topic i (the last two ask for topics seen already, on other workers)
      await conns[i].write(metadataRequest(1, `e2e-meta-${i}`, [topics[i % topics.length]]));
      await conns[i].readFrames(1);
      await new Promise((r) => setTimeout(r, 50));
      readings.push(total(await envoy.series(), 'kafka_metadata_topics'));
      expected.push(Math.min(i + 1, topics.length));
    }
    // and all six topics on one connection: nothing new
    await conns[0].write(metadataRequest(2, 'e2e-meta-0', topics));
    await conns[0].readFrames(2);
    await new Promise((r) => setTimeout(r, 50));
    readings.push(total(await envoy.series(), 'kafka_metadata_topics'));
    expected.push(topics.length);
    for (const c of conns) c.close();
    const s = await envoy.series();
    assert.equal(find(s, 'kafka_metadata_topics').length, 1, 'one series per sidecar');
    assert.deepEqual(readings, expected, `readings after each Metadata response (workers ${workers}, connections per worker ${perWorker})`);
    assertNoVmFailure(envoy);
  });
}
