// End-to-end: the compiled filter in real Envoy (ENVOY_VERSION, default the newest pinned), in
// front of a real Kafka 4.1.1 broker, driven by three real clients (Java kafka-clients, librdkafka
// via kcat, kafkajs). A recording relay between Envoy and the broker captures every frame.
// Every message must round-trip intact and the filter's metrics must agree with what was sent.
// Needs the broker up and advertising Envoy's port: `make test-e2e` arranges that.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BOOTSTRAP, startFilterEnvoy, assertNoVmFailure, type FilterEnvoy } from './filter_envoy.ts';
import { total, find, type Series } from './prom.ts';
import { runClient, type ClientSummary } from './clients.ts';
import { emittedByRepo } from '../dashboards/check.ts';
import { replayCaptures } from '../codec/replay.ts';

const RUN = `e2e${Date.now().toString(36)}`;

let envoy: FilterEnvoy;
let captureDir: string;
const summaries: Record<string, ClientSummary> = {};

before(async () => {
  captureDir = mkdtempSync(join(tmpdir(), 'kafka-capture-'));
  envoy = await startFilterEnvoy({ metrics: { max_topics: 500, max_client_ids: 50 } }, { captureDir });
  console.log(`through-filter: Envoy ${envoy.version}`);
});

after(async () => {
  await envoy?.close();
});

async function scrape(): Promise<Series[]> {
  return envoy.series();
}

function checkClient(series: Series[], summary: ClientSummary, expectSoftware?: string): void {
  const client = summary.client_id;
  for (const [topic, t] of Object.entries(summary.topics)) {
    assert.equal(t.consumed, t.messages, `${client} ${topic}: consumed ${t.consumed} of ${t.messages}`);
    const produced = total(series, 'kafka_produce_records_total', { topic, client_id: client });
    assert.equal(produced, t.messages, `${client} ${topic}: filter counted ${produced} produced records, client sent ${t.messages}`);
    const bytes = total(series, 'kafka_produce_bytes_total', { topic, client_id: client });
    if (t.compression === 'none') assert.ok(bytes > t.value_bytes + t.key_bytes, `${client} ${topic}: ${bytes} batch bytes for ${t.value_bytes} uncompressed value bytes`);
    else assert.ok(bytes > 0, `${client} ${topic}: produce bytes counted`);
    const fetched = total(series, 'kafka_fetch_records_total', { topic, client_id: client });
    assert.ok(fetched >= t.messages, `${client} ${topic}: filter saw ${fetched} fetched records, client consumed ${t.messages}`);
    const hwm = total(series, 'kafka_partition_high_watermark', { topic });
    assert.ok(hwm >= t.messages, `${client} ${topic}: high watermarks sum to ${hwm}`);
    const lag = find(series, 'kafka_consumer_lag', { topic, client_id: client });
    assert.ok(lag.length > 0, `${client} ${topic}: consumer progress series present`);
    assert.equal(lag.reduce((a, s) => a + s.value, 0), 0, `${client} ${topic}: consumed everything, so lag is 0: ${JSON.stringify(lag)}`);
    assert.equal(total(series, 'kafka_consumer_fetch_offset', { topic, client_id: client }), hwm, `${client} ${topic}: positions reached the high watermarks`);
    if (t.acks === '0') assert.ok(total(series, 'kafka_produce_acks0_requests_total', { client_id: client }) > 0, `${client}: acks=0 produce requests counted`);
  }
  assert.ok(total(series, 'kafka_requests_total', { api: 'ApiVersions', client_id: client }) >= 1, `${client}: ApiVersions seen`);
  assert.ok(total(series, 'kafka_requests_total', { api: 'Produce', client_id: client }) >= 1, `${client}: Produce requests seen`);
  if (expectSoftware) {
    const sw = find(series, 'kafka_client_software_total', { client_id: client });
    assert.ok(sw.some((s) => s.labels.client_software_name === expectSoftware), `${client}: client software ${expectSoftware} in ${JSON.stringify(sw)}`);
  }
}

function checkFilterHealthy(series: Series[]): void {
  assertNoVmFailure(envoy);
  assert.equal(total(series, 'kafka_frames_malformed_total'), 0, `no malformed frames: ${envoy.moduleLogs().filter((l) => l.includes('malformed')).join('\n')}`);
  assert.equal(total(series, 'kafka_frames_unknown_total'), 0, 'no unknown API keys or versions');
  assert.equal(total(series, 'kafka_framing_lost_total'), 0, 'framing never lost');
  assert.equal(total(series, 'kafka_unmatched_responses_total'), 0, 'every response matched a request');
}

