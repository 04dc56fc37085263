// Metric host calls (Envoy context.cc Context::defineMetric / incrementMetric / recordMetric /
// getMetric). Ids are `type + 4k` (cpp-host wasm.h kMetricTypeMask), so `id & 3` is the type.

import { MetricType, WasmResult as R } from '../abi.ts';
import type { PluginHost } from '../plugin_host.ts';
import { CUSTOM_STAT_NAMESPACE, type Counter, type Gauge, type Histogram } from '../stats.ts';
import { envModule, type HostFns } from './types.ts';

export function metricCalls(h: PluginHost): HostFns {
  // Per VM: the ids this module defined and the stats they name.
  const counters = new Map<number, Counter>();
  const gauges = new Map<number, Gauge>();
  const histograms = new Map<number, Histogram>();
  const lastId = [MetricType.Counter, MetricType.Gauge, MetricType.Histogram] as number[];

  return envModule({
    proxy_define_metric: (type: number, np: number, ns: number, idPtr: number) => {
      const name = h.mem.get(np, ns);
      if (!name) return R.InvalidMemoryAccess;
      type >>>= 0;
      if (type > MetricType.Max) return R.BadArgument;
      const full = `${CUSTOM_STAT_NAMESPACE}.${name.toString('utf8')}`;
      const id = (lastId[type] += 4);
      if (type === MetricType.Counter) counters.set(id, h.stats.counter(full));
      else if (type === MetricType.Gauge) gauges.set(id, h.stats.gauge(full));
      else histograms.set(id, h.stats.histogram(full));
      return h.mem.setWord(idPtr, id) ? R.Ok : R.InvalidMemoryAccess;
    },
    proxy_increment_metric: (id: number, offset: bigint) => {
      id >>>= 0;
      const t = id & 3;
      if (t === MetricType.Counter) {
        const c = counters.get(id);
        if (!c) return R.NotFound;
        if (offset > 0n) {
          c.add(offset);
          return R.Ok;
        }
        return R.BadArgument;
      } else if (t === MetricType.Gauge) {
        const g = gauges.get(id);
        if (!g) return R.NotFound;
        if (offset > 0n) g.add(offset);
        else g.sub(-offset);
        return R.Ok;
      }
      return R.BadArgument;
    },
    proxy_record_metric: (id: number, value: bigint) => {
      id >>>= 0;
      const v = BigInt.asUintN(64, value);
      const t = id & 3;
      if (t === MetricType.Counter) {
        const c = counters.get(id);
        if (c) return c.add(v), R.Ok;
      } else if (t === MetricType.Gauge) {
        const g = gauges.get(id);
        if (g) return g.set(v), R.Ok;
      } else if (t === MetricType.Histogram) {
        const hist = histograms.get(id);
        if (hist) return hist.record(Number(v)), R.Ok;
      }
      return R.NotFound;
    },
    proxy_get_metric: (id: number, ptr: number) => {
      id >>>= 0;
      const t = id & 3;
      let v: bigint | undefined;
      if (t === MetricType.Counter) {
        const c = counters.get(id);
        if (!c) return R.NotFound;
        v = c.value;
      } else if (t === MetricType.Gauge) {
        const g = gauges.get(id);
        if (!g) return R.NotFound;
        v = g.value;
      } else return R.BadArgument;
      return h.mem.setU64(ptr, v) ? R.Ok : R.InvalidMemoryAccess;
    },
  });
}
