// The Node host (tests/host) is kept as a tool (in-process microbenchmarks, host-level tests of
// ABI corner cases); it must never be more lenient than Envoy. This suite runs the same real
// client scenario (kcat producing and consuming) through the host and through real Envoy, on the
// same broker, and compares what each exposes: the same series (names and label sets) and the
// same record counts per topic. Where they differ, Envoy is right and the host is the bug.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startHost } from '../host/index.ts';
import { BOOTSTRAP, HOST_PORT, KAFKA_PORT, startFilterEnvoy, assertNoVmFailure } from './filter_envoy.ts';
import { parsePrometheus, type Series } from './prom.ts';
import { runClient, type ClientSummary } from './clients.ts';

const RUN = `par${Date.now().toString(36)}`;
const CONFIG = { metrics: { max_topics: 500, max_client_ids: 50 } };

interface Observation { summary: ClientSummary; series: Series[]; prefix: string }

/** Series shape: name and label keys, with this run's topic prefix replaced, histograms by their count. */
function shape(o: Observation): Set<string> {
  return new Set(o.series.filter((s) => s.name.startsWith('kafka_') && !s.name.endsWith('_bucket')).map((s) => {
    const labels = Object.entries(s.labels).map(([k, v]) => `${k}=${v.replaceAll(o.prefix, '<run>')}`).sort();
    return `${s.name}{${labels.join(',')}}`;
  }));
}

/** Records produced and fetched per topic (prefix replaced). */
function records(o: Observation): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of o.series) {
    if (s.name !== 'kafka_produce_records_total' && s.name !== 'kafka_fetch_records_total') continue;
    const key = `${s.name}{topic=${s.labels.topic.replaceAll(o.prefix, '<run>')}}`;
    out[key] = (out[key] ?? 0) + s.value;
  }
  return out;
}

async function throughHost(): Promise<Observation> {
  const host = await startHost({ wasm: 'build/kafka-filter.wasm', listen: BOOTSTRAP, upstream: `127.0.0.1:${KAFKA_PORT}`, admin: '127.0.0.1:0', pluginConfig: JSON.stringify(CONFIG), failOpen: false });
  try {
    const prefix = `${RUN}.host`;
    const { summary, stderr } = await runClient('kcat', BOOTSTRAP, prefix);
    assert.ok(summary.ok, `kcat through the host: ${JSON.stringify(summary.errors)}\n${stderr.slice(-2000)}`);
    assert.equal(host.plugin.failed, null);
    return { summary, series: parsePrometheus(await host.prometheus()), prefix };
  } finally {
    await host.close();
  }
}

async function throughEnvoy(): Promise<Observation> {
  const envoy = await startFilterEnvoy(CONFIG);
  try {
    const prefix = `${RUN}.envoy`;
    const { summary, stderr } = await runClient('kcat', BOOTSTRAP, prefix);
    assert.ok(summary.ok, `kcat through Envoy: ${JSON.stringify(summary.errors)}\n${stderr.slice(-2000)}`);
    await envoy.flushed();
    assertNoVmFailure(envoy);
    return { summary, series: await envoy.series(), prefix };
  } finally {
    await envoy.close();
  }
}

test(`the same kcat scenario through the Node host and real Envoy (port ${HOST_PORT}) exposes the same series and counts`, async () => {
  const host = await throughHost();
  const envoy = await throughEnvoy();
  const hostShape = shape(host);
  const envoyShape = shape(envoy);
  const onlyHost = [...hostShape].filter((k) => !envoyShape.has(k));
  const onlyEnvoy = [...envoyShape].filter((k) => !hostShape.has(k));
  // request counts per API can differ by a metadata retry; series identity may not
  assert.deepEqual({ onlyHost, onlyEnvoy }, { onlyHost: [], onlyEnvoy: [] }, 'the host and Envoy expose the same series');
  assert.deepEqual(records(host), records(envoy), 'the same records counted per topic');
  const produced = Object.entries(records(envoy)).filter(([k]) => k.startsWith('kafka_produce')).reduce((a, [, v]) => a + v, 0);
  assert.equal(produced, Object.values(envoy.summary.topics).reduce((a, t) => a + t.messages, 0), 'and they are what the client sent');
  console.log(`host parity: ${envoyShape.size} series alike; records ${JSON.stringify(records(envoy))}`);
});
