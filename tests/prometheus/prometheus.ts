// A real Prometheus (Debian's package, .ci/install-prometheus.sh) scraping Envoy's admin
// /stats/prometheus the way Istio scrapes a sidecar, with the shipped alert rules loaded. Used by
// the panel-query suite (tests/prometheus/panels.test.ts), the demo and `make dashboard-preview`.
//
// Scrape settings (docs/prometheus.md explains each): Istio's sample Prometheus
// (samples/addons/prometheus.yaml) scrapes sidecars every 15 s (global scrape_interval, timeout
// 10 s, rules evaluated every 1 m) with `honor_labels: true` on /stats/prometheus, the path of the
// prometheus.io/path annotation the injector sets; kubernetes_sd relabelling adds `namespace` and
// `pod`. Istio's custom-scraping option names the job `envoy-stats`. Here the target is Envoy's
// admin address itself (in a pod, :15020 merges :15090, which is a listener routing to this same
// admin handler), and the `namespace`/`pod` labels the relabelling would add are static labels.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import YAML from 'yaml';
import { freePort } from '../lib/ports.ts';

export const ROOT = resolve(import.meta.dirname, '../..');
export const RULES_FILE = join(ROOT, 'istio/alerts/kafka-filter-rules.yaml');
export const PROMETHEUS_BIN = process.env.PROMETHEUS ?? '/usr/bin/prometheus';
export const PROMTOOL_BIN = process.env.PROMTOOL ?? '/usr/bin/promtool';
/** Istio's job name for scraping sidecars (Prometheus integration docs, custom scraping). */
export const JOB = 'envoy-stats';

export interface ScrapeTarget {
  /** host:port of Envoy's admin endpoint */
  address: string;
  /** what Istio's kubernetes_sd relabelling adds to a sidecar's series */
  labels: { namespace: string; pod: string } & Record<string, string>;
}

export interface PrometheusOptions {
  targets: ScrapeTarget[];
  /** Istio's sample: 15s; tests use 1s so short runs have enough samples */
  scrapeInterval?: string;
  /** Istio's sample: 1m */
  evaluationInterval?: string;
  ruleFiles?: string[];
  /** web port on 127.0.0.1 (default: a free one) */
  port?: number;
  /** where prometheus.yml and the TSDB (data/) go; emptied first, kept on close (default: a temporary directory, removed on close) */
  dir?: string;
}

export interface Sample { metric: Record<string, string>; value: number }
export interface RangeSeries { metric: Record<string, string>; values: Array<[number, number]> }

export interface RunningPrometheus {
  url: string;
  port: number;
  version: string;
  /** the generated prometheus.yml (text) and where it is */
  config: string;
  configPath: string;
  logs: string[];
  /** instant query; `time` in ms since the epoch (default now) */
  query(expr: string, time?: number): Promise<Sample[]>;
  /** range query, times in ms, step in seconds */
  queryRange(expr: string, start: number, end: number, step: number): Promise<RangeSeries[]>;
  /** GET /api/v1/label/<name>/values?match[]=… (what Grafana's label_values() runs) */
  labelValues(name: string, match?: string, start?: number, end?: number): Promise<string[]>;
  /** GET on the HTTP API; resolves with `data` */
  api(path: string): Promise<any>;
  /** waits for a scrape of every target that started at or after `t` (ms); returns its time (ms) */
  scrapedAfter(t: number, timeoutMs?: number): Promise<number>;
  close(): Promise<void>;
}

export function prometheusVersion(bin = PROMETHEUS_BIN): string {
  if (!existsSync(bin)) throw new Error(`${bin} missing: run 'make setup' (.ci/install-prometheus.sh installs Debian's prometheus package)`);
  return /version (\S+)/.exec(execFileSync(bin, ['--version'], { encoding: 'utf8' }))?.[1] ?? 'unknown';
}

/** prometheus.yml for these options (the shape docs/prometheus.md shows). */
export function prometheusConfig(o: PrometheusOptions): Record<string, unknown> {
  const interval = o.scrapeInterval ?? '15s';
  const seconds = parseDuration(interval);
  return {
    global: {
      scrape_interval: interval,
      // Istio's sample: 10s; a timeout may not exceed the interval
      scrape_timeout: seconds >= 10 ? '10s' : interval,
      evaluation_interval: o.evaluationInterval ?? '1m',
    },
    rule_files: o.ruleFiles ?? [RULES_FILE],
    scrape_configs: [
      {
        job_name: JOB,
        honor_labels: true,
        metrics_path: '/stats/prometheus',
        static_configs: o.targets.map((t) => ({ targets: [t.address], labels: t.labels })),
      },
    ],
  };
}

