// Kafka's own load tools (org.apache.kafka:kafka-tools, tests/bench/kafka-tools/deps.sh):
// ProducerPerformance and ConsumerPerformance run as child processes, their final lines and
// `--print-metrics` output parsed. What the tools print is what the benchmark reports.
import { execFileSync, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';

const HERE = import.meta.dirname;
let classpath: string | undefined;

/** The kafka-tools classpath (fetched from Maven Central into the cache on first use). */
export function toolsClasspath(): string {
  classpath ??= execFileSync('bash', [resolve(HERE, 'kafka-tools/deps.sh'), '--classpath'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  return classpath;
}

const JVM = ['-Xms128m', '-Xmx512m', '-XX:+UseG1GC', '-Djava.awt.headless=true'];

interface Run { stdout: string; stderr: string; code: number | null; ms: number }

function java(args: string[], timeoutMs: number): Promise<Run> {
  const t0 = Date.now();
  return new Promise((res, rej) => {
    const child = spawn('java', ['-cp', toolsClasspath(), ...JVM, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', rej);
    child.on('close', (code) => { clearTimeout(timer); res({ stdout, stderr, code, ms: Date.now() - t0 }); });
  });
}

/** `group:name:{tags} : value` lines of `--print-metrics`, keyed `group:name{tags}`. */
export function parseMetrics(text: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const l of text.matchAll(/^([\w.-]+):([\w.-]+):\{([^}]*)\}\s*:\s*(\S+)\s*$/gm)) m.set(`${l[1]}:${l[2]}{${l[3]}}`, Number(l[4]));
  return m;
}

function metric(m: Map<string, number>, groupName: string, clientId: string): number {
  const v = m.get(`${groupName}{client-id=${clientId}}`);
  if (v === undefined) throw new Error(`metric ${groupName} of ${clientId} not printed`);
  return v;
}

export interface ProducerResult {
  records: number;
  recordsPerSec: number;
  mbPerSec: number;
  avgMs: number;
  maxMs: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  p999Ms: number;
  /** requests the producer sent (all APIs, every connection): producer-metrics:request-total */
  requests: number;
  /** producer-metrics:batch-size-avg / records-per-request-avg */
  batchSizeAvg: number;
  recordsPerRequestAvg: number;
  wallMs: number;
  line: string;
}

const PRODUCER_LINE = /^(\d+) records sent, ([\d.]+) records\/sec \(([\d.]+) MB\/sec\), ([\d.]+) ms avg latency, ([\d.]+) ms max latency, (\d+) ms 50th, (\d+) ms 95th, (\d+) ms 99th, (\d+) ms 99\.9th\.$/m;

export async function producerPerformance(o: { bootstrap: string; topic: string; records: number; recordSize: number; clientId: string; props: Record<string, string | number>; throughput?: number; timeoutMs?: number }): Promise<ProducerResult> {
  const props = Object.entries({ 'bootstrap.servers': o.bootstrap, 'client.id': o.clientId, ...o.props }).map(([k, v]) => `${k}=${v}`);
  const r = await java(['org.apache.kafka.tools.ProducerPerformance', '--topic', o.topic, '--num-records', String(o.records),
    '--record-size', String(o.recordSize), '--throughput', String(o.throughput ?? -1), '--print-metrics', '--producer-props', ...props], o.timeoutMs ?? 600_000);
  const m = PRODUCER_LINE.exec(r.stdout);
  if (r.code !== 0 || !m) throw new Error(`ProducerPerformance (${o.topic}) exited ${r.code}:\n${r.stdout.slice(-1500)}\n${r.stderr.slice(-1500)}`);
  const metrics = parseMetrics(r.stdout);
  return {
    records: Number(m[1]), recordsPerSec: Number(m[2]), mbPerSec: Number(m[3]), avgMs: Number(m[4]), maxMs: Number(m[5]),
    p50Ms: Number(m[6]), p95Ms: Number(m[7]), p99Ms: Number(m[8]), p999Ms: Number(m[9]),
    requests: metric(metrics, 'producer-metrics:request-total', o.clientId),
    batchSizeAvg: metric(metrics, 'producer-metrics:batch-size-avg', o.clientId),
    recordsPerRequestAvg: metric(metrics, 'producer-metrics:records-per-request-avg', o.clientId),
    wallMs: r.ms, line: m[0],
  };
}

export interface ConsumerResult {
  records: number;
  mb: number;
  /** whole run, as printed (MB.sec, nMsg.sec) */
  mbPerSec: number;
  recordsPerSec: number;
  rebalanceMs: number;
  /** excluding the group join (fetch.MB.sec, fetch.nMsg.sec) */
  fetchMbPerSec: number;
  fetchRecordsPerSec: number;
  /**
   * requests the consumer counted: Fetch (fetch-total) + group coordinator (join, sync, heartbeat,
   * commit totals). ConsumerPerformance prints only those metric groups, so the few Metadata,
   * ApiVersions, FindCoordinator, OffsetFetch and ListOffsets requests are not in it.
   */
  requests: number;
  /** Fetch requests: consumer-fetch-manager-metrics:fetch-total */
  fetches: number;
  wallMs: number;
  line: string;
}

/** The consumer stopped (its --timeout without records) before reading every record. */
export class ShortConsume extends Error {}

export async function consumerPerformance(o: { bootstrap: string; topic: string; records: number; clientId: string; group: string; fetchSize?: number; props: Record<string, string | number>; configFile: string; timeoutMs?: number }): Promise<ConsumerResult> {
  writeFileSync(o.configFile, Object.entries({ 'client.id': o.clientId, ...o.props }).map(([k, v]) => `${k}=${v}\n`).join(''));
  const r = await java(['org.apache.kafka.tools.ConsumerPerformance', '--bootstrap-server', o.bootstrap, '--topic', o.topic,
    '--messages', String(o.records), '--group', o.group, '--timeout', '60000', '--print-metrics', '--consumer.config', o.configFile,
    ...(o.fetchSize ? ['--fetch-size', String(o.fetchSize)] : [])], o.timeoutMs ?? 600_000);
  // start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec
  const line = r.stdout.split('\n').find((l) => /^\d{4}-\d\d-\d\d [\d:]+, /.test(l));
  if (r.code !== 0 || !line) throw new Error(`ConsumerPerformance (${o.topic}) exited ${r.code}:\n${r.stdout.slice(-1500)}\n${r.stderr.slice(-1500)}`);
  const f = line.split(', ');
  const metrics = parseMetrics(r.stdout);
  const res: ConsumerResult = {
    mb: Number(f[2]), mbPerSec: Number(f[3]), records: Number(f[4]), recordsPerSec: Number(f[5]), rebalanceMs: Number(f[6]),
    fetchMbPerSec: Number(f[8]), fetchRecordsPerSec: Number(f[9]),
    requests: ['consumer-fetch-manager-metrics:fetch-total', 'consumer-coordinator-metrics:join-total', 'consumer-coordinator-metrics:sync-total',
      'consumer-coordinator-metrics:heartbeat-total', 'consumer-coordinator-metrics:commit-total'].reduce((n, k) => n + metric(metrics, k, o.clientId), 0),
    fetches: metric(metrics, 'consumer-fetch-manager-metrics:fetch-total', o.clientId),
    wallMs: r.ms, line,
  };
  if (res.records < o.records) {
    const said = r.stdout.split('\n').filter((l) => l && !/^[\w.-]+:[\w.-]+:\{/.test(l)).join('\n');
    throw new ShortConsume(`ConsumerPerformance (${o.topic}, group ${o.group}) consumed ${res.records} of ${o.records} records:\n${said}\n${r.stderr.slice(-1500)}`);
  }
  return res;
}

/** Creates topics (name → partitions) through the broker's internal listener, in one JVM. */
export async function createTopics(bootstrap: string, topics: Array<[string, number]>): Promise<void> {
  const r = await java([resolve(HERE, 'kafka-tools/BenchTopics.java'), bootstrap, ...topics.map(([t, p]) => `${t}:${p}`)], 300_000);
  if (r.code !== 0) throw new Error(`BenchTopics exited ${r.code}:\n${r.stdout.slice(-1500)}\n${r.stderr.slice(-1500)}`);
}
