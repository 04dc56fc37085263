// Every panel of the Grafana dashboard, evaluated by a real Prometheus (Debian's 2.42) scraping
// the compiled filter in real Envoy after a real workload: the dashboard's PromQL with its
// variables substituted as Grafana substitutes them must return series (with the labels its
// legend uses), and its value over the whole run must match what Envoy itself reports, in the
// unit the panel declares. A panel allowed to stay empty is listed below with the reason.
//
// Deterministic, not timing-lucky: Prometheus scrapes every second, Envoy flushes histograms every
// second, and each situation that creates series runs twice with "Envoy flushed, then a scrape
// that started after the flush" between the rounds, so every series also increases between two
// scrapes (Prometheus never counts a series' first sample). Evaluation times are those scrapes.
// Run: make test-panels (its own broker on free ports; KAFKA_PORT, HOST_PORT from the recipe).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startEnvoy, type RunningEnvoy } from '../envoy/envoy.ts';
import { runClient } from '../e2e/clients.ts';
import { parsePrometheus, type Series } from '../e2e/prom.ts';
import { startPrometheus, ROOT, type RunningPrometheus, type RangeSeries } from './prometheus.ts';
import { dashboardPanels, substitute, intervals, legendLabels, type DashboardPanel, type DashboardVariables } from './dashboard.ts';
import { prepare, situations, manyClientIds, IDS } from './workload.ts';

const HOST_PORT = Number(process.env.HOST_PORT ?? 19092);
const KAFKA_PORT = Number(process.env.KAFKA_PORT ?? 9092);
const BOOTSTRAP = `127.0.0.1:${HOST_PORT}`;
const RUN = `panels.${Date.now().toString(36)}`;
const SCRAPE_SECONDS = 1;
const NAMESPACE = 'kafka-panels';
const POD = 'kafka-broker-0';
const MAX_CLIENT_IDS = 40;
const MAX_IN_FLIGHT = 32;
const REPORT = join(ROOT, 'build/prometheus/panels-report.md');

const PLUGIN_CONFIG = {
  max_in_flight_per_connection: MAX_IN_FLIGHT,
  metrics: { max_client_ids: MAX_CLIENT_IDS },
  // audit mode: counted and logged, traffic flows (kafkajs speaks Produce v7, kcat's uncompressed
  // producer and the 0.10 client break a rule each)
  policy: { mode: 'audit', min_versions: { Produce: 9 }, produce: { allowed_compression: ['gzip', 'snappy', 'lz4', 'zstd'] } },
};

// ---------------------------------------------------------------------------------------------
// What each panel target must show: the quantity Envoy's own /stats/prometheus gives for it.

type Pred = (labels: Record<string, string>) => boolean;
type Expect =
  /** sum of the panel's series over the whole run ≈ Envoy's total of `metric` / run seconds */
  | { kind: 'rate'; metric: string; where?: Pred }
  /** a table of increase(…[$__range]): sum ≈ Envoy's total */
  | { kind: 'increase'; metric: string; where?: Pred }
  /** a gauge read at the end: the panel's sum (or max) of series equals Envoy's */
  | { kind: 'gauge'; metric: string; agg: 'sum' | 'max'; where?: Pred; zeroAllowed?: boolean }
  /** latency quantile in seconds per api ≈ the quantile of Envoy's cumulative µs buckets */
  | { kind: 'quantile'; q: number }
  /** a ratio of two counters per `by` label ≈ the ratio of Envoy's totals */
  | { kind: 'ratio'; num: string; den: string; by: string }
  /** max_over_time of a counter: each series equals Envoy's value */
  | { kind: 'exact'; metric: string }
  /** deriv() of a gauge over a fixed 5m window: a shape, not a total (series checked, no value) */
  | { kind: 'deriv' }
  | { kind: 'empty'; why: string };

