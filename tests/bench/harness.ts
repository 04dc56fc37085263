// In-process driver for the benchmarks: one PluginHost (the Envoy-faithful host of tests/host),
// connection contexts without sockets, data callbacks fed with Buffers, and a counter of the
// bytes the host copied into the VM through proxy_get_buffer_bytes.

import { CloseType } from '../host/abi.ts';
import { PluginHost } from '../host/plugin_host.ts';
import type { ConnectionCallbacks, StreamContext } from '../host/stream_context.ts';
import { StatsStore } from '../host/stats.ts';

/** Bytes / calls served by proxy_get_buffer_bytes, summed over every PluginHost of the process. */
export const served = { bytes: 0, calls: 0 };

// Wrap the host's proxy_get_buffer_bytes (installed at load time) to add up the sizes it wrote.
// tests/host has no hook for this; the wrapper only reads the out-parameter after the call.
type HostFns = Record<string, (...a: number[]) => unknown>;
const proto = PluginHost.prototype as unknown as { hostFunctions(): HostFns; __benchWrapped?: boolean };
if (!proto.__benchWrapped) {
  proto.__benchWrapped = true;
  const orig = proto.hostFunctions;
  proto.hostFunctions = function (this: PluginHost) {
    const fns = orig.call(this);
    const get = fns['env.proxy_get_buffer_bytes'];
    fns['env.proxy_get_buffer_bytes'] = (type: number, start: number, length: number, ptrPtr: number, sizePtr: number) => {
      const r = get(type, start, length, ptrPtr, sizePtr);
      if (r === 0) {
        served.calls++;
        served.bytes += this.mem.get(sizePtr, 4)!.readUInt32LE(0);
      }
      return r;
    };
    return fns;
  };
}

export interface Vm {
  plugin: PluginHost;
  stats: StatsStore;
  logs: string[];
  memoryBytes(): number;
}

export async function loadVm(wasm: string | Uint8Array, pluginConfig = '{}'): Promise<Vm> {
  const stats = new StatsStore();
  const logs: string[] = [];
  const plugin = await PluginHost.create({
    wasm, pluginConfig, stats, failOpen: true, logLevel: 2,
    log: (_l, line) => {
      if (logs.length < 1000) logs.push(line);
    },
  });
  return {
    plugin, stats, logs,
    memoryBytes: () => plugin.mem.byteLength,
  };
}

let nextConnId = 1;

/** One downstream connection: a stream context driven directly (Envoy onData / onWrite). */
export class Conn implements ConnectionCallbacks {
  readonly id = nextConnId++;
  readonly ctx: StreamContext;
  constructor(readonly vm: Vm) {
    const ctx = vm.plugin.newConnectionContext(this);
    if (!ctx) throw new Error(`no filter context (VM failed: ${vm.plugin.failMessage})`);
    this.ctx = ctx;
    ctx.onNewConnection();
  }
  info() {
    return {
      connectionId: this.id, sourceAddress: '127.0.0.1', sourcePort: 40000 + (this.id % 20000),
      destinationAddress: '127.0.0.1', destinationPort: 19092, upstreamAddress: '127.0.0.1', upstreamPort: 9092,
    };
  }
  continueReading() {}
  closeDownstream() {}
  /** Client -> broker bytes (the filter returns Continue, so the host hands on and drains them). */
  down(chunk: Buffer) {
    this.ctx.onDownstreamData({ data: chunk }, false);
  }
  /** Broker -> client bytes. */
  up(chunk: Buffer) {
    this.ctx.onUpstreamData({ data: chunk }, false);
  }
  close() {
    // Envoy: RemoteClose event -> on_downstream_connection_close, on_done, on_log, on_delete
    this.ctx.onDownstreamConnectionClose(CloseType.Remote);
  }
}

/** One data callback of a benchmark loop: client -> broker (`up: false`) or broker -> client. */
export interface Op {
  up: boolean;
  data: Buffer;
}

/**
 * The requests as one stream cut into `chunkSize` callbacks, each followed by the responses of
 * the requests it completed (what a client pipelining requests would see).
 */
export function chunkedOps(reqs: Buffer[], resps: Buffer[], chunkSize = 64 * 1024): Op[] {
  const ops: Op[] = [];
  const ends: number[] = [];
  let off = 0;
  for (const r of reqs) ends.push((off += r.length));
  let pos = 0, answered = 0;
  for (const c of chunks(Buffer.concat(reqs), chunkSize)) {
    ops.push({ up: false, data: c });
    pos += c.length;
    let done = answered;
    while (done < reqs.length && ends[done] <= pos) done++;
    if (done > answered) ops.push({ up: true, data: Buffer.concat(resps.slice(answered, done)) });
    answered = done;
  }
  return ops;
}

/** A connection left open with some state in the filter: ApiVersions, 3 requests, their 3 responses. */
export function idleConnection(vm: Vm, apiVersions: Buffer, reqs: Buffer[], resps: Buffer[]): Conn {
  const c = new Conn(vm);
  c.down(apiVersions);
  for (let k = 0; k < 3; k++) c.down(reqs[k]);
  for (let k = 0; k < 3; k++) c.up(resps[k]);
  return c;
}

/** Slices a stream into chunks of `size` bytes (what a socket read would hand over). */
export function chunks(stream: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let o = 0; o < stream.length; o += size) out.push(stream.subarray(o, Math.min(o + size, stream.length)));
  return out;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Spread as (max - min) / median, in percent. */
export function spreadPct(xs: number[]): number {
  const m = median(xs);
  return m === 0 ? 0 : ((Math.max(...xs) - Math.min(...xs)) / m) * 100;
}

export function nowNs(): number {
  return Number(process.hrtime.bigint());
}
