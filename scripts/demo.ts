// `make demo`: the compiled filter in real Envoy (the pinned official binary, on the shipped
// bootstrap istio/local/envoy.yaml, two workers like an Istio sidecar), in front of a real Kafka
// broker, scraped by a real Prometheus (Debian's package) the way Istio scrapes a sidecar, with
// the shipped alert rules loaded. Real clients (Java, librdkafka/kcat, kafkajs) produce and
// consume across a few topics and client ids for DEMO_SECONDS, alongside the situations the
// dashboard and alerts exist for (broker errors, an audit-mode policy violation, acks=0, quota
// throttling, a lagging consumer, a Kafka 0.10-era client, a broken client). The summary is read
// from Prometheus with the dashboard's own PromQL. Envoy and Prometheus stay up until Ctrl-C
// (DEMO_EXIT=1 stops after the summary; DEMO_PREVIEW=dir also renders the key panels to PNG).
// Env: HOST_PORT, ADMIN_PORT, KAFKA_PORT, PROM_PORT (19090),
// DEMO_SECONDS (60), DEMO_SCRAPE_INTERVAL (15s, Istio's).
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startEnvoy } from '../tests/envoy/envoy.ts';
import { runClientUntil } from '../tests/e2e/clients.ts';
import { startPrometheus, parseDuration, JOB, type Sample } from '../tests/prometheus/prometheus.ts';
import { panel, substitute, intervals, legend } from '../tests/prometheus/dashboard.ts';
import { prepare, situations } from '../tests/prometheus/workload.ts';

const HOST_PORT = Number(process.env.HOST_PORT ?? 19092);
const ADMIN_PORT = Number(process.env.ADMIN_PORT ?? 19901);
const KAFKA_PORT = Number(process.env.KAFKA_PORT ?? 9092);
const PROM_PORT = Number(process.env.PROM_PORT ?? 19090);
const SECONDS = Number(process.env.DEMO_SECONDS ?? 60);
const SCRAPE = process.env.DEMO_SCRAPE_INTERVAL ?? '15s';
const PREVIEW = process.env.DEMO_PREVIEW;
const BOOTSTRAP = `127.0.0.1:${HOST_PORT}`;
const ROOT = resolve(import.meta.dirname, '..');
/** What Istio's kubernetes_sd relabelling would add to the sidecar's series. */
const NAMESPACE = 'kafka-demo';
const POD = 'kafka-broker-0';

const LOAD: Array<[client: string, clientId: string, prefix: string]> = [
  ['java', 'orders-service', 'demo.orders'],
  ['kcat', 'payments-worker', 'demo.payments'],
  ['kafkajs', 'clickstream-ui', 'demo.clicks'],
  ['java', 'billing-batch', 'demo.billing'],
];

function table(title: string, header: string[], rows: (string | number)[][]): void {
  console.log(`\n${title}`);
  if (rows.length === 0) {
    console.log('  (no series)');
    return;
  }
  const all = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...all.map((r) => r[i].length)));
  for (const [k, r] of all.entries()) {
    console.log('  ' + r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  '));
    if (k === 0) console.log('  ' + widths.map((w) => '-'.repeat(w)).join('  '));
  }
}

