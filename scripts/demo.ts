// `make demo`: the compiled filter in real Envoy (the pinned official binary, on the shipped
// bootstrap istio/local/envoy.yaml, two workers like an Istio sidecar), in front of a real Kafka
// broker, with real clients (Java, librdkafka/kcat, kafkajs) producing and consuming across a few
// topics and client ids. Prints what an operator would look at, then keeps the admin endpoint up
// until Ctrl-C (set DEMO_EXIT=1 to stop right after the summary).
import { startEnvoy } from '../tests/envoy/envoy.ts';
import { parsePrometheus, total, find, type Series } from '../tests/e2e/prom.ts';
import { runClient } from '../tests/e2e/clients.ts';

const HOST_PORT = Number(process.env.HOST_PORT ?? 19092);
const ADMIN_PORT = Number(process.env.ADMIN_PORT ?? 19901);
const KAFKA_PORT = Number(process.env.KAFKA_PORT ?? 9092);
const BOOTSTRAP = `127.0.0.1:${HOST_PORT}`;

const LOAD: Array<[client: string, clientId: string, prefix: string]> = [
  ['java', 'orders-service', 'demo.orders'],
  ['kcat', 'payments-worker', 'demo.payments'],
  ['kafkajs', 'clickstream-ui', 'demo.clicks'],
  ['java', 'billing-batch', 'demo.billing'],
];

function quantile(series: Series[], api: string, q: number): number {
  const buckets = find(series, 'kafka_request_latency_us_bucket', { api })
    .map((s) => ({ le: s.labels.le === '+Inf' ? Infinity : Number(s.labels.le), n: s.value }))
    .sort((a, b) => a.le - b.le);
  const count = buckets.length ? buckets[buckets.length - 1].n : 0;
  if (!count) return NaN;
  const rank = q * count;
  for (const b of buckets) if (b.n >= rank) return b.le;
  return Infinity;
}

function table(title: string, header: string[], rows: (string | number)[][]): void {
  console.log(`\n${title}`);
  const all = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...all.map((r) => r[i].length)));
  for (const [k, r] of all.entries()) {
    console.log('  ' + r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  '));
    if (k === 0) console.log('  ' + widths.map((w) => '-'.repeat(w)).join('  '));
  }
}

const fmt = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(1)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}k` : String(n));

async function main(): Promise<void> {
  const envoy = await startEnvoy({
    listenPort: HOST_PORT,
    upstreamPort: KAFKA_PORT,
    adminPort: ADMIN_PORT,
    concurrency: 2,
    failurePolicy: 'FAIL_OPEN',
    // Governance in audit mode: flags, without blocking, clients that produce uncompressed or
    // with Produce older than v9 (kafkajs speaks v7).
    pluginConfig: { policy: { mode: 'audit', min_versions: { Produce: 9 }, produce: { allowed_compression: ['gzip', 'snappy', 'lz4', 'zstd'] } } },
  });
  console.log(`Envoy ${envoy.version} (pid ${envoy.pid}, 2 workers): Kafka clients -> ${BOOTSTRAP} -> Kafka filter -> tcp_proxy -> broker 127.0.0.1:${KAFKA_PORT}; admin http://127.0.0.1:${envoy.adminPort}/stats/prometheus`);
  for (const [client, clientId, prefix] of LOAD) {
    const started = Date.now();
    const { summary } = await runClient(client, BOOTSTRAP, `${prefix}.${Date.now().toString(36)}`, ['--client-id', clientId]);
    const msgs = Object.values(summary.topics).reduce((a, t) => a + t.messages, 0);
    console.log(`  ${client.padEnd(8)} ${clientId.padEnd(16)} ${summary.ok ? 'ok' : 'FAILED'}: ${msgs} messages over ${Object.keys(summary.topics).length} topics, round trip verified, ${((Date.now() - started) / 1000).toFixed(1)}s`);
  }
  await envoy.flushed(); // latency histograms are published at Envoy's stats flush
  const s = parsePrometheus(await envoy.prometheus());

  const apis = [...new Set(find(s, 'kafka_responses_total').map((x) => x.labels.api))].sort();
  table('Requests by API (latency from the filter: request seen -> response seen)', ['api', 'requests', 'p50', 'p99', 'in flight'], apis.map((api) => [
    api, total(s, 'kafka_requests_total', { api }),
    `${(quantile(s, api, 0.5) / 1000).toFixed(2)}ms`, `${(quantile(s, api, 0.99) / 1000).toFixed(2)}ms`,
    total(s, 'kafka_inflight_requests', { api }),
  ]));
  const topics = [...new Set(find(s, 'kafka_produce_records_total').map((x) => `${x.labels.topic}|${x.labels.client_id}`))].sort();
  table('Produced and fetched per topic and client (from record-batch headers; records never copied)', ['topic', 'client_id', 'produced', 'bytes', 'fetched', 'bytes'], topics.map((k) => {
    const [topic, client_id] = k.split('|');
    return [topic, client_id, total(s, 'kafka_produce_records_total', { topic, client_id }), fmt(total(s, 'kafka_produce_bytes_total', { topic, client_id })),
      total(s, 'kafka_fetch_records_total', { topic }), fmt(total(s, 'kafka_fetch_bytes_total', { topic }))];
  }));
  table('Client software (ApiVersions v3+)', ['client_id', 'software', 'version', 'connections'], find(s, 'kafka_client_software_total').map((x) => [x.labels.client_id, x.labels.client_software_name, x.labels.client_software_version, x.value]));
  table('Protocol versions in use', ['api', 'api_version', 'client_id', 'requests'], find(s, 'kafka_requests_total').filter((x) => ['Produce', 'Fetch', 'Metadata'].includes(x.labels.api)).map((x) => [x.labels.api, x.labels.api_version, x.labels.client_id, x.value]));
  table('Error responses', ['api', 'error', 'count'], find(s, 'kafka_response_errors_total').map((x) => [x.labels.api, x.labels.error, x.value]));
  table('Policy (audit mode: counted and logged, not blocked)', ['rule', 'api', 'client_id', 'requests'], find(s, 'kafka_policy_violations_total').map((x) => [x.labels.reason, x.labels.api, x.labels.client_id, x.value]));
  console.log(`\nTopics seen in Metadata: ${total(s, 'kafka_metadata_topics')}; connections: ${total(s, 'kafka_connections_total')} total, ${total(s, 'kafka_connections_active')} active; malformed frames: ${total(s, 'kafka_frames_malformed_total')}; unknown frames: ${total(s, 'kafka_frames_unknown_total')}`);

  const failures = envoy.vmFailures();
  console.log(failures.length ? `\nVM failures in Envoy's log:\n  ${failures.join('\n  ')}` : `\nNo VM failure in Envoy's log.`);
  if (process.env.DEMO_EXIT === '1') {
    await envoy.close();
    if (failures.length) process.exit(1);
    return;
  }
  console.log(`\nAll series: curl -s http://127.0.0.1:${envoy.adminPort}/stats/prometheus | grep ^kafka_   (Ctrl-C to stop)`);
  await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
  await envoy.close();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