export function parseDuration(d: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(d);
  if (!m) throw new Error(`bad duration ${d}`);
  return Number(m[1]) * { ms: 0.001, s: 1, m: 60, h: 3600 }[m[2] as 'ms' | 's' | 'm' | 'h'];
}

export async function startPrometheus(o: PrometheusOptions): Promise<RunningPrometheus> {
  const version = prometheusVersion();
  const dir = o.dir ? resolve(o.dir) : mkdtempSync(join(tmpdir(), 'prometheus-'));
  if (o.dir) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
  }
  const dataDir = join(dir, 'data');
  const config = YAML.stringify(prometheusConfig(o));
  const configPath = join(dir, 'prometheus.yml');
  writeFileSync(configPath, config);
  const port = o.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  const args = [
    `--config.file=${configPath}`,
    `--storage.tsdb.path=${dataDir}`,
    `--web.listen-address=127.0.0.1:${port}`,
    `--web.external-url=${url}`,
    '--storage.tsdb.retention.time=1d',
    '--log.level=warn',
  ];
  const child: ChildProcess = spawn(PROMETHEUS_BIN, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const logs: string[] = [];
  child.stderr!.on('data', (d: Buffer) => logs.push(...d.toString('utf8').split('\n').filter((l) => l)));
  let exit: string | null = null;
  const exited = new Promise<void>((r) => child.on('exit', (code, signal) => { exit = signal ? `signal ${signal}` : `status ${code}`; r(); }));

  const api = async (path: string): Promise<any> => {
    const r = await fetch(`${url}${path}`);
    const body = (await r.json()) as { status: string; data: unknown; error?: string };
    if (body.status !== 'success') throw new Error(`Prometheus ${path}: ${body.error ?? r.status}`);
    return body.data;
  };
  const close = async () => {
    if (!exit) { child.kill('SIGTERM'); await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]); }
    if (!exit) { child.kill('SIGKILL'); await exited; }
    if (!o.dir) rmSync(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exit) { await close(); throw new Error(`Prometheus ${version} exited while starting (${exit}):\n${logs.slice(-15).join('\n')}`); }
    if (Date.now() > deadline) { await close(); throw new Error(`Prometheus ${version} not ready in 60 s:\n${logs.slice(-15).join('\n')}`); }
    const ready = await fetch(`${url}/-/ready`).then((r) => r.status === 200, () => false);
    if (ready) break;
    await new Promise((r) => setTimeout(r, 100));
  }

  const seconds = (ms: number) => (ms / 1000).toFixed(3);
  const num = (v: string) => Number(v); // "NaN", "+Inf" parse too
  return {
    url,
    port,
    version,
    config,
    configPath,
    logs,
    api,
    async query(expr, time) {
      const data = await api(`/api/v1/query?query=${encodeURIComponent(expr)}${time !== undefined ? `&time=${seconds(time)}` : ''}`);
      if (data.resultType === 'scalar') return [{ metric: {}, value: num(data.result[1]) }];
      return (data.result as Array<{ metric: Record<string, string>; value: [number, string] }>).map((s) => ({ metric: s.metric, value: num(s.value[1]) }));
    },
    async queryRange(expr, start, end, step) {
      const data = await api(`/api/v1/query_range?query=${encodeURIComponent(expr)}&start=${seconds(start)}&end=${seconds(end)}&step=${step}`);
      return (data.result as Array<{ metric: Record<string, string>; values: Array<[number, string]> }>).map((s) => ({
        metric: s.metric,
        values: s.values.map(([t, v]) => [t * 1000, num(v)] as [number, number]),
      }));
    },
    async labelValues(name, match, start, end) {
      const q = [match ? `match[]=${encodeURIComponent(match)}` : '', start ? `start=${seconds(start)}` : '', end ? `end=${seconds(end)}` : ''].filter(Boolean).join('&');
      return (await api(`/api/v1/label/${encodeURIComponent(name)}/values${q ? `?${q}` : ''}`)) as string[];
    },
    async scrapedAfter(t, timeoutMs = 60_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const ts = await api(`/api/v1/query?query=${encodeURIComponent(`timestamp(up{job="${JOB}"} == 1)`)}`);
        const times = (ts.result as Array<{ value: [number, string] }>).map((s) => Number(s.value[1]) * 1000);
        if (times.length === o.targets.length && times.every((x) => x >= t)) return Math.min(...times);
        if (Date.now() > until) throw new Error(`no scrape of every ${JOB} target after ${new Date(t).toISOString()} within ${timeoutMs} ms (got ${times.map((x) => new Date(x).toISOString()).join(', ') || 'none'})`);
        await new Promise((r) => setTimeout(r, 200));
      }
    },
    close,
  };
}
