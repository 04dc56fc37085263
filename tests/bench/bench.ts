// `make bench`: the filter's cost in real Envoy (tests/envoy, the shipped bootstrap, --concurrency 2)
// in front of a real Kafka 4.1.1 broker, driven by Kafka's own ProducerPerformance and
// ConsumerPerformance. Four variants, each in a fresh Envoy per run, interleaved (the order
// rotates every round) so machine noise hits all of them alike:
//   tcp_proxy  the listener with tcp_proxy only (no Wasm filter)
//   no-op      tests/bench/passthrough.wat: a Proxy-Wasm filter whose callbacks return Continue
//   filter     build/kafka-filter.wasm, default configuration
//   audit      the filter with a policy in audit mode (every rule kind checked, nothing violated)
// Reported: Envoy CPU (utime+stime of the process) per GiB carried and per 1,000 Kafka requests,
// the tools' throughput and latency, Envoy RSS with 1,000 and 5,000 open connections; every figure
// as median [min–max] over the rounds and as ratios against tcp_proxy and the no-op module taken
// round by round. Checks that the filter counted every record. Nothing passes or fails on time.
//
// The broker is started by mk/bench.mk (free ports; KAFKA_PORT, KAFKA_INTERNAL_PORT and HOST_PORT,
// the port the broker advertises and every Envoy under test listens on).
// Env: BENCH_QUICK=1 (small workloads, 1 round, 100/500 connections), BENCH_ROUNDS (default 3),
//      BENCH_SECTIONS (default "traffic,memory"), BENCH_WORKLOADS (names, comma-separated),
//      BENCH_VARIANTS (keys), BENCH_WASM (another build of the filter), BENCH_WASM_B (a second build
//      as variant "b", for an A/B in real Envoy), BENCH_OUT (default build/bench), BENCH_FROM.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { join } from 'node:path';
import { startEnvoy, type RunningEnvoy } from '../envoy/envoy.ts';
import { parsePrometheus, total, type Series } from '../e2e/prom.ts';
import { closeAll, openKafkaConnections } from './connections.ts';
import { ShortConsume, consumerPerformance, createTopics, producerPerformance, toolsClasspath, type ConsumerResult, type ProducerResult } from './kafka_tools.ts';
import { cell, fmt, num, ratioCell, summarize, table, type Summary } from './report.ts';

const QUICK = process.env.BENCH_QUICK === '1';
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? (QUICK ? 1 : 3));
const SECTIONS = (process.env.BENCH_SECTIONS ?? 'traffic,memory').split(',');
const OUT = process.env.BENCH_OUT ?? 'build/bench';
/** BENCH_FROM=results.json: print the report of an earlier run again (no broker, no Envoy) */
const FROM = process.env.BENCH_FROM;
const KAFKA_PORT = FROM ? 0 : Number(need('KAFKA_PORT'));
const INTERNAL = FROM ? '' : `127.0.0.1:${need('KAFKA_INTERNAL_PORT')}`;
const HOST_PORT = FROM ? 0 : Number(need('HOST_PORT'));
const BOOTSTRAP = `127.0.0.1:${HOST_PORT}`;
const CONCURRENCY = 2;
const FILTER = process.env.BENCH_WASM ?? 'build/kafka-filter.wasm';
const GiB = 1024 ** 3;

