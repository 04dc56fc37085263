// Programmatic API: run the host in-process (for end-to-end tests).

import { LogLevel, parseLogLevel } from './abi.ts';
import { HostStartError, PluginHost, type PluginOptions } from './plugin_host.ts';
import { AdminServer, TcpProxy } from './proxy.ts';
import { StatsStore } from './stats.ts';

export { HostStartError, PluginHost } from './plugin_host.ts';
export { StatsStore, extractTags, istioExtraStatTag, DEFAULT_STAT_TAGS, ENVOY_DEFAULT_BUCKETS } from './stats.ts';

export interface HostOptions {
  /** path to the .wasm, or its bytes */
  wasm: string | Uint8Array;
  listen?: string; // "127.0.0.1:19092" (port 0 = ephemeral)
  upstream: string; // "127.0.0.1:9092"
  admin?: string; // "127.0.0.1:19901"
  pluginConfig?: string | Uint8Array;
  vmConfig?: string | Uint8Array;
  captureDir?: string;
  failOpen?: boolean; // default true (see README: Envoy/Istio default is fail closed)
  logLevel?: number | string;
  statTags?: string[];
  histogramBuckets?: number[];
  inclusionPrefixes?: string[];
  pluginName?: string;
  rootId?: string;
  vmId?: string;
  node?: PluginOptions['node'];
  env?: Record<string, string>;
  /** also write log lines to stderr (default false for the API, true for the CLI) */
  echoLogs?: boolean;
  /**
   * Envoy worker threads (default 1): one VM per worker (same module and configuration, each with
   * its own root context, start and configure), one process-wide stats store and shared-data
   * store; connections are assigned to workers round-robin and stay on theirs (see README).
   */
  workers?: number;
}

export interface RunningHost {
  port: number;
  adminPort: number;
  stats(): Record<string, number | { count: number; sum: number }>;
  prometheus(): Promise<string>;
  logs: string[];
  /** the VM of worker 0 (the only one unless `workers` > 1) */
  plugin: PluginHost;
  /** one VM per worker, index = worker number */
  workers: PluginHost[];
  /** connections accepted by each worker so far, index = worker number */
  connectionsPerWorker(): number[];
  store: StatsStore;
  close(): Promise<void>;
}

function hostPort(s: string): [string, number] {
  const i = s.lastIndexOf(':');
  if (i < 0) throw new Error(`expected host:port, got "${s}"`);
  return [s.slice(0, i).replace(/^\[|\]$/g, ''), Number(s.slice(i + 1))];
}

export async function startHost(opts: HostOptions): Promise<RunningHost> {
  const store = new StatsStore({
    statTags: opts.statTags,
    histogramBuckets: opts.histogramBuckets,
    inclusionPrefixes: opts.inclusionPrefixes,
  });
  const logs: string[] = [];
  const level = typeof opts.logLevel === 'string' ? parseLogLevel(opts.logLevel) : (opts.logLevel ?? LogLevel.info);
  const workers = opts.workers ?? 1;
  if (!Number.isInteger(workers) || workers < 1) throw new Error(`workers must be a positive integer, got ${workers}`);
  // Envoy: every worker gets its own clone of the base VM, started and configured on that worker
  // (proxy-wasm-cpp-host getOrCreateThreadLocalPlugin); a failing start/configure rejects the
  // configuration, as for one VM.
  const plugins: PluginHost[] = [];
  try {
    for (let w = 0; w < workers; w++) {
      plugins.push(await PluginHost.create({
        wasm: opts.wasm,
        pluginConfig: opts.pluginConfig,
        vmConfig: opts.vmConfig,
        failOpen: opts.failOpen ?? true,
        logLevel: level,
        stats: store,
        pluginName: opts.pluginName,
        rootId: opts.rootId,
        vmId: opts.vmId,
        node: opts.node,
        env: opts.env,
        worker: w,
        log: (_l, line) => {
          logs.push(line);
          if (opts.echoLogs) process.stderr.write(line + '\n');
        },
      }));
    }
  } catch (e) {
    for (const p of plugins) p.shutdown();
    throw e;
  }
  const plugin = plugins[0];
  const [lh, lp] = hostPort(opts.listen ?? '127.0.0.1:0');
  const [uh, up] = hostPort(opts.upstream);
  const proxy = new TcpProxy(plugins, store, {
    listenHost: lh, listenPort: lp, upstreamHost: uh, upstreamPort: up, captureDir: opts.captureDir,
  });
  const port = await proxy.listen();
  // /ready: 503 once a VM failed under fail-closed (its worker refuses connections).
  const admin = new AdminServer(store, () => plugins.every((p) => p.failed === null || p.failOpen));
  const [ah, ap] = hostPort(opts.admin ?? '127.0.0.1:0');
  const adminPort = await admin.listen(ah, ap);
  let closed = false;
  return {
    port,
    adminPort,
    logs,
    plugin,
    workers: plugins,
    connectionsPerWorker: () => [...proxy.connectionsPerWorker],
    store,
    stats: () => store.snapshot(),
    prometheus: async () => store.renderPrometheus(),
    async close() {
      if (closed) return;
      closed = true;
      await proxy.close();
      for (const p of plugins) p.shutdown();
      await admin.close();
    },
  };
}

export { HostStartError as StartError };
