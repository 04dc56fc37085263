// Real Envoy for the suites, the demo and the benchmarks: the pinned official binary
// (tests/envoy/install.sh) started on the shipped bootstrap (bootstrap.ts) with this run's ports.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { renderBootstrap, type BootstrapOptions } from './bootstrap.ts';

const INSTALL = resolve(import.meta.dirname, 'install.sh');

/** Path of the pinned Envoy binary for `version` (default: $ENVOY_VERSION, else the newest pinned). */
export function envoyBinary(version = process.env.ENVOY_VERSION): string {
  const bin = execFileSync('bash', [INSTALL, '--path', ...(version ? [version] : [])], { encoding: 'utf8' }).trim();
  if (!existsSync(bin)) throw new Error(`${bin} missing: run 'make setup' (tests/envoy/install.sh)`);
  return bin;
}

export interface EnvoyOptions extends Partial<BootstrapOptions> {
  upstreamPort: number;
  /** Envoy version from tests/envoy/versions.tsv (default $ENVOY_VERSION, else the newest) */
  version?: string;
  /** worker threads (Envoy's --concurrency; each runs its own VM); default 1 */
  concurrency?: number;
  /** Envoy's log level for the wasm component (the module's own lines are logged at info) */
  wasmLogLevel?: string;
  /** also write Envoy's log to stderr */
  echoLogs?: boolean;
}

export interface RunningEnvoy {
  /** e.g. "1.40.0" */
  version: string;
  port: number;
  adminPort: number;
  pid: number;
  /** every line Envoy logged so far */
  logs: string[];
  /** the module's own log lines (proxy_log), without Envoy's prefix */
  moduleLogs(): string[];
  /** lines where Envoy reports a VM failure (a trap, a failed callback or a failed load) */
  vmFailures(): string[];
  /** GET on the admin port; resolves with the body (rejects on a non-2xx status) */
  admin(path: string, method?: 'GET' | 'POST'): Promise<string>;
  prometheus(): Promise<string>;
  /** waits for Envoy to flush its stats twice, so histogram samples taken so far are published */
  flushed(): Promise<void>;
  /** downstream connections each worker accepted so far (Envoy's per-worker listener stats) */
  connectionsPerWorker(): Promise<number[]>;
  /** resident set size of the Envoy process, KiB */
  rssKiB(): number;
  /** user + system CPU seconds of the Envoy process so far */
  cpuSeconds(): number;
  /** Envoy exited (status or signal), or null while it runs */
  exited(): string | null;
  close(): Promise<void>;
}

/** Envoy refused the configuration (or died starting); `logs` says why. */
export class EnvoyStartError extends Error {
  constructor(message: string, readonly logs: string[]) { super(message); }
}

const MODULE_LOG = / wasm log [^ ]+ ?[^:]*: (.*)$/;
const VM_FAILURE = /(Function: proxy_on_\w+ failed|Uncaught|Wasm VM failed|Plugin configured to fail|failed to (load|start|configure) Wasm|Unable to create Wasm)/i;