const api = (a: string): Pred => (l) => l.api === a;
const EXPECT: Record<string, { unit: string; targets: Expect[] }> = {
  'Requests/s': { unit: 'reqps', targets: [{ kind: 'rate', metric: 'kafka_requests_total' }] },
  'Error responses/s': { unit: 'short', targets: [{ kind: 'rate', metric: 'kafka_response_errors_total' }] },
  'Produce in flight': { unit: 'short', targets: [{ kind: 'gauge', metric: 'kafka_inflight_requests', agg: 'sum', where: api('Produce'), zeroAllowed: true }] },
  'Active connections': { unit: 'short', targets: [{ kind: 'gauge', metric: 'kafka_connections_active', agg: 'sum' }] },
  'Topics in Metadata': { unit: 'short', targets: [{ kind: 'gauge', metric: 'kafka_metadata_topics', agg: 'max' }] },
  'Max consumer lag': { unit: 'short', targets: [{ kind: 'gauge', metric: 'kafka_consumer_lag', agg: 'max' }] },
  'Requests/s per API': { unit: 'reqps', targets: [{ kind: 'rate', metric: 'kafka_requests_total' }] },
  'Responses/s per API': { unit: 'reqps', targets: [{ kind: 'rate', metric: 'kafka_responses_total' }] },
  'Latency p50 / p95 / p99 per API': { unit: 's', targets: [{ kind: 'quantile', q: 0.5 }, { kind: 'quantile', q: 0.95 }, { kind: 'quantile', q: 0.99 }] },
  'Error responses/s per API and error': { unit: 'short', targets: [{ kind: 'rate', metric: 'kafka_response_errors_total' }] },
  'Produce bytes/s per topic': { unit: 'Bps', targets: [{ kind: 'rate', metric: 'kafka_produce_bytes_total' }] },
  'Produce bytes/s per client': { unit: 'Bps', targets: [{ kind: 'rate', metric: 'kafka_produce_bytes_total' }] },
  'Produce records/s per topic': { unit: 'short', targets: [{ kind: 'rate', metric: 'kafka_produce_records_total' }] },
  'Produce records/s per client': { unit: 'short', targets: [{ kind: 'rate', metric: 'kafka_produce_records_total' }] },
  'Fetch bytes/s per topic': { unit: 'Bps', targets: [{ kind: 'rate', metric: 'kafka_fetch_bytes_total' }] },
  'Fetch bytes/s per client': { unit: 'Bps', targets: [{ kind: 'rate', metric: 'kafka_fetch_bytes_total' }] },
  'Fetch records/s per topic': { unit: 'short', targets: [{ kind: 'rate', metric: 'kafka_fetch_records_total' }] },
  'Fetch records/s per client': { unit: 'short', targets: [{ kind: 'rate', metric: 'kafka_fetch_records_total' }] },
  'Average produce batch size': { unit: 'bytes', targets: [{ kind: 'ratio', num: 'kafka_produce_bytes_total', den: 'kafka_produce_batches_total', by: 'topic' }] },
  'Produce requests/s with acks=0': { unit: 'reqps', targets: [{ kind: 'rate', metric: 'kafka_produce_acks0_requests_total' }] },
  'In-flight requests per API (Produce = produce buffer)': { unit: 'short', targets: [{ kind: 'gauge', metric: 'kafka_inflight_requests', agg: 'sum', zeroAllowed: true }] },
  'Throttled responses/s per API': { unit: 'short', targets: [{ kind: 'rate', metric: 'kafka_throttle_time_ms_count' }] },
  'Mean throttle time per API': { unit: 'ms', targets: [{ kind: 'ratio', num: 'kafka_throttle_time_ms_sum', den: 'kafka_throttle_time_ms_count', by: 'api' }] },
  'Consumer lag per client / topic / partition': { unit: 'short', targets: [{ kind: 'gauge', metric: 'kafka_consumer_lag', agg: 'sum' }] },
  'Largest lags': { unit: 'short', targets: [{ kind: 'gauge', metric: 'kafka_consumer_lag', agg: 'max' }] },
  'Consumer fetch position rate': { unit: 'short', targets: [{ kind: 'deriv' }] },
  'Log end growth per topic': { unit: 'short', targets: [{ kind: 'deriv' }] },
  'Client software': { unit: 'short', targets: [{ kind: 'exact', metric: 'kafka_client_software_total' }] },
  'API versions in use': { unit: 'short', targets: [{ kind: 'increase', metric: 'kafka_requests_total' }] },
  'Produce / Fetch below Kafka 4 minimums (by client)': {
    unit: 'short',
    targets: [{ kind: 'increase', metric: 'kafka_requests_total', where: (l) => (l.api === 'Produce' && Number(l.api_version) <= 2) || (l.api === 'Fetch' && Number(l.api_version) <= 3) }],
  },
  'Produce / Fetch requests/s by API version': { unit: 'reqps', targets: [{ kind: 'rate', metric: 'kafka_requests_total', where: (l) => l.api === 'Produce' || l.api === 'Fetch' }] },
  'Connections': { unit: 'short', targets: [{ kind: 'gauge', metric: 'kafka_connections_active', agg: 'sum' }, { kind: 'rate', metric: 'kafka_connections_total' }] },
  'Topics seen in Metadata': { unit: 'short', targets: [{ kind: 'gauge', metric: 'kafka_metadata_topics', agg: 'max' }] },
  'Label overflow (cardinality cap hit)': { unit: 'short', targets: [{ kind: 'rate', metric: 'kafka_label_overflow_total' }] },
  'Malformed / unknown frames': {
    unit: 'short',
    targets: [{ kind: 'rate', metric: 'kafka_frames_malformed_total' }, { kind: 'rate', metric: 'kafka_frames_unknown_total' }, { kind: 'rate', metric: 'kafka_framing_lost_total' }],
  },
  'Policy violations': {
    unit: 'short',
    targets: [
      { kind: 'rate', metric: 'kafka_policy_violations_total' },
      { kind: 'empty', why: 'audit mode never closes a connection (tests/e2e/policy.test.ts proves the enforce path)' },
    ],
  },
  'Matching anomalies': {
    unit: 'short',
    targets: [{ kind: 'rate', metric: 'kafka_unmatched_responses_total' }, { kind: 'rate', metric: 'kafka_inflight_evicted_total' }, { kind: 'rate', metric: 'kafka_invalid_utf8_total' }],
  },
};