const CLIENTS: Array<[string, string | undefined]> = [
  ['java', 'apache-kafka-java'],
  ['kcat', 'librdkafka'],
  ['kafkajs', undefined], // kafkajs speaks ApiVersions v2, which carries no software name
];

for (const [client, software] of CLIENTS) {
  test(`${client}: produces and consumes through the filter, metrics agree`, async () => {
    const { summary, stderr } = await runClient(client, BOOTSTRAP, `${RUN}.${client}`);
    summaries[client] = summary;
    assert.ok(summary.ok, `${client} failed: ${JSON.stringify(summary.errors)}\n${stderr.slice(-3000)}`);
    const series = await scrape();
    checkClient(series, summary, software);
    checkFilterHealthy(series);
  });
}

test('all clients: connections closed, nothing left in flight, traffic captured', async () => {
  await envoy.flushed(); // histogram samples are published at Envoy's stats flush
  const series = await scrape();
  checkFilterHealthy(series);
  assert.equal(total(series, 'kafka_connections_active'), 0, 'all connections closed');
  for (const s of find(series, 'kafka_inflight_requests')) assert.equal(s.value, 0, `in-flight ${JSON.stringify(s.labels)} back to 0`);
  const produceRequests = total(series, 'kafka_requests_total', { api: 'Produce' });
  const produceResponses = total(series, 'kafka_responses_total', { api: 'Produce' });
  const acks0 = total(series, 'kafka_produce_acks0_requests_total');
  assert.equal(produceResponses, produceRequests - acks0, `Produce: ${produceRequests} requests, ${acks0} with acks=0, ${produceResponses} responses`);
  assert.ok(total(series, 'kafka_metadata_topics') >= 9, 'topics seen in Metadata responses');
  const latency = find(series, 'kafka_request_latency_us_count', { api: 'Produce' });
  assert.ok(latency.length === 1 && latency[0].value === produceResponses, 'one latency sample per Produce response');
  assert.ok(readdirSync(captureDir).some((f) => f.endsWith('-request.bin')), 'capture files written');
  // exactly the documented series: nothing the filter's source does not define, and the core set present
  const emitted = emittedByRepo('.').metrics;
  const seen = new Set(series.filter((s) => s.name.startsWith('kafka_')).map((s) => s.name.replace(/_(bucket|sum|count)$/, '')));
  for (const name of seen) assert.ok(emitted.has(name), `${name} is exposed but not defined by the filter`);
  const expected = ['kafka_requests_total', 'kafka_responses_total', 'kafka_request_latency_us', 'kafka_inflight_requests', 'kafka_produce_bytes_total',
    'kafka_produce_records_total', 'kafka_produce_batches_total', 'kafka_produce_acks0_requests_total', 'kafka_fetch_bytes_total', 'kafka_fetch_records_total',
    'kafka_client_software_total', 'kafka_metadata_topics', 'kafka_partition_high_watermark', 'kafka_consumer_fetch_offset', 'kafka_consumer_lag',
    'kafka_connections_total', 'kafka_connections_active', 'kafka_response_errors_total'];
  for (const name of expected) assert.ok(seen.has(name), `${name} missing after a real-client run`);
  // labels are exactly the documented ones for each metric
  for (const s of series.filter((x) => x.name === 'kafka_produce_records_total')) assert.deepEqual(Object.keys(s.labels).sort(), ['client_id', 'topic']);
  for (const s of series.filter((x) => x.name === 'kafka_requests_total')) assert.deepEqual(Object.keys(s.labels).sort(), ['api', 'api_version', 'client_id']);
  // every client connected through the filter: each client id appears in the filter's request counts
  for (const client of Object.keys(summaries)) {
    assert.ok(total(series, 'kafka_requests_total', { client_id: `e2e-${client}` }) > 0, `${client} traffic went through the filter`);
  }
});

test('captured connections of all three clients and the broker decode exactly through the framer and codec, whole and cut at random points', () => {
  console.log(`captures: ${captureDir}`);
  const r = replayCaptures(captureDir, [1, 2]);
  assert.deepEqual(r.failures, [], r.failures.slice(0, 5).join('\n'));
  assert.equal(r.decoded, r.frames);
  for (const api of ['Produce request', 'Produce response', 'Fetch request', 'Fetch response', 'Metadata response', 'ApiVersions request', 'JoinGroup request', 'OffsetCommit request']) {
    assert.ok((r.byApi[api] ?? 0) > 0, `${api} captured and decoded: ${JSON.stringify(r.byApi)}`);
  }
  console.log(`captures: ${r.decoded} of ${r.frames} frames of ${r.connections} connections decoded exactly, whole and at 2 random cuttings; ${JSON.stringify(r.byApi)}`);
});