export async function startEnvoy(o: EnvoyOptions): Promise<RunningEnvoy> {
  const bin = envoyBinary(o.version);
  const version = /\/(\d+\.\d+\.\d+)\//.exec(execFileSync(bin, ['--version'], { encoding: 'utf8' }))?.[1] ?? 'unknown';
  const dir = mkdtempSync(join(tmpdir(), 'envoy-'));
  const flushMs = o.statsFlushMs ?? 1000;
  const bootstrap = renderBootstrap({
    listenPort: o.listenPort ?? 0,
    upstreamPort: o.upstreamPort,
    adminPort: o.adminPort ?? 0,
    wasm: o.wasm === undefined ? 'build/kafka-filter.wasm' : o.wasm,
    pluginConfig: o.pluginConfig,
    failurePolicy: o.failurePolicy ?? 'FAIL_CLOSED',
    vmId: o.vmId,
    statsFlushMs: flushMs,
    exactBalance: o.exactBalance,
  });
  const configPath = join(dir, 'envoy.json');
  writeFileSync(configPath, JSON.stringify(bootstrap, null, 1));
  const adminPath = join(dir, 'admin-address');
  const args = ['-c', configPath, '--concurrency', String(o.concurrency ?? 1), '--disable-hot-restart',
    '--admin-address-path', adminPath, '--log-level', 'warning',
    '--component-log-level', `wasm:${o.wasmLogLevel ?? 'info'},config:info`];
  const child: ChildProcess = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const logs: string[] = [];
  let partial = '';
  child.stderr!.on('data', (d: Buffer) => {
    const text = partial + d.toString('utf8');
    const lines = text.split('\n');
    partial = lines.pop()!;
    for (const l of lines) {
      logs.push(l);
      if (o.echoLogs) process.stderr.write(l + '\n');
    }
  });
  let exit: string | null = null;
  const exitedPromise = new Promise<void>((r) => child.on('exit', (code, signal) => { exit = signal ? `signal ${signal}` : `status ${code}`; r(); }));

  const fail = async (why: string): Promise<never> => {
    if (!exit) { child.kill('SIGKILL'); await exitedPromise; }
    if (partial) logs.push(partial);
    rmSync(dir, { recursive: true, force: true });
    throw new EnvoyStartError(`Envoy ${version} ${why}:\n${logs.slice(-15).join('\n')}`, logs);
  };

  const deadline = Date.now() + 30_000;
  let adminPort = 0;
  let port = 0;
  for (;;) {
    if (exit) return fail(`exited while starting (${exit})`);
    if (Date.now() > deadline) return fail('did not become ready in 30 s');
    if (!adminPort && existsSync(adminPath)) {
      const text = readFileSync(adminPath, 'utf8').trim();
      if (text) adminPort = Number(text.slice(text.lastIndexOf(':') + 1));
    }
    if (adminPort) {
      const ready = await fetch(`http://127.0.0.1:${adminPort}/ready`).then((r) => r.status === 200, () => false);
      if (ready) {
        const listeners = JSON.parse(await (await fetch(`http://127.0.0.1:${adminPort}/listeners?format=json`)).text());
        port = listeners.listener_statuses?.[0]?.local_address?.socket_address?.port_value ?? 0;
        if (port) break;
      }
    }
    await new Promise((r) => setTimeout(r, 50));
  }

  const admin = async (path: string, method: 'GET' | 'POST' = 'GET') => {
    const r = await fetch(`http://127.0.0.1:${adminPort}${path}`, { method });
    const body = await r.text();
    if (!r.ok) throw new Error(`admin ${method} ${path}: ${r.status} ${body.slice(0, 200)}`);
    return body;
  };
  const procStat = () => readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1].split(' ');
  let closed = false;
  return {
    version,
    port,
    adminPort,
    pid: child.pid!,
    logs,
    moduleLogs: () => logs.map((l) => MODULE_LOG.exec(l)?.[1]).filter((l): l is string => l !== undefined),
    vmFailures: () => logs.filter((l) => VM_FAILURE.test(l)),
    admin,
    prometheus: () => admin('/stats/prometheus'),
    flushed: () => new Promise((r) => setTimeout(r, 2 * flushMs + 250)),
    connectionsPerWorker: async () => {
      const perWorker: number[] = [];
      for (const m of (await admin(`/stats?filter=${encodeURIComponent('worker_[0-9]+\\.downstream_cx_total')}`)).matchAll(/^listener\.[^:]*\.worker_(\d+)\.downstream_cx_total: (\d+)$/gm)) {
        perWorker[Number(m[1])] = Number(m[2]);
      }
      return Array.from(perWorker, (n) => n ?? 0);
    },
    rssKiB: () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))![1]),
    cpuSeconds: () => { const f = procStat(); return (Number(f[11]) + Number(f[12])) / 100; },
    exited: () => exit,
    async close() {
      if (closed) return;
      closed = true;
      if (!exit) { child.kill('SIGTERM'); await Promise.race([exitedPromise, new Promise((r) => setTimeout(r, 5000))]); }
      if (!exit) { child.kill('SIGKILL'); await exitedPromise; }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
