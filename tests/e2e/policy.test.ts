// Governance through the real path: the compiled filter with a policy in real Envoy, in front of
// the real broker, with real clients. Enforced rules close the offending client's connection before its
// request reaches the broker; audit mode only counts and logs. Allowed clients are unaffected.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { BOOTSTRAP, startFilterEnvoy, assertNoVmFailure, type FilterEnvoy } from './filter_envoy.ts';
import { total, find } from './prom.ts';
import { runClient, runClientUntil } from './clients.ts';

const RUN = `pol${Date.now().toString(36)}`;

let envoy: FilterEnvoy | undefined;
afterEach(async () => {
  await envoy?.close();
  envoy = undefined;
});

async function withPolicy(policy: object): Promise<FilterEnvoy> {
  envoy = await startFilterEnvoy({ policy });
  return envoy;
}

/** Topic names the broker knows, asked through the filter by an allowed client id (async, so the test process stays responsive). */
async function brokerTopics(clientId: string): Promise<string[]> {
  const { stdout } = await promisify(execFile)('kcat', ['-L', '-J', '-b', BOOTSTRAP, '-X', `client.id=${clientId}`, '-m', '10'], { encoding: 'utf8' });
  return (JSON.parse(stdout).topics as Array<{ topic: string }>).map((t) => t.topic);
}

test('enforce client-id rules: a rogue client is cut off before reaching the broker, allowed clients work', async () => {
  const h = await withPolicy({ mode: 'enforce', client_id: { required: true, allowed: ['e2e-*'] } });
  const rogue = await runClientUntil('kcat', BOOTSTRAP, `${RUN}.rogue`, ['--client-id', 'rogue-app', '--timeout-ms', '8000'], 15_000);
  assert.ok(!rogue.summary?.ok, 'the rogue client could not complete');
  const ok = await runClient('kafkajs', BOOTSTRAP, `${RUN}.ok`);
  assert.ok(ok.summary.ok, JSON.stringify(ok.summary.errors));

  const s = await h.series();
  assert.ok(total(s, 'kafka_policy_violations_total', { reason: 'client_id_denied', client_id: 'rogue-app' }) > 0);
  assert.ok(total(s, 'kafka_policy_closed_connections_total', { reason: 'client_id_denied' }) > 0);
  assert.equal(total(s, 'kafka_policy_violations_total', { client_id: 'e2e-kafkajs' }), 0, 'allowed client not flagged');
  assert.equal(total(s, 'kafka_produce_records_total', { client_id: 'rogue-app' }), 0, 'nothing produced by the rogue client');
  assert.equal(total(s, 'kafka_responses_total', { api: 'Metadata' }) > 0, true);
  assert.ok(h.logs.some((l) => l.includes('breaks rule client_id_denied; closing the connection')), h.logs.slice(-5).join('\n'));
  const topics = await brokerTopics('e2e-check');
  assert.ok(!topics.some((t) => t.startsWith(`${RUN}.rogue`)), `the rogue client's requests never reached the broker: ${topics.filter((t) => t.startsWith(RUN))}`);
  assert.ok(topics.some((t) => t.startsWith(`${RUN}.ok`)), 'the allowed client created its topics');
  assertNoVmFailure(h);
});

test('enforce produce rules: uncompressed batches are stopped, compressed ones flow', async () => {
  // kafkajs produces topic t1 uncompressed and uses Produce v7; the Java client compresses and uses v13.
  const h = await withPolicy({ produce: { allowed_compression: ['gzip', 'snappy', 'lz4', 'zstd'] } });
  const stopped = await runClientUntil('kafkajs', BOOTSTRAP, `${RUN}.plain`, ['--timeout-ms', '10000'], 20_000);
  assert.ok(!stopped.summary?.ok, 'kafkajs could not deliver its uncompressed topic');
  const java = await runClient('java', BOOTSTRAP, `${RUN}.java`, ['--compression', 'lz4,zstd,gzip', '--acks0', '0']);
  assert.ok(java.summary.ok, JSON.stringify(java.summary.errors));

  const s = await h.series();
  assert.ok(total(s, 'kafka_policy_violations_total', { reason: 'produce_compression', client_id: 'e2e-kafkajs' }) > 0);
  assert.equal(total(s, 'kafka_produce_records_total', { topic: `${RUN}.plain.t1` }), 0, 'stopped requests are not counted as produced');
  assert.equal(total(s, 'kafka_policy_violations_total', { client_id: 'e2e-java' }), 0);
  for (const [topic, t] of Object.entries(java.summary.topics)) {
    assert.equal(total(s, 'kafka_produce_records_total', { topic, client_id: 'e2e-java' }), t.messages);
  }
});

test('audit mode: the same rules count and log, traffic flows', async () => {
  const h = await withPolicy({ mode: 'audit', produce: { allowed_compression: ['zstd'] }, min_versions: { Produce: 9 } });
  const r = await runClient('kafkajs', BOOTSTRAP, `${RUN}.audit`);
  assert.ok(r.summary.ok, JSON.stringify(r.summary.errors));
  const s = await h.series();
  assert.ok(total(s, 'kafka_policy_violations_total', { reason: 'api_version_too_old', api: 'Produce' }) > 0, 'kafkajs uses Produce v7');
  assert.ok(total(s, 'kafka_policy_violations_total', { reason: 'produce_compression' }) > 0);
  assert.equal(total(s, 'kafka_policy_closed_connections_total'), 0);
  for (const [topic, t] of Object.entries(r.summary.topics)) {
    assert.equal(total(s, 'kafka_produce_records_total', { topic, client_id: 'e2e-kafkajs' }), t.messages);
  }
  assert.ok(h.logs.some((l) => l.includes('(audit mode: allowed)')));
  assert.ok(find(s, 'kafka_policy_violations_total').every((x) => ['reason', 'api', 'client_id'].every((k) => k in x.labels)));
});