/** A whole-run value against Envoy's: this band catches ×/÷ 60, 1000, 1e6 (and a counter read raw). */
const RATE_BAND: [number, number] = [0.05, 1.5];
const RATIO_BAND: [number, number] = [0.25, 4];
/**
 * Quantiles are compared per API: Produce (one mode) closely; the others loosely, since the
 * samples Prometheus never sees (a bucket series' first value) can move a two-mode API such as
 * Fetch (instant answers and 500 ms long polls) by a whole mode. Both bands catch ×/÷ 1000.
 */
const QUANTILE_BAND: [number, number] = [0.25, 4];
const QUANTILE_BAND_OTHER_APIS: [number, number] = [0.02, 50];

// ---------------------------------------------------------------------------------------------

let envoy: RunningEnvoy;
let prom: RunningPrometheus;
let t0 = 0;
let t1 = 0;
let truth: Series[] = [];
const timeline: string[] = [];
const report: string[] = [];

/**
 * Waits until Envoy holds no connection: a throttled client's connection outlives the client by
 * the throttle time (the broker reads its close only when it unmutes the channel), and the
 * gauges compared at the end must not move between the last scrape and Envoy's own reading.
 */
async function drained(): Promise<void> {
  const started = Date.now();
  for (;;) {
    const open = parsePrometheus(await envoy.prometheus()).filter((x) => x.name === 'kafka_connections_active').reduce((a, x) => a + x.value, 0);
    if (open === 0) break;
    assert.ok(Date.now() - started < 120_000, `${open} connections still open after 120 s`);
    await new Promise((r) => setTimeout(r, 250));
  }
  timeline.push(`${new Date().toISOString()} no connection open in Envoy (waited ${((Date.now() - started) / 1000).toFixed(1)} s)`);
}