function need(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run the benchmark with 'make bench' (mk/bench.mk starts the broker)`);
  return v;
}

// ------------------------------------------------------------------ variants and workloads
/** Every rule kind, in audit mode, written so that the benchmark's clients break none of them. */
export const AUDIT_POLICY = {
  policy: {
    mode: 'audit',
    allowed_apis: ['Produce', 'Fetch', 'ListOffsets', 'Metadata', 'OffsetCommit', 'OffsetFetch', 'FindCoordinator', 'JoinGroup',
      'Heartbeat', 'LeaveGroup', 'SyncGroup', 'InitProducerId', 'GetTelemetrySubscriptions', 'PushTelemetry', 'ConsumerGroupHeartbeat'],
    denied_apis: ['DeleteTopics', 'DeleteRecords'],
    min_versions: { Produce: 9, Fetch: 12 },
    client_id: { required: true, allowed: ['bench-*'], denied: ['*-test'] },
    produce: { allowed_compression: ['none', 'lz4', 'zstd'], max_records_bytes: 1048576, allowed_acks: [-1, 1], deny_transactional: true },
  },
};

interface Variant { key: string; label: string; wasm: string | null; config?: string }
const ALL_VARIANTS: Variant[] = [
  { key: 'tcp', label: 'tcp_proxy', wasm: null },
  { key: 'noop', label: 'no-op Wasm', wasm: 'build/bench/passthrough.wasm', config: '{}' },
  { key: 'filter', label: 'filter', wasm: FILTER, config: '{}' },
  { key: 'audit', label: 'filter + audit policy', wasm: FILTER, config: JSON.stringify(AUDIT_POLICY) },
];
// BENCH_WASM_B: a second build of the filter as one more variant ("b", default configuration),
// interleaved with the others: an A/B of two builds in real Envoy, reported as b/filter.
if (process.env.BENCH_WASM_B) ALL_VARIANTS.push({ key: 'b', label: `filter B (${process.env.BENCH_WASM_B.replace(/.*\//, '')})`, wasm: process.env.BENCH_WASM_B, config: '{}' });
const VARIANTS = pick(ALL_VARIANTS, process.env.BENCH_VARIANTS, (v) => v.key);
if (VARIANTS[0]?.key !== 'tcp') throw new Error('BENCH_VARIANTS must start with tcp (the baseline)');

interface Workload {
  name: string;
  label: string;
  records: number;
  recordSize: number;
  partitions: number;
  producer: Record<string, string | number>;
  consumer: Record<string, string | number>;
  /** ConsumerPerformance --fetch-size (max.partition.fetch.bytes) */
  fetchSize?: number;
}
const scale = (n: number) => (QUICK ? Math.round(n / 10) : n);
const ALL_WORKLOADS: Workload[] = [
  { name: '1k', label: '1 KiB records, 16 KiB batches', records: scale(150_000), recordSize: 1024, partitions: 3, producer: { 'batch.size': 16384 }, consumer: {} },
  { name: '100b', label: '100 B records, 1 KiB batches', records: scale(150_000), recordSize: 100, partitions: 3, producer: { 'batch.size': 1024 }, consumer: {} },
  {
    name: 'fetch', label: 'consumer-heavy: 64 partitions, 100 B records in 1 KiB batches, fetches of ≤ 1 KiB per partition',
    records: scale(100_000), recordSize: 100, partitions: 64, producer: { 'batch.size': 1024 }, consumer: {}, fetchSize: 1024,
  },
];
const WORKLOADS = pick(ALL_WORKLOADS, process.env.BENCH_WORKLOADS, (w) => w.name);
const CONNECTIONS = QUICK ? [100, 500] : [1000, 5000];

function pick<T>(all: T[], list: string | undefined, key: (t: T) => string): T[] {
  if (!list) return all;
  const keys = list.split(',');
  for (const k of keys) if (!all.some((t) => key(t) === k)) throw new Error(`unknown name ${k} (known: ${all.map(key).join(', ')})`);
  return all.filter((t) => keys.includes(key(t)));
}

/** Variants in the order of round `r`: rotated, so no variant always runs first or last. */
const rotated = (r: number) => VARIANTS.map((_, i) => VARIANTS[(i + r) % VARIANTS.length]);

// ------------------------------------------------------------------ Envoy helpers
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function launch(v: Variant): Promise<RunningEnvoy> {
  // Envoy's own 5 s stats flush (what the sidecar does); FAIL_CLOSED so a VM failure shows up
  return startEnvoy({ upstreamPort: KAFKA_PORT, listenPort: HOST_PORT, wasm: v.wasm, pluginConfig: v.config, concurrency: CONCURRENCY, statsFlushMs: 5000, vmId: `bench-${v.key}` });
}

async function statValues(envoy: RunningEnvoy, regex: string): Promise<Map<string, number>> {
  const m = new Map<string, number>();
  for (const l of (await envoy.admin(`/stats?filter=${encodeURIComponent(regex)}`)).matchAll(/^(\S+): (\d+)$/gm)) m.set(l[1], Number(l[2]));
  return m;
}

/**
 * CPU seconds the Envoy process has run: the sum of its threads' schedstat run time (the same
 * utime+stime, in nanoseconds instead of 10 ms clock ticks; Envoy's threads live as long as it does).
 */
function cpuSeconds(envoy: RunningEnvoy): number {
  let ns = 0;
  for (const t of readdirSync(`/proc/${envoy.pid}/task`)) {
    try { ns += Number(readFileSync(`/proc/${envoy.pid}/task/${t}/schedstat`, 'utf8').split(' ')[0]); } catch { /* thread gone */ }
  }
  return ns / 1e9;
}

/** Bytes carried so far, both directions, as tcp_proxy counts them on the client side. */
async function bytesCarried(envoy: RunningEnvoy): Promise<number> {
  let n = 0;
  for (const v of (await statValues(envoy, '^tcp\\.kafka_host\\.downstream_cx_(rx|tx)_bytes_total$')).values()) n += v;
  return n;
}

async function activeConnections(envoy: RunningEnvoy): Promise<number> {
  const name = `listener.127.0.0.1_${HOST_PORT}.downstream_cx_active`;
  const v = (await statValues(envoy, `^${name.replace(/\./g, '\\.')}$`)).get(name);
  if (v === undefined) throw new Error(`Envoy has no stat ${name}`);
  return v;
}

// ------------------------------------------------------------------ traffic runs
interface Phase {
  /** Envoy CPU seconds (schedstat) */
  cpuS: number;
  /** the same from /proc/<pid>/stat utime+stime (10 ms ticks), for comparison */
  ticksCpuS: number;
  bytes: number;
  requests: number;
  wallMs: number;
}
interface Check {
  producedCounted: number;
  fetchedCounted: number;
  requestsCounted: number;
  problems: number;
  violations: number;
  vmFailures: number;
}
interface TrafficRun {
  variant: string;
  workload: string;
  round: number;
  load1: number;
  produce: Phase & { tool: ProducerResult };
  consume: Phase & { tool: ConsumerResult; attempts: number };
  check: Check | null;
}

const RUN_ID = Date.now().toString(36);
const topicOf = (w: Workload, v: Variant, r: number) => `bench-${RUN_ID}-${w.name}-${v.key}-r${r}`;

async function trafficRun(w: Workload, v: Variant, round: number, tmp: string): Promise<TrafficRun> {
  const topic = topicOf(w, v, round);
  const envoy = await launch(v);
  try {
    await sleep(500);
    const load1 = os.loadavg()[0];
    const c0 = cpuSeconds(envoy), t0 = envoy.cpuSeconds(), b0 = await bytesCarried(envoy);
    const prod = await producerPerformance({ bootstrap: BOOTSTRAP, topic, records: w.records, recordSize: w.recordSize, clientId: 'bench-producer', props: w.producer });
    const c1 = cpuSeconds(envoy), t1 = envoy.cpuSeconds(), b1 = await bytesCarried(envoy);
    // A consumer that stops short (seen once in ~100 runs, with tcp_proxy alone: 15 of 150,000
    // records not delivered within its 60 s timeout) is run again with a new group, once.
    let consumeAttempts = 0;
    const consume = () => consumerPerformance({
      bootstrap: BOOTSTRAP, topic, records: w.records, clientId: 'bench-consumer', group: `bench-${topic}-${++consumeAttempts}`, props: w.consumer,
      fetchSize: w.fetchSize, configFile: join(tmp, 'consumer.properties'),
    });
    let cons: ConsumerResult;
    let c1b = c1, t1b = t1, b1b = b1;
    try {
      cons = await consume();
    } catch (e) {
      if (!(e instanceof ShortConsume)) throw e;
      process.stderr.write(`[bench] ${w.name}/${v.key}/round ${round + 1}: ${e.message.split('\n')[0]}; consuming again with a new group\n`);
      c1b = cpuSeconds(envoy);
      t1b = envoy.cpuSeconds();
      b1b = await bytesCarried(envoy);
      cons = await consume();
    }
    const c2 = cpuSeconds(envoy), t2 = envoy.cpuSeconds(), b2 = await bytesCarried(envoy);
    let check: Check | null = null;
    if (v.key === 'filter' || v.key === 'audit' || v.key === 'b') {
      const s: Series[] = parsePrometheus(await envoy.prometheus());
      check = {
        producedCounted: total(s, 'kafka_produce_records_total', { topic }),
        fetchedCounted: total(s, 'kafka_fetch_records_total', { topic }),
        requestsCounted: total(s, 'kafka_requests_total'),
        problems: ['kafka_frames_malformed_total', 'kafka_framing_lost_total', 'kafka_unmatched_responses_total', 'kafka_inflight_evicted_total', 'kafka_frames_unknown_total']
          .reduce((n, name) => n + total(s, name), 0),
        violations: total(s, 'kafka_policy_violations_total'),
        vmFailures: envoy.vmFailures().length,
      };
    } else if (envoy.vmFailures().length) {
      throw new Error(`${v.label}: VM failure: ${envoy.vmFailures()[0]}`);
    }
    return {
      variant: v.key, workload: w.name, round, load1,
      produce: { cpuS: c1 - c0, ticksCpuS: t1 - t0, bytes: b1 - b0, requests: prod.requests, wallMs: prod.wallMs, tool: prod },
      consume: { cpuS: c2 - c1b, ticksCpuS: t2 - t1b, bytes: b2 - b1b, requests: cons.requests, wallMs: cons.wallMs, tool: cons, attempts: consumeAttempts },
      check,
    };
  } finally {
    await envoy.close();
  }
}

// ------------------------------------------------------------------ memory runs
interface MemoryRun {
  variant: string;
  round: number;
  idleKiB: number;
  openKiB: number[];
  closedKiB: number;
  /** bytes Envoy's allocator has handed out (admin /memory "allocated"; Wasm memory is not in it) at the same points, KiB */
  allocatedKiB: number[];
  filterConnections?: number;
  filterApiVersions?: number;
}

async function memoryRun(v: Variant, round: number): Promise<MemoryRun> {
  const envoy = await launch(v);
  const sockets: net.Socket[] = [];
  // the admin /memory figures are live (the server.memory_* stats only move at a stats flush)
  const allocated = async () => Number(JSON.parse(await envoy.admin('/memory')).allocated) / 1024;
  try {
    await sleep(2000);
    const idleKiB = envoy.rssKiB();
    const allocatedKiB = [await allocated()];
    const openKiB: number[] = [];
    let filterConnections: number | undefined, filterApiVersions: number | undefined;
    for (const n of CONNECTIONS) {
      await openKafkaConnections(HOST_PORT, n - sockets.length, sockets);
      await sleep(1000);
      openKiB.push(envoy.rssKiB());
      allocatedKiB.push(await allocated());
    }
    if (v.wasm === FILTER) {
      const s = parsePrometheus(await envoy.prometheus());
      filterConnections = total(s, 'kafka_connections_active');
      filterApiVersions = total(s, 'kafka_requests_total', { api: 'ApiVersions' });
    }
    const active = await activeConnections(envoy);
    if (active !== sockets.length) throw new Error(`${v.label}: Envoy has ${active} active downstream connections, expected ${sockets.length}`);
    closeAll(sockets);
    for (let i = 0; i < 200 && (await activeConnections(envoy)) > 0; i++) await sleep(100);
    await sleep(2000);
    const closedKiB = envoy.rssKiB();
    allocatedKiB.push(await allocated());
    if (envoy.vmFailures().length) throw new Error(`${v.label}: VM failure: ${envoy.vmFailures()[0]}`);
    return { variant: v.key, round, idleKiB, openKiB, closedKiB, allocatedKiB, filterConnections, filterApiVersions };
  } finally {
    closeAll(sockets);
    await envoy.close();
  }
}

// ------------------------------------------------------------------ report
type Metric = (r: TrafficRun) => number;
const perGiB = (p: 'produce' | 'consume' | 'both'): Metric => (r) =>
  p === 'both' ? (r.produce.cpuS + r.consume.cpuS) / ((r.produce.bytes + r.consume.bytes) / GiB) : r[p].cpuS / (r[p].bytes / GiB);
const per1kReq = (p: 'produce' | 'consume' | 'both'): Metric => (r) =>
  p === 'both' ? ((r.produce.cpuS + r.consume.cpuS) * 1000) / ((r.produce.requests + r.consume.requests) / 1000) : (r[p].cpuS * 1000) / (r[p].requests / 1000);

function runsOf(runs: TrafficRun[], w: string, v: string) {
  return runs.filter((r) => r.workload === w && r.variant === v);
}

/** Per-round ratio variant/baseline of a metric (runs of the same round sit next to each other). */
function ratios(runs: TrafficRun[], w: string, v: string, base: string, m: Metric): Summary {
  const xs: number[] = [];
  for (const r of runsOf(runs, w, v)) {
    const b = runs.find((x) => x.workload === w && x.variant === base && x.round === r.round);
    if (b) xs.push(m(r) / m(b));
  }
  return summarize(xs);
}

const has = (k: string) => VARIANTS.some((v) => v.key === k);
/** Ratio columns: each Wasm variant against tcp_proxy, the filter variants also against the no-op module. */
function ratioColumns(): Array<[string, string, string]> {
  const cols: Array<[string, string, string]> = [];
  for (const v of VARIANTS.slice(1)) cols.push([`${v.key}/tcp`, v.key, 'tcp']);
  if (has('noop')) for (const v of VARIANTS) if (v.key === 'filter' || v.key === 'audit' || v.key === 'b') cols.push([`${v.key}/no-op`, v.key, 'noop']);
  if (has('b') && has('filter')) cols.push(['b/filter', 'b', 'filter']);
  return cols;
}

function metricTable(runs: TrafficRun[], rows: Array<[string, string, Metric]>, second = 'phase'): string[] {
  const cols = ratioColumns();
  return table(
    ['workload', second, ...VARIANTS.map((v) => v.label), ...cols.map((c) => c[0])],
    rows.map(([w, phase, m]) => [
      w, phase,
      ...VARIANTS.map((v) => cell(summarize(runsOf(runs, w, v.key).map(m)))),
      ...cols.map(([, v, b]) => ratioCell(ratios(runs, w, v, b, m))),
    ]),
    2,
  );
}

function trafficReport(runs: TrafficRun[]): string[] {
  const out: string[] = [];
  const phases: Array<'produce' | 'consume' | 'both'> = ['produce', 'consume', 'both'];
  const label = (p: string) => (p === 'both' ? 'produce + consume' : p);

  out.push('### Workloads (per run, tcp_proxy runs)', '');
  out.push(...table(['workload', 'records', 'MiB carried (produce / consume)', 'requests (produce / consume)', 'records per Produce request', 'Fetch requests', 'Produce batch B (avg)'],
    WORKLOADS.map((w) => {
      const t = runsOf(runs, w.name, 'tcp');
      const s = (f: (r: TrafficRun) => number, d = 0) => fmt(summarize(t.map(f)).median, d);
      return [`${w.name}: ${w.label}`, fmt(w.records), `${s((r) => r.produce.bytes / 2 ** 20)} / ${s((r) => r.consume.bytes / 2 ** 20)}`,
        `${s((r) => r.produce.requests)} / ${s((r) => r.consume.requests)}`, s((r) => r.produce.tool.recordsPerRequestAvg, 1),
        s((r) => r.consume.tool.fetches), s((r) => r.produce.tool.batchSizeAvg)];
    })));

  out.push('### Envoy CPU seconds per GiB carried (CPU time of the Envoy process, all threads / bytes in both directions)', '');
  out.push(...metricTable(runs, WORKLOADS.flatMap((w) => phases.map((p) => [w.name, label(p), perGiB(p)] as [string, string, Metric]))));
  out.push('### Envoy CPU milliseconds per 1,000 Kafka requests (requests as the clients count them, all APIs)', '');
  out.push(...metricTable(runs, WORKLOADS.flatMap((w) => phases.map((p) => [w.name, label(p), per1kReq(p)] as [string, string, Metric]))));

  out.push('### Clients: throughput and latency as ProducerPerformance / ConsumerPerformance print them', '');
  const tools: Array<[string, Metric]> = [
    ['producer records/s', (r) => r.produce.tool.recordsPerSec],
    ['producer MB/s', (r) => r.produce.tool.mbPerSec],
    ['producer avg latency ms', (r) => r.produce.tool.avgMs],
    ['producer p50 latency ms', (r) => r.produce.tool.p50Ms],
    ['producer p99 latency ms', (r) => r.produce.tool.p99Ms],
    ['consumer fetch.MB.sec', (r) => r.consume.tool.fetchMbPerSec],
    ['consumer fetch.nMsg.sec', (r) => r.consume.tool.fetchRecordsPerSec],
  ];
  out.push(...metricTable(runs, WORKLOADS.flatMap((w) => tools.map(([l, m]) => [w.name, l, m] as [string, string, Metric])), 'as printed'));

  const checked = runs.filter((r) => r.check);
  if (checked.length) {
    out.push('### The filter did its whole job (every filter run)', '');
    out.push(...table(['workload', 'variant', 'round', 'records produced / counted', 'records consumed / fetched counted (all consumer runs)', 'requests by clients / counted by filter', 'decode problems', 'policy violations', 'VM failures'],
      checked.map((r) => [r.workload, r.variant, String(r.round + 1), `${fmt(r.produce.tool.records)} / ${fmt(r.check!.producedCounted)}`,
        `${fmt(r.consume.tool.records)} / ${fmt(r.check!.fetchedCounted)}${(r.consume.attempts ?? 1) > 1 ? ` (${r.consume.attempts} consumer runs)` : ''}`, `${fmt(r.produce.requests + r.consume.requests)} / ${fmt(r.check!.requestsCounted)}`,
        fmt(r.check!.problems), fmt(r.check!.violations), fmt(r.check!.vmFailures)]), 2));
  }
  return out;
}

function memoryReport(runs: MemoryRun[]): string[] {
  const [n1, n2] = CONNECTIONS;
  const mib = (k: number) => fmt(k / 1024, 1);
  const of = (v: string) => runs.filter((r) => r.variant === v);
  const perConn = (r: MemoryRun) => (r.openKiB[1] - r.idleKiB) / n2;
  const slope = (r: MemoryRun) => (r.openKiB[1] - r.openKiB[0]) / (n2 - n1);
  /** per-round difference against a baseline variant */
  const over = (v: string, base: string, f: (r: MemoryRun) => number) => {
    const xs: number[] = [];
    for (const r of of(v)) {
      const b = runs.find((x) => x.variant === base && x.round === r.round);
      if (b) xs.push(f(r) - f(b));
    }
    return summarize(xs);
  };
  const out = [`### Envoy RSS with open Kafka connections (each: ApiVersions v3 request and response through Envoy, then idle), MiB`, ''];
  out.push(...table(
    ['variant', 'idle', `${fmt(n1)} open`, `${fmt(n2)} open`, 'after all closed', `KiB/conn: (${fmt(n2)} open − idle) / ${fmt(n2)}`, 'KiB/conn − tcp_proxy', 'KiB/conn − no-op', `KiB/conn between ${fmt(n1)} and ${fmt(n2)}`, `Envoy heap allocated: idle / ${fmt(n2)} / closed`],
    VARIANTS.map((v) => {
      const rs = of(v.key);
      const s = (f: (r: MemoryRun) => number) => summarize(rs.map(f));
      const kib = (x: number) => fmt(x, 1);
      return [v.label, cell(s((r) => r.idleKiB), mib), cell(s((r) => r.openKiB[0]), mib), cell(s((r) => r.openKiB[1]), mib), cell(s((r) => r.closedKiB), mib),
        cell(s(perConn), kib), v.key === 'tcp' ? '' : cell(over(v.key, 'tcp', perConn), kib),
        v.key === 'tcp' || v.key === 'noop' || !has('noop') ? '' : cell(over(v.key, 'noop', perConn), kib),
        cell(s(slope), kib), [0, 2, 3].map((i) => mib(s((r) => r.allocatedKiB[i]).median)).join(' / ')];
    })));
  const f = runs.filter((r) => r.filterConnections !== undefined);
  if (f.length) out.push(`Filter check: kafka_connections_active = ${[...new Set(f.map((r) => r.filterConnections))].join(', ')}, ApiVersions requests counted = ${[...new Set(f.map((r) => r.filterApiVersions))].join(', ')} (expected ${n2}).`, '');
  return out;
}

// ------------------------------------------------------------------ main
interface Results {
  date: string; envoy: string; concurrency: number; cpus: number; cpu: string; quick: boolean; rounds: number; filter_wasm: string;
  variants: Variant[]; workloads: Workload[]; connections: number[]; load_average: number[]; elapsed_s: number; traffic: TrafficRun[]; memory: MemoryRun[];
}

/** The headline: the ratios docs/benchmarks.md and the README quote. */
function keyRatios(r: Results): string[] {
  const cols: Array<[string, string, string]> = [['filter/tcp', 'filter', 'tcp'], ['filter/no-op', 'filter', 'noop'], ['audit/tcp', 'audit', 'tcp'], ['no-op/tcp (noise floor)', 'noop', 'tcp']]
    .filter(([, v, b]) => has(v) && has(b)) as Array<[string, string, string]>;
  const rows: string[][] = [];
  const w = (name: string) => WORKLOADS.find((x) => x.name === name);
  const traffic: Array<[string, string, Metric]> = [
    ['1k', 'Envoy CPU per GiB, 1 KiB records / 16 KiB batches, produce', perGiB('produce')],
    ['1k', 'Envoy CPU per GiB, 1 KiB records / 16 KiB batches, produce + consume', perGiB('both')],
    ['100b', 'Envoy CPU per GiB, 100 B records / 1 KiB batches, produce', perGiB('produce')],
    ['fetch', 'Envoy CPU per GiB, consumer-heavy, consume', perGiB('consume')],
    ['1k', 'producer p99 latency, 1 KiB / 16 KiB', (x) => x.produce.tool.p99Ms],
    ['100b', 'producer p99 latency, 100 B / 1 KiB', (x) => x.produce.tool.p99Ms],
  ];
  for (const [wl, label, m] of traffic) {
    if (!w(wl) || !r.traffic.some((x) => x.workload === wl)) continue;
    rows.push([label, ...cols.map(([, v, b]) => ratioCell(ratios(r.traffic, wl, v, b, m)))]);
  }
  if (r.memory.length) {
    const n2 = CONNECTIONS[1];
    const perConn = (m: MemoryRun) => (m.openKiB[1] - m.idleKiB) / n2;
    const over = (v: string, base: string) => {
      const xs: number[] = [];
      for (const m of r.memory.filter((x) => x.variant === v)) {
        const b = r.memory.find((x) => x.variant === base && x.round === m.round);
        if (b) xs.push(perConn(m) - perConn(b));
      }
      return cell(summarize(xs), (x) => `+${fmt(x, 1)}`, " KiB");
    };
    rows.push([`Envoy RSS per open connection (${fmt(n2)} open), difference`, ...cols.map(([, v, b]) => over(v, b))]);
  }
  return ['### Key ratios (round by round, median [min–max])', '', ...table(['figure', ...cols.map((c) => c[0])], rows)];
}

function render(r: Results): string {
  const load = summarize(r.load_average);
  return [
    `## make bench — ${r.date}`,
    '',
    `Envoy ${r.envoy} (--concurrency ${r.concurrency}, istio/local/envoy.yaml), Kafka 4.1.1 (one KRaft broker, loopback), kafka-tools 4.1.1; ` +
      `${r.cpus} × ${r.cpu}; ${r.rounds} round(s), variants interleaved, a fresh Envoy per run${r.quick ? '; BENCH_QUICK=1 (small workloads: not comparable with a full run)' : ''}. ` +
      `Load average (1 min) during the run: ${num(load.median)} [${num(load.min)}–${num(load.max)}]; ${fmt(r.elapsed_s / 60, 1)} min. ` +
      'Cells: median [min–max] over the rounds; ratios are taken round by round against the baseline run next to it.',
    '',
    ...keyRatios(r),
    ...(r.traffic.length ? trafficReport(r.traffic) : []),
    ...(r.memory.length ? memoryReport(r.memory) : []),
  ].join('\n');
}

/** BENCH_FROM: the tables of a saved run, with its variants, workloads and connection counts. */
function reprint(r: Results): void {
  VARIANTS.splice(0, VARIANTS.length, ...r.variants);
  WORKLOADS.splice(0, WORKLOADS.length, ...r.workloads);
  CONNECTIONS.splice(0, CONNECTIONS.length, ...r.connections);
  console.log(render(r));
}

async function main() {
  if (FROM) return reprint(JSON.parse(readFileSync(FROM, 'utf8')));
  const t0 = Date.now();
  mkdirSync(OUT, { recursive: true });
  const tmp = mkdtempSync(join(os.tmpdir(), 'bench-'));
  const loads: number[] = [os.loadavg()[0]];
  const progress = (s: string) => process.stderr.write(`[bench ${((Date.now() - t0) / 1000).toFixed(0)}s, load ${os.loadavg()[0].toFixed(1)}] ${s}\n`);
  toolsClasspath();
  const probe = await launch(VARIANTS[0]);
  const envoyVersion = probe.version;
  await probe.close();

  const traffic: TrafficRun[] = [];
  const memory: MemoryRun[] = [];
  const failures: string[] = [];
  try {
    if (SECTIONS.includes('traffic')) {
      progress(`creating ${ROUNDS * WORKLOADS.length * VARIANTS.length} topics`);
      await createTopics(INTERNAL, Array.from({ length: ROUNDS }, (_, r) => WORKLOADS.flatMap((w) => VARIANTS.map((v) => [topicOf(w, v, r), w.partitions] as [string, number]))).flat());
      for (let r = 0; r < ROUNDS; r++) {
        for (const w of WORKLOADS) {
          for (const v of rotated(r)) {
            let run: TrafficRun;
            try {
              run = await trafficRun(w, v, r, tmp);
            } catch (e) {
              // one failed run does not cost the whole benchmark: it is reported and left out
              failures.push(`${w.name}/${v.key}/round ${r + 1}: ${e instanceof Error ? e.message : e}`);
              progress(`round ${r + 1}/${ROUNDS} ${w.name} ${v.key}: FAILED (${failures[failures.length - 1].split('\n')[0]})`);
              continue;
            }
            traffic.push(run);
            loads.push(os.loadavg()[0]);
            progress(`round ${r + 1}/${ROUNDS} ${w.name} ${v.key}: produce ${run.produce.cpuS.toFixed(2)} s CPU, ${(run.produce.bytes / 2 ** 20).toFixed(0)} MiB, ${run.produce.tool.recordsPerSec.toFixed(0)} rec/s; consume ${run.consume.cpuS.toFixed(2)} s CPU, ${run.consume.tool.fetchMbPerSec.toFixed(1)} MB/s`);
          }
        }
      }
    }
    if (SECTIONS.includes('memory')) {
      for (let r = 0; r < ROUNDS; r++) {
        for (const v of rotated(r)) {
          const m = await memoryRun(v, r);
          memory.push(m);
          loads.push(os.loadavg()[0]);
          progress(`memory round ${r + 1}/${ROUNDS} ${v.key}: RSS idle ${(m.idleKiB / 1024).toFixed(1)} MiB, ${m.openKiB.map((k) => (k / 1024).toFixed(1)).join(' / ')} MiB open, ${(m.closedKiB / 1024).toFixed(1)} MiB closed`);
        }
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }

  const results: Results = {
    date: new Date().toISOString(), envoy: envoyVersion, concurrency: CONCURRENCY, cpus: os.cpus().length, cpu: os.cpus()[0]?.model ?? '?', quick: QUICK, rounds: ROUNDS,
    filter_wasm: FILTER, variants: VARIANTS, workloads: WORKLOADS, connections: CONNECTIONS, load_average: loads, elapsed_s: (Date.now() - t0) / 1000, traffic, memory,
  };
  writeFileSync(join(OUT, 'results.json'), JSON.stringify(results, null, 1) + '\n');
  const text = render(results);
  console.log(text);
  writeFileSync(join(OUT, 'report.md'), text + '\n');
  console.log(`report: ${join(OUT, 'report.md')}, raw runs: ${join(OUT, 'results.json')} (${fmt(results.elapsed_s / 60, 1)} min)`);

  if (failures.length) {
    console.error(`${failures.length} run(s) failed and are left out of the tables:\n${failures.join('\n\n')}`);
    process.exitCode = 1;
  }
  const bad = traffic.filter((r) => r.check && (r.check.producedCounted !== r.produce.tool.records || r.check.fetchedCounted < r.consume.tool.records || r.check.problems || r.check.vmFailures
    || (r.variant === 'audit' && r.check.violations)));
  if (bad.length) {
    console.error(`the filter missed traffic in ${bad.length} run(s): ${bad.map((r) => `${r.workload}/${r.variant}/round ${r.round + 1}`).join(', ')}`);
    process.exitCode = 1;
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
