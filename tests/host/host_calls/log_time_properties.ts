// Host calls for logging, status, properties and time/ticks
// (proxy-wasm-cpp-host src/exports.cc, Envoy context.cc Context::log / getProperty).

import { LogLevel, WasmResult as R } from '../abi.ts';
import type { PluginHost } from '../plugin_host.ts';
import { getProperty } from '../properties.ts';
import { envModule, type HostFns } from './types.ts';

/** Wall-clock nanoseconds (Date.now() has only millisecond resolution; hrtime fills the rest). */
export function nowNanos(): bigint {
  return BigInt(Date.now()) * 1_000_000n + (process.hrtime.bigint() % 1_000_000n);
}

export function logTimePropertyCalls(h: PluginHost): HostFns {
  return envModule({
    proxy_log: (level: number, ptr: number, size: number) => {
      if (level >>> 0 > LogLevel.critical) return R.BadArgument;
      const m = h.mem.get(ptr, size);
      if (!m) return R.InvalidMemoryAccess;
      h.wasmLog(h.effectiveContext(), level, m.toString('utf8'));
      return R.Ok;
    },
    proxy_get_log_level: (ptr: number) => (h.mem.setWord(ptr, h.logLevel) ? R.Ok : R.InvalidMemoryAccess),
    proxy_get_status: (codePtr: number, ptrPtr: number, sizePtr: number) => {
      if (!h.mem.setWord(codePtr, 0)) return R.InvalidMemoryAccess;
      return h.mem.copyToPointerSize(Buffer.alloc(0), ptrPtr, sizePtr) ? R.Ok : R.InvalidMemoryAccess;
    },
    proxy_get_property: (pathPtr: number, pathSize: number, ptrPtr: number, sizePtr: number) => {
      const path = h.mem.get(pathPtr, pathSize);
      if (!path) return R.InvalidMemoryAccess;
      const r = getProperty(h, h.effectiveContext(), path);
      if (typeof r === 'number') return r;
      return h.mem.copyToPointerSize(r, ptrPtr, sizePtr) ? R.Ok : R.InvalidMemoryAccess;
    },
    proxy_set_property: (kp: number, ks: number, vp: number, vs: number) => {
      const k = h.mem.get(kp, ks);
      const v = h.mem.get(vp, vs);
      if (!k || !v) return R.InvalidMemoryAccess;
      const c = h.effectiveContext();
      if (!c.conn) return R.NotFound; // no stream info on root contexts
      c.filterState.set(k.toString('latin1'), v);
      return R.Ok;
    },
    proxy_get_current_time_nanoseconds: (ptr: number) =>
      h.mem.setU64(ptr, nowNanos()) ? R.Ok : R.InvalidMemoryAccess,
    proxy_set_tick_period_milliseconds: (ms: number) => {
      h.setTickPeriod(ms >>> 0);
      return R.Ok;
    },
  });
}