async function settle(what: string): Promise<number> {
  await envoy.flushed();
  const t = await prom.scrapedAfter(Date.now());
  timeline.push(`${new Date(t).toISOString()} scraped after ${what}`);
  return t;
}

/**
 * One real client's round trip (produce, consume, everything verified). A run that fails is
 * repeated, 3 s later, with the same topics (the clients verify reruns), at most twice: right
 * after the broker creates a topic, kcat's offset query can meet NOT_LEADER_OR_FOLLOWER on a
 * loaded machine.
 */
async function roundTrip(client: string, prefix: string, clientId: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const { summary } = await runClient(client, BOOTSTRAP, prefix, ['--client-id', clientId]);
    if (summary.ok) {
      timeline.push(`${new Date().toISOString()} ${client} (${clientId}) round trip verified${attempt > 1 ? ` (attempt ${attempt})` : ''}`);
      return;
    }
    timeline.push(`${new Date().toISOString()} ${client} (${clientId}) failed: ${summary.errors.join('; ').slice(0, 300)}`);
    assert.ok(attempt < 3, `${client}: ${JSON.stringify(summary.errors)}`);
    await new Promise((r) => setTimeout(r, 3000));
  }
}

before(async () => {
  envoy = await startEnvoy({ listenPort: HOST_PORT, upstreamPort: KAFKA_PORT, concurrency: 2, pluginConfig: PLUGIN_CONFIG, statsFlushMs: 1000 });
  prom = await startPrometheus({
    targets: [{ address: `127.0.0.1:${envoy.adminPort}`, labels: { namespace: NAMESPACE, pod: POD } }],
    scrapeInterval: `${SCRAPE_SECONDS}s`,
    evaluationInterval: `${SCRAPE_SECONDS}s`,
  });
  t0 = await prom.scrapedAfter(Date.now());
  const s = { port: HOST_PORT, brokerPort: KAFKA_PORT, prefix: RUN, burst: 2 * MAX_IN_FLIGHT };
  await prepare(s);
  // the real clients, at once: produce and consume in consumer groups (Java, kafkajs) and with
  // kcat; Java also produces with acks=0
  // (twice, the same topics and groups: a consumer that catches up in one fetch makes its fetch
  // series at once, and Prometheus only counts what changes after a series' first sample)
  for (const round of [1, 2]) {
    await Promise.all([
      roundTrip('java', `${RUN}.orders`, 'orders-service'),
      roundTrip('kafkajs', `${RUN}.clicks`, 'clickstream-ui'),
      roundTrip('kcat', `${RUN}.payments`, 'payments-worker'),
    ]);
    await settle(`round trips, round ${round}`);
  }
  for (const round of [1, 2]) {
    const done = await situations(s, round);
    await settle(`round ${round}: ${done.join(', ')}`);
  }
  for (const round of [1, 2]) {
    await manyClientIds(HOST_PORT, round, MAX_CLIENT_IDS + 1);
    if (round === 2) await drained();
    t1 = await settle(`${MAX_CLIENT_IDS + 1} new client ids (round ${round})`);
  }
  truth = parsePrometheus(await envoy.prometheus());
}, { timeout: 600_000 });

after(async () => {
  await prom?.close();
  await envoy?.close();
  if (report.length) {
    mkdirSync(join(ROOT, 'build/prometheus'), { recursive: true });
    writeFileSync(REPORT, [
      `# Dashboard panels against real Prometheus ${prom?.version} and Envoy ${envoy?.version}`,
      '',
      `Run ${RUN}, ${((t1 - t0) / 1000).toFixed(0)} s, scrape every ${SCRAPE_SECONDS} s. Timeline:`,
      '',
      ...timeline.map((l) => `- ${l}`),
      '',
      "| panel | target | unit | series (range, Grafana's intervals) | e.g. | whole run (Prometheus) | Envoy | check |",
      '|---|---|---|---|---|---|---|---|',
      ...report,
      '',
    ].join('\n'));
    console.log(`panel report: ${REPORT}`);
  }
});

