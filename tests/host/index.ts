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
}

export interface RunningHost {
  port: number;
  adminPort: number;
  stats(): Record<string, number | { count: number; sum: number }>;
  prometheus(): Promise<string>;
  logs: string[];
  plugin: PluginHost;
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
  const plugin = await PluginHost.create({
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
    log: (_l, line) => {
      logs.push(line);
      if (opts.echoLogs) process.stderr.write(line + '\n');
    },
  });
  const [lh, lp] = hostPort(opts.listen ?? '127.0.0.1:0');
  const [uh, up] = hostPort(opts.upstream);
  const proxy = new TcpProxy(plugin, store, {
    listenHost: lh, listenPort: lp, upstreamHost: uh, upstreamPort: up, captureDir: opts.captureDir,
  });
  const port = await proxy.listen();
  const admin = new AdminServer(store, () => plugin.failed === null || plugin.failOpen);
  const [ah, ap] = hostPort(opts.admin ?? '127.0.0.1:0');
  const adminPort = await admin.listen(ah, ap);
  let closed = false;
  return {
    port,
    adminPort,
    logs,
    plugin,
    store,
    stats: () => store.snapshot(),
    prometheus: async () => store.renderPrometheus(),
    async close() {
      if (closed) return;
      closed = true;
      await proxy.close();
      plugin.shutdown();
      await admin.close();
    },
  };
}

export { HostStartError as StartError };
