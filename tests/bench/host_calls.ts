// How many Proxy-Wasm host calls the filter makes per data callback and per Kafka request, for the
// workloads of `make bench`: the same module and the same Kafka tools, but through the
// Envoy-faithful Node host of tests/host (which can count calls; Envoy cannot), in front of the
// real broker. The module makes the same calls for the same bytes; only the chunking differs
// (the Node host reads sockets in chunks of up to 64 KiB, Envoy in its own), so the per-request
// figures carry over and the per-callback ones are indicative.
//   make bench-calls   (mk/bench.mk starts the broker)
// Env: CALLS_WORKLOADS (default 1k,100b,fetch), CALLS_RECORDS (default 50000), CALLS_OUT.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { startHost } from '../host/index.ts';
import { PluginHost } from '../host/plugin_host.ts';
import { StreamContext } from '../host/stream_context.ts';
import { consumerPerformance, createTopics, producerPerformance } from './kafka_tools.ts';
import { fmt, table } from './report.ts';

const KAFKA_PORT = Number(process.env.KAFKA_PORT);
const INTERNAL = `127.0.0.1:${process.env.KAFKA_INTERNAL_PORT}`;
const HOST_PORT = Number(process.env.HOST_PORT);
const BOOTSTRAP = `127.0.0.1:${HOST_PORT}`;
const RECORDS = Number(process.env.CALLS_RECORDS ?? 50_000);
const OUT = process.env.CALLS_OUT ?? 'build/bench';

// Counters: every host function by name, and the data callbacks with their bytes.
const calls = new Map<string, number>();
const callbacks = { down: 0, up: 0, downBytes: 0, upBytes: 0 };
type HostFns = Record<string, (...a: number[]) => unknown>;
const proto = PluginHost.prototype as unknown as { hostFunctions(): HostFns };
const original = proto.hostFunctions;
proto.hostFunctions = function (this: PluginHost) {
  const fns = original.call(this);
  for (const [name, f] of Object.entries(fns)) {
    fns[name] = (...a: number[]) => {
      calls.set(name, (calls.get(name) ?? 0) + 1);
      return f(...a);
    };
  }
  return fns;
};
const sc = StreamContext.prototype as unknown as Record<'onDownstreamData' | 'onUpstreamData', (h: { data: Buffer }, e: boolean) => number>;
for (const [m, dir] of [['onDownstreamData', 'down'], ['onUpstreamData', 'up']] as const) {
  const f = sc[m];
  sc[m] = function (this: unknown, h: { data: Buffer }, e: boolean) {
    callbacks[dir]++;
    callbacks[dir === 'down' ? 'downBytes' : 'upBytes'] += h.data.length;
    return f.call(this, h, e);
  };
}

interface Workload { name: string; recordSize: number; partitions: number; producer: Record<string, string | number>; fetchSize?: number }
const WORKLOADS: Workload[] = [
  { name: '1k', recordSize: 1024, partitions: 3, producer: { 'batch.size': 16384 } },
  { name: '100b', recordSize: 100, partitions: 3, producer: { 'batch.size': 1024 } },
  { name: 'fetch', recordSize: 100, partitions: 64, producer: { 'batch.size': 1024 }, fetchSize: 1024 },
].filter((w) => (process.env.CALLS_WORKLOADS ?? '1k,100b,fetch').split(',').includes(w.name));

function snapshot() {
  return { calls: new Map(calls), ...callbacks };
}
function diff(a: ReturnType<typeof snapshot>, b: ReturnType<typeof snapshot>) {
  const d = new Map<string, number>();
  for (const [k, v] of b.calls) if (v - (a.calls.get(k) ?? 0) > 0) d.set(k.replace(/^env\./, ''), v - (a.calls.get(k) ?? 0));
  return { calls: d, down: b.down - a.down, up: b.up - a.up, downBytes: b.downBytes - a.downBytes, upBytes: b.upBytes - a.upBytes };
}

async function main() {
  mkdirSync(OUT, { recursive: true });
  const tmp = mkdtempSync(join(os.tmpdir(), 'bench-calls-'));
  const id = Date.now().toString(36);
  await createTopics(INTERNAL, WORKLOADS.map((w) => [`calls-${id}-${w.name}`, w.partitions] as [string, number]));
  const host = await startHost({ wasm: 'build/kafka-filter.wasm', listen: BOOTSTRAP, upstream: `127.0.0.1:${KAFKA_PORT}`, pluginConfig: '{}' });
  const lines = [`## Host calls of the filter per callback and per request (${fmt(RECORDS)} records per workload, through tests/host)`, ''];
  try {
    for (const w of WORKLOADS) {
      const topic = `calls-${id}-${w.name}`;
      for (const phase of ['produce', 'consume'] as const) {
        const s0 = snapshot();
        const r = phase === 'produce'
          ? await producerPerformance({ bootstrap: BOOTSTRAP, topic, records: RECORDS, recordSize: w.recordSize, clientId: 'bench-producer', props: w.producer })
          : await consumerPerformance({ bootstrap: BOOTSTRAP, topic, records: RECORDS, clientId: 'bench-consumer', group: `calls-${id}-${w.name}`, props: {}, fetchSize: w.fetchSize, configFile: join(tmp, 'c.properties') });
        const d = diff(s0, snapshot());
        const n = d.down + d.up;
        const total = [...d.calls.values()].reduce((a, b) => a + b, 0);
        lines.push(`### ${w.name}, ${phase}: ${fmt(r.requests)} requests, ${fmt(d.down)} + ${fmt(d.up)} data callbacks (requests / responses; ${fmt(d.downBytes / Math.max(d.down, 1))} / ${fmt(d.upBytes / Math.max(d.up, 1))} B each on average), ${fmt(total)} host calls`, '');
        lines.push(...table(['host call', 'calls', 'per callback', 'per request'],
          [...d.calls].sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, fmt(v), fmt(v / n, 2), fmt(v / r.requests, 2)])));
      }
    }
  } finally {
    await host.close();
    rmSync(tmp, { recursive: true, force: true });
  }
  const text = lines.join('\n');
  console.log(text);
  writeFileSync(join(OUT, 'host-calls.md'), text + '\n');
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