const num = (n: number, unit = '') => {
  if (!Number.isFinite(n)) return '-';
  const a = Math.abs(n);
  const s = a >= 1e6 ? `${(n / 1e6).toFixed(1)}M` : a >= 1e3 ? `${(n / 1e3).toFixed(1)}k` : a >= 10 || n === Math.round(n) ? n.toFixed(0) : a >= 0.01 ? n.toFixed(2) : n.toExponential(1);
  return s + unit;
};
const bytesPerSecond = (n: number) => (!Number.isFinite(n) ? '-' : n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MiB/s` : n >= 1024 ? `${(n / 1024).toFixed(1)} KiB/s` : `${n.toFixed(0)} B/s`);
const ms = (s: number) => (Number.isFinite(s) ? `${(s * 1000).toFixed(s < 0.01 ? 2 : 0)}ms` : '-');

/** Closed however the demo ends (error and Ctrl-C included), so no Envoy or Prometheus is left behind. */
const running: Array<{ close(): Promise<void> }> = [];

async function main(): Promise<void> {
  const envoy = await startEnvoy({
    listenPort: HOST_PORT,
    upstreamPort: KAFKA_PORT,
    adminPort: ADMIN_PORT,
    concurrency: 2,
    failurePolicy: 'FAIL_OPEN',
    // Governance in audit mode: flags, without blocking, clients that produce uncompressed or
    // with Produce older than v9 (kafkajs speaks v7, kcat v7, the 0.10 client v2).
    pluginConfig: { policy: { mode: 'audit', min_versions: { Produce: 9 }, produce: { allowed_compression: ['gzip', 'snappy', 'lz4', 'zstd'] } } },
  });
  running.push(envoy);
  console.log(`Envoy ${envoy.version} (pid ${envoy.pid}, 2 workers): Kafka clients -> ${BOOTSTRAP} -> Kafka filter -> tcp_proxy -> broker 127.0.0.1:${KAFKA_PORT}; admin http://127.0.0.1:${envoy.adminPort}/stats/prometheus`);
  const prom = await startPrometheus({
    targets: [{ address: `127.0.0.1:${envoy.adminPort}`, labels: { namespace: NAMESPACE, pod: POD } }],
    scrapeInterval: SCRAPE,
    // Istio's sample evaluates rules every minute; here as often as it scrapes, so the alerts
    // the demo provokes show within its run
    evaluationInterval: SCRAPE,
    port: PROM_PORT,
    dir: join(ROOT, 'build/demo-prometheus'),
  });
  running.unshift(prom);
  const alertCount = (await prom.api('/api/v1/rules')).groups.reduce((a: number, g: { rules: unknown[] }) => a + g.rules.length, 0);
  console.log(`Prometheus ${prom.version}: ${prom.url}  (job ${JOB} scrapes Envoy's admin /stats/prometheus every ${SCRAPE}, honor_labels, namespace="${NAMESPACE}" pod="${POD}"; ${alertCount} alert rules from istio/alerts/kafka-filter-rules.yaml; config ${prom.configPath})`);
  const t0 = await prom.scrapedAfter(Date.now(), parseDuration(SCRAPE) * 3000);

  const s = { port: HOST_PORT, brokerPort: KAFKA_PORT, prefix: `demo.${Date.now().toString(36)}`, burst: 64 };
  await prepare(s);
  console.log(`\nTraffic for ${SECONDS}s:`);
  const until = Date.now() + SECONDS * 1000;
  const loops = LOAD.map(async ([client, clientId, prefix]) => {
    let ok = 0;
    let failed = 0;
    let why = '';
    let messages = 0;
    let topics = 0;
    while (Date.now() < until) {
      const r = await runClientUntil(client, BOOTSTRAP, prefix, ['--client-id', clientId], 240_000);
      if (r.summary?.ok) {
        ok++;
        messages += Object.values(r.summary.topics).reduce((a, t) => a + t.messages, 0);
        topics = Object.keys(r.summary.topics).length;
      } else {
        failed++;
        why = r.summary ? r.summary.errors.join('; ') : r.killed ? 'killed after 240 s' : r.stderr.trim().split('\n').pop() ?? '';
      }
    }
    console.log(`  ${client.padEnd(8)} ${clientId.padEnd(16)} ${ok} round trips verified (${messages} messages over ${topics} topics)${failed ? `, ${failed} failed (last: ${why.slice(0, 160)})` : ''}`);
  });
  const other = (async () => {
    const done = new Set<string>();
    for (let round = 1; Date.now() < until; round++) {
      for (const d of await situations(s, round)) done.add(d);
      await new Promise((r) => setTimeout(r, Math.min(10_000, Math.max(0, until - Date.now()))));
    }
    console.log(`  and, every ~10s: ${[...done].join(', ')}`);
  })();
  await Promise.all([...loops, other]);

  await envoy.flushed(); // latency histograms are published at Envoy's stats flush
  const t1 = await prom.scrapedAfter(Date.now(), parseDuration(SCRAPE) * 3000);
  // one more rule evaluation after that scrape
  await new Promise((r) => setTimeout(r, parseDuration(SCRAPE) * 1000 + 500));
  const range = (t1 - t0) / 1000;
  summary(await readSummary(prom.query.bind(prom), t1, range), range);

  const alerts = (await prom.api('/api/v1/alerts')).alerts as Array<{ labels: Record<string, string>; state: string; value: string }>;
  table(`Alerts (${prom.url}/alerts)`, ['alert', 'state', 'severity', 'labels'], alerts.map((a) => {
    const { alertname, severity, namespace: _n, pod: _p, ...rest } = a.labels;
    return [alertname, a.state, severity, Object.entries(rest).map(([k, v]) => `${k}=${v}`).join(' ')];
  }));

  if (PREVIEW) preview(prom.url, t0, t1);

  const failures = envoy.vmFailures();
  console.log(failures.length ? `\nVM failures in Envoy's log:\n  ${failures.join('\n  ')}` : `\nNo VM failure in Envoy's log.`);
  if (process.env.DEMO_EXIT === '1') {
    if (failures.length) process.exitCode = 1;
    return;
  }
  console.log(`\nPrometheus: ${prom.url}/graph (e.g. ${prom.url}/graph?g0.expr=${encodeURIComponent(substitute(panel('Requests/s per API').targets[0].expr, {}, intervals(parseDuration(SCRAPE), 3600)))}&g0.range_input=15m)`);
  console.log(`Envoy: curl -s http://127.0.0.1:${envoy.adminPort}/stats/prometheus | grep ^kafka_   (Ctrl-C to stop)`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}

type Query = (expr: string, time?: number) => Promise<Sample[]>;

/** A dashboard target's PromQL over the whole run ($__rate_interval = $__range = the run), at `t`. */
async function read(query: Query, title: string, ref: string, t: number, range: number): Promise<Sample[]> {
  const p = panel(title);
  const target = p.targets.find((x) => x.refId === ref);
  if (!target) throw new Error(`${title}: no target ${ref}`);
  const r = Math.ceil(range);
  return query(substitute(target.expr, {}, { step: 1, rateInterval: r, range: r }), t);
}

async function readSummary(query: Query, t: number, range: number) {
  const q = (title: string, ref = 'A') => read(query, title, ref, t, range);
  return {
    requests: await q('Requests/s per API'),
    p50: await q('Latency p50 / p95 / p99 per API', 'A'),
    p99: await q('Latency p50 / p95 / p99 per API', 'C'),
    inflight: await q('In-flight requests per API (Produce = produce buffer)'),
    produceBytesTopic: await q('Produce bytes/s per topic'),
    produceRecordsTopic: await q('Produce records/s per topic'),
    fetchBytesTopic: await q('Fetch bytes/s per topic'),
    fetchRecordsTopic: await q('Fetch records/s per topic'),
    produceBytesClient: await q('Produce bytes/s per client'),
    fetchBytesClient: await q('Fetch bytes/s per client'),
    software: await q('Client software'),
    versions: await q('API versions in use'),
    errors: await q('Error responses/s per API and error'),
    policy: await q('Policy violations'),
    lags: await q('Largest lags'),
    stats: {
      requests: await q('Requests/s'),
      errors: await q('Error responses/s'),
      connections: await q('Active connections'),
      topics: await q('Topics in Metadata'),
      lag: await q('Max consumer lag'),
      newConnections: await q('Connections', 'B'),
      unknown: await q('Malformed / unknown frames', 'B'),
    },
  };
}

function summary(r: Awaited<ReturnType<typeof readSummary>>, range: number): void {
  const by = (samples: Sample[], label: string) => new Map(samples.map((s) => [s.metric[label], s.value]));
  const one = (samples: Sample[]) => samples[0]?.value ?? NaN;
  console.log(`\nFrom Prometheus, with the dashboard's PromQL over the run ($__rate_interval = $__range = ${Math.ceil(range)}s):`);
  console.log(`  ${num(one(r.stats.requests))} requests/s, ${num(one(r.stats.errors))} error entries/s, ${num(one(r.stats.newConnections))} new connections/s, ${num(one(r.stats.connections))} open now; ${num(one(r.stats.topics))} topics in Metadata; max consumer lag ${num(one(r.stats.lag))} records`);

  const p50 = by(r.p50, 'api');
  const p99 = by(r.p99, 'api');
  const inflight = by(r.inflight, 'api');
  table('Requests by API ("Requests/s per API", "Latency p50 / p95 / p99 per API", "In-flight requests per API")', ['api', 'requests/s', 'p50', 'p99', 'in flight'],
    [...r.requests].sort((a, b) => b.value - a.value).map((s) => [s.metric.api, num(s.value), ms(p50.get(s.metric.api) ?? NaN), ms(p99.get(s.metric.api) ?? NaN), num(inflight.get(s.metric.api) ?? NaN)]));

  const records = by(r.produceRecordsTopic, 'topic');
  const fetchBytes = by(r.fetchBytesTopic, 'topic');
  const fetchRecords = by(r.fetchRecordsTopic, 'topic');
  table('Per topic ("Produce/Fetch bytes/s and records/s per topic"; from record-batch headers, records never copied)', ['topic', 'produced', 'records/s', 'fetched', 'records/s'],
    [...r.produceBytesTopic].sort((a, b) => b.value - a.value).slice(0, 12).map((s) => {
      const t = s.metric.topic;
      return [t, bytesPerSecond(s.value), num(records.get(t) ?? NaN), bytesPerSecond(fetchBytes.get(t) ?? NaN), num(fetchRecords.get(t) ?? NaN)];
    }));
  const fetchedBy = by(r.fetchBytesClient, 'client_id');
  table('Per client ("Produce/Fetch bytes/s per client")', ['client_id', 'produced', 'fetched'],
    [...r.produceBytesClient].sort((a, b) => b.value - a.value).map((s) => [s.metric.client_id, bytesPerSecond(s.value), bytesPerSecond(fetchedBy.get(s.metric.client_id) ?? NaN)]));
  table('Client software ("Client software", ApiVersions v3+)', ['client_id', 'software', 'version', 'ApiVersions requests'],
    r.software.map((s) => [s.metric.client_id, s.metric.client_software_name, s.metric.client_software_version, num(s.value)]));
  table('Protocol versions in use ("API versions in use", Produce / Fetch / Metadata)', ['api', 'api_version', 'requests in range'],
    r.versions.filter((s) => ['Produce', 'Fetch', 'Metadata', 'unknown'].includes(s.metric.api)).sort((a, b) => a.metric.api.localeCompare(b.metric.api) || Number(a.metric.api_version) - Number(b.metric.api_version)).map((s) => [s.metric.api, s.metric.api_version, num(s.value)]));
  table('Error responses ("Error responses/s per API and error")', ['api', 'error', 'per second', `≈ in ${Math.ceil(range)}s`],
    [...r.errors].sort((a, b) => b.value - a.value).map((s) => [s.metric.api, s.metric.error, num(s.value), num(Math.round(s.value * range))]));
  table('Policy, audit mode: counted and logged, not blocked ("Policy violations")', ['rule', 'api', 'client_id', 'per second'],
    [...r.policy].sort((a, b) => b.value - a.value).map((s) => [s.metric.reason, s.metric.api, s.metric.client_id, num(s.value)]));
  table('Largest consumer lags ("Largest lags")', ['client_id', 'topic', 'partition', 'lag (records)'],
    r.lags.sort((a, b) => b.value - a.value).slice(0, 6).map((s) => [s.metric.client_id, s.metric.topic, s.metric.partition, num(s.value)]));
  if (r.stats.unknown.length) console.log(`\nUnknown frames: ${r.stats.unknown.map((s) => `${legend('{{direction}}', s.metric)} ${num(s.value)}/s`).join(', ')} (the 0.10 client's Produce v2 / Fetch v3)`);
}

/** The key panels as PNGs (scripts/dashboard_preview.py, matplotlib) from this Prometheus's data. */
function preview(url: string, t0: number, t1: number): void {
  const dir = resolve(ROOT, PREVIEW!);
  mkdirSync(dir, { recursive: true });
  const scrape = parseDuration(SCRAPE);
  const iv = intervals(scrape, (t1 - t0) / 1000);
  const pick = (title: string, file: string, refs?: string[]) => {
    const p = panel(title);
    return {
      title: refs ? `${title.replace('p50 / p95 / p99', 'p99')}` : title,
      unit: p.unit,
      file,
      targets: p.targets.filter((t) => !refs || refs.includes(t.refId)).map((t) => ({ expr: substitute(t.expr, {}, iv), legend: t.legendFormat })),
    };
  };
  const spec = {
    title: `Kafka (Envoy filter) dashboard panels from real Prometheus scraping real Envoy during make demo (scrape ${SCRAPE}, $__rate_interval ${iv.rateInterval}s)`,
    prometheus: url,
    start: t0 / 1000,
    end: t1 / 1000,
    step: iv.step,
    panels: [
      pick('Requests/s per API', 'requests-per-api.png'),
      pick('Produce bytes/s per topic', 'produce-bytes-per-topic.png'),
      pick('Produce bytes/s per client', 'produce-bytes-per-client.png'),
      pick('Latency p50 / p95 / p99 per API', 'latency-p99-per-api.png', ['C']),
      pick('Error responses/s per API and error', 'errors-per-error.png'),
      pick('Consumer lag per client / topic / partition', 'consumer-lag.png'),
    ],
  };
  const specPath = join(dir, 'spec.json');
  writeFileSync(specPath, JSON.stringify(spec, null, 1));
  console.log(`\nDashboard preview (${specPath}):`);
  execFileSync('/usr/bin/python3', [join(ROOT, 'scripts/dashboard_preview.py'), specPath], { stdio: 'inherit' });
}

main()
  .catch((e) => {
    console.error(e);
    process.exitCode = 1;
  })
  .finally(async () => {
    for (const r of running) await r.close();
  });