const sumOf = (metric: string, where: Pred = () => true) => truth.filter((s) => s.name === metric && where(s.labels)).reduce((a, s) => a + s.value, 0);
const maxOf = (metric: string, where: Pred = () => true) => Math.max(...truth.filter((s) => s.name === metric && where(s.labels)).map((s) => s.value));
const finite = (v: number) => Number.isFinite(v);
const fmt = (v: number) => (!finite(v) ? String(v) : Math.abs(v) >= 1000 || v === Math.round(v) ? v.toFixed(0) : v.toPrecision(3));

/** Prometheus's histogram_quantile over Envoy's cumulative buckets of one api, in seconds. */
function envoyQuantile(q: number, apiName: string): number {
  const b = truth.filter((s) => s.name === 'kafka_request_latency_us_bucket' && s.labels.api === apiName)
    .map((s) => ({ le: s.labels.le === '+Inf' ? Infinity : Number(s.labels.le), n: s.value }))
    .sort((x, y) => x.le - y.le);
  const count = b.length ? b[b.length - 1].n : 0;
  if (!count) return NaN;
  const rank = q * count;
  const i = b.findIndex((x) => x.n >= rank);
  if (i === b.length - 1) return b[b.length - 2].le / 1e6;
  const lo = i === 0 ? 0 : b[i - 1].le;
  const below = i === 0 ? 0 : b[i - 1].n;
  return (lo + (b[i].le - lo) * ((rank - below) / (b[i].n - below))) / 1e6;
}

interface Result { series: number; points: number; nonzero: boolean; example: string; labelsMissing: string[] }

async function gather(p: DashboardPanel, expr: string, instant: boolean, legendFormat: string, iv: ReturnType<typeof intervals>): Promise<Result> {
  const series: RangeSeries[] = instant
    ? (await prom.query(expr, t1)).map((s) => ({ metric: s.metric, values: [[t1, s.value]] }))
    : await prom.queryRange(expr, t0, t1, iv.step);
  const withData = series.filter((s) => s.values.some(([, v]) => finite(v)));
  const wanted = legendLabels(legendFormat);
  const missing = new Set<string>();
  for (const s of withData) for (const l of wanted) if (!s.metric[l]) missing.add(l);
  const example = withData[0] ? wanted.map((l) => `${l}=${withData[0].metric[l]}`).join(' ') || Object.entries(withData[0].metric).map(([k, v]) => `${k}=${v}`).join(' ') : '';
  return {
    series: withData.length,
    points: withData.reduce((a, s) => a + s.values.filter(([, v]) => finite(v)).length, 0),
    nonzero: withData.some((s) => s.values.some(([, v]) => finite(v) && v !== 0)),
    example,
    labelsMissing: [...missing],
  };
}

/** The panel target's value over the whole run ($__rate_interval = $__range = the run), at t1. */
async function wholeRun(expr: string): Promise<Array<{ metric: Record<string, string>; value: number }>> {
  return prom.query(expr, t1);
}

test('the dashboard variables list this scrape\'s namespace and pod and the workload\'s values', async () => {
  const ns = await prom.labelValues('namespace', 'kafka_connections_total', t0, t1);
  assert.deepEqual(ns, [NAMESPACE], 'variable namespace: label_values(kafka_connections_total, namespace)');
  const pods = await prom.labelValues('pod', `kafka_connections_total{namespace=~"${NAMESPACE}"}`, t0, t1);
  assert.deepEqual(pods, [POD], 'variable pod');
  const sel = `namespace=~"${NAMESPACE}", pod=~"${POD}"`;
  const apis = await prom.labelValues('api', `kafka_requests_total{${sel}}`, t0, t1);
  for (const a of ['ApiVersions', 'Metadata', 'Produce', 'Fetch', 'FindCoordinator', 'JoinGroup', 'SyncGroup', 'OffsetCommit', 'OffsetFetch', 'ListOffsets', 'InitProducerId']) {
    assert.ok(apis.includes(a), `variable api lacks ${a}: ${apis.join(', ')}`);
  }
  const topics = (await prom.query(`group by (topic) (kafka_produce_bytes_total{${sel}}) or group by (topic) (kafka_fetch_bytes_total{${sel}})`, t1)).map((s) => s.metric.topic);
  for (const t of [`${RUN}.orders.t0`, `${RUN}.clicks.t0`, `${RUN}.payments.t0`, `${RUN}.backlog`]) assert.ok(topics.includes(t), `variable topic lacks ${t}`);
  const clients = await prom.labelValues('client_id', `kafka_requests_total{${sel}}`, t0, t1);
  for (const c of ['orders-service', 'clickstream-ui', 'payments-worker', IDS.legacy, IDS.lagConsumer, 'other']) assert.ok(clients.includes(c), `variable client_id lacks ${c}: ${clients.join(', ')}`);
});

