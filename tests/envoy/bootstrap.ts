// The Envoy bootstrap every suite, the demo and the benchmarks run: istio/local/envoy.yaml, the
// file docker-compose ships, rendered for loopback with this run's ports, module and plugin
// configuration. Nothing else about it changes, so what we test is what we hand users.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import YAML from 'yaml';

export const SHIPPED_BOOTSTRAP = resolve(import.meta.dirname, '../../istio/local/envoy.yaml');
/** The listener of the shipped file the render keeps: the one clients on the host use. */
const TEMPLATE_LISTENER = 'kafka_host';
const WASM_FILTER = 'envoy.extensions.filters.network.wasm.v3.Wasm';

export type FailurePolicy = 'FAIL_OPEN' | 'FAIL_CLOSED' | 'FAIL_RELOAD';

export interface BootstrapOptions {
  /** the Kafka listener (0: the OS picks) */
  listenPort: number;
  /** the broker (or any recording upstream) */
  upstreamPort: number;
  /** Envoy's admin (0: the OS picks) */
  adminPort?: number;
  /** the module; `null` renders tcp_proxy alone (no Wasm filter), the benchmarks' baseline */
  wasm: string | null;
  /** the plugin configuration, as the filter reads it */
  pluginConfig?: string | object;
  failurePolicy?: FailurePolicy;
  /** VMs with the same vm_id share Envoy's shared data: give a suite its own when it matters */
  vmId?: string;
  /** Envoy's stats flush (histograms only appear after one); default Envoy's 5 s */
  statsFlushMs?: number;
  /** spread connections evenly over the workers (listener connection_balance_config) */
  exactBalance?: boolean;
}

/** The rendered bootstrap, as an object ready for JSON.stringify (Envoy reads JSON as YAML). */
export function renderBootstrap(o: BootstrapOptions): Record<string, any> {
  const doc = YAML.parse(readFileSync(SHIPPED_BOOTSTRAP, 'utf8'));
  doc.admin.address.socket_address = { address: '127.0.0.1', port_value: o.adminPort ?? 0 };
  if (o.statsFlushMs !== undefined) doc.stats_flush_interval = `${o.statsFlushMs / 1000}s`;

  const listener = doc.static_resources.listeners.find((l: any) => l.name === TEMPLATE_LISTENER);
  if (!listener) throw new Error(`${SHIPPED_BOOTSTRAP}: no listener named ${TEMPLATE_LISTENER}`);
  listener.address.socket_address = { address: '127.0.0.1', port_value: o.listenPort };
  if (o.exactBalance) listener.connection_balance_config = { exact_balance: {} };
  const filters: any[] = listener.filter_chains[0].filters;
  const wasmIndex = filters.findIndex((f) => f.typed_config?.['@type']?.endsWith(WASM_FILTER));
  if (wasmIndex < 0) throw new Error(`${SHIPPED_BOOTSTRAP}: listener ${TEMPLATE_LISTENER} has no Wasm filter`);
  if (o.wasm === null) {
    filters.splice(wasmIndex, 1);
  } else {
    const config = filters[wasmIndex].typed_config.config;
    config.vm_config.code.local.filename = resolve(o.wasm);
    if (o.vmId !== undefined) config.vm_config.vm_id = o.vmId;
    if (o.failurePolicy !== undefined) config.failure_policy = o.failurePolicy;
    if (o.pluginConfig !== undefined) {
      config.configuration.value = typeof o.pluginConfig === 'string' ? o.pluginConfig : JSON.stringify(o.pluginConfig);
    }
  }
  doc.static_resources.listeners = [listener];

  const clusterName = filters.find((f) => f.name === 'envoy.filters.network.tcp_proxy').typed_config.cluster;
  const cluster = doc.static_resources.clusters.find((c: any) => c.name === clusterName);
  cluster.type = 'STATIC';
  cluster.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address = { address: '127.0.0.1', port_value: o.upstreamPort };
  doc.static_resources.clusters = [cluster];
  return doc;
}