test('every panel is listed here with what it must show', () => {
  const panels = dashboardPanels();
  assert.deepEqual(panels.map((p) => p.title).filter((t) => !(t in EXPECT)), [], 'panels this suite does not know: add them to EXPECT');
  assert.deepEqual(Object.keys(EXPECT).filter((t) => !panels.some((p) => p.title === t)), [], 'EXPECT names panels the dashboard does not have');
  for (const p of panels) {
    assert.equal(EXPECT[p.title].targets.length, p.targets.length, `${p.title}: one expectation per target`);
    assert.equal(p.unit, EXPECT[p.title].unit, `${p.title}: unit`);
  }
});

const variableSets: Array<[string, DashboardVariables]> = [
  ['All', {}],
  [`namespace=${NAMESPACE}, pod=${POD}`, { namespace: [NAMESPACE], pod: [POD] }],
];

for (const p of dashboardPanels()) {
  test(`panel "${p.title}"`, async (t) => {
    const exp = EXPECT[p.title];
    assert.ok(exp, `${p.title} is not in EXPECT`);
    await checkPanel(t, p, exp);
  });
}

async function checkPanel(t: { diagnostic(m: string): void }, p: DashboardPanel, exp: { unit: string; targets: Expect[] }): Promise<void> {
  {
    const range = (t1 - t0) / 1000;
    const iv = intervals(SCRAPE_SECONDS, range);
    const run = { step: iv.step, rateInterval: Math.ceil(range) + 1, range: Math.ceil(range) + 1 };
    for (const [i, target] of p.targets.entries()) {
      const e = exp.targets[i];
      const instant = p.type === 'table' || target.instant;
      const results: Result[] = [];
      for (const [name, vars] of variableSets) {
        const r = await gather(p, substitute(target.expr, vars, iv), instant, target.legendFormat, iv);
        results.push(r);
        if (e.kind === 'empty') continue;
        assert.ok(r.series > 0, `${p.title} [${target.refId}] with ${name}: no series\n${substitute(target.expr, vars, iv)}`);
        assert.deepEqual(r.labelsMissing, [], `${p.title} [${target.refId}]: legend labels missing from the series`);
        if (!(e.kind === 'gauge' && e.zeroAllowed) && e.kind !== 'deriv') assert.ok(r.nonzero, `${p.title} [${target.refId}] with ${name}: only zeros`);
      }
      assert.equal(results[1].series, results[0].series, `${p.title} [${target.refId}]: the concrete namespace/pod select what All selects (one pod)`);
      if (e.kind === 'empty') {
        report.push(`| ${p.title} | ${target.refId} \`${target.legendFormat}\` | ${p.unit} | ${results[0].series} | | | | empty allowed: ${e.why} |`);
        continue;
      }
      // the value over the whole run, against Envoy's own numbers
      const whole = await wholeRun(substitute(target.expr, {}, run));
      let promValue = NaN;
      let envoyValue = NaN;
      let check = '';
      const band = (v: number, ref: number, [lo, hi]: [number, number], what: string) => {
        const ratio = v / ref;
        assert.ok(finite(ratio) && ratio >= lo && ratio <= hi, `${p.title} [${target.refId}]: ${what}: Prometheus ${v}, Envoy ${ref} (ratio ${ratio}, allowed ${lo}–${hi})`);
        return `ratio ${ratio.toFixed(2)} in [${lo}, ${hi}]`;
      };
      const total = whole.filter((s) => finite(s.value)).reduce((a, s) => a + s.value, 0);
      switch (e.kind) {
        case 'rate':
          promValue = total;
          envoyValue = sumOf(e.metric, e.where) / run.range;
          check = band(promValue, envoyValue, RATE_BAND, 'per second over the run');
          break;
        case 'increase':
          promValue = total;
          envoyValue = sumOf(e.metric, e.where);
          check = band(promValue, envoyValue, RATE_BAND, 'increase over the run');
          break;
        case 'gauge': {
          const vals = whole.map((s) => s.value);
          promValue = e.agg === 'sum' ? total : Math.max(...vals);
          envoyValue = e.agg === 'sum' ? sumOf(e.metric, e.where) : maxOf(e.metric, e.where);
          assert.equal(promValue, envoyValue, `${p.title} [${target.refId}]: last value`);
          check = 'equal';
          break;
        }
        case 'quantile': {
          const pairs = whole.filter((s) => finite(s.value) && finite(envoyQuantile(e.q, s.metric.api))).map((s) => ({ api: s.metric.api, v: s.value, ref: envoyQuantile(e.q, s.metric.api) }));
          assert.ok(pairs.some((x) => x.api === 'Produce'), `${p.title} [${target.refId}]: no Produce quantile`);
          for (const x of pairs) band(x.v, x.ref, x.api === 'Produce' ? QUANTILE_BAND : QUANTILE_BAND_OTHER_APIS, `p${e.q * 100} of ${x.api} in seconds`);
          const produce = pairs.find((x) => x.api === 'Produce')!;
          promValue = produce.v;
          envoyValue = produce.ref;
          check = `Produce ${band(produce.v, produce.ref, QUANTILE_BAND, 'Produce')}; ${pairs.length - 1} other APIs in [${QUANTILE_BAND_OTHER_APIS.join(', ')}]`;
          break;
        }
        case 'ratio': {
          const pairs = whole.filter((s) => finite(s.value)).map((s) => {
            const key = s.metric[e.by];
            return { key, v: s.value, ref: sumOf(e.num, (l) => l[e.by] === key) / sumOf(e.den, (l) => l[e.by] === key) };
          }).filter((x) => finite(x.ref));
          assert.ok(pairs.length > 0, `${p.title} [${target.refId}]: no ${e.by} with a finite ratio`);
          for (const x of pairs) band(x.v, x.ref, RATIO_BAND, `${e.by}=${x.key}`);
          promValue = pairs[0].v;
          envoyValue = pairs[0].ref;
          check = `${pairs.length} ${e.by} values within [${RATIO_BAND.join(', ')}]× (shown: ${pairs[0].key})`;
          break;
        }
        case 'exact': {
          for (const s of whole) {
            const ref = sumOf(e.metric, (l) => Object.entries(l).every(([k, v]) => s.metric[k] === undefined || s.metric[k] === v));
            assert.equal(s.value, ref, `${p.title}: ${JSON.stringify(s.metric)}`);
          }
          promValue = total;
          envoyValue = sumOf(e.metric);
          assert.equal(promValue, envoyValue, `${p.title}: total`);
          check = 'every series equal';
          break;
        }
        case 'deriv':
          check = 'series present (a 5m deriv of a gauge: no total to compare)';
          break;
      }
      const r = results[0];
      report.push(`| ${p.title} | ${target.refId} \`${target.legendFormat}\` | ${p.unit} | ${r.series} (${r.points} points) | ${r.example} | ${fmt(promValue)} | ${fmt(envoyValue)} | ${check} |`);
      t.diagnostic(`${target.refId} ${target.legendFormat}: ${r.series} series, e.g. ${r.example}; whole run ${fmt(promValue)} vs Envoy ${fmt(envoyValue)} (${check})`);
    }
  }
}
