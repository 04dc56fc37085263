// Defines each metric once per VM and caches its id by name: Envoy hands out a new id for every
// proxy_define_metric call, so defining on each use would leak ids. Hot paths keep the ids they
// use (see kafka_metrics.ts) and call the *Id methods, so no name is built per frame.
import { proxy_define_metric, proxy_increment_metric, proxy_record_metric } from "@solo-io/proxy-runtime/assembly/imports";

export const COUNTER: i32 = 0;
export const GAUGE: i32 = 1;
export const HISTOGRAM: i32 = 2;

/** The id of a metric the host refused to define: updates to it are dropped. */
export const NO_METRIC: u32 = 0xffffffff;

const idOut = memory.data(4);

export class MetricRegistry {
  private ids: Map<string, u32> = new Map<string, u32>();
  defineFailures: i32 = 0;

  id(kind: i32, name: string): u32 {
    if (this.ids.has(name)) return this.ids.get(name);
    const bytes = String.UTF8.encode(name);
    store<u32>(idOut, 0);
    const result = proxy_define_metric(kind, changetype<usize>(bytes), bytes.byteLength, idOut);
    let id: u32 = NO_METRIC;
    if (result == 0) id = load<u32>(idOut);
    else this.defineFailures++;
    this.ids.set(name, id);
    return id;
  }

  /** Adds to a counter (Envoy rejects increments <= 0) or a gauge (any sign). */
  addId(id: u32, by: i64): void {
    if (id != NO_METRIC && by != 0) proxy_increment_metric(id, by);
  }

  /** Sets a gauge, or records a histogram sample (proxy_record_metric does either). */
  recordId(id: u32, value: u64): void {
    if (id != NO_METRIC) proxy_record_metric(id, value);
  }

  count(name: string, by: i64 = 1): void {
    if (by > 0) this.addId(this.id(COUNTER, name), by);
  }

  gaugeAdd(name: string, by: i64): void {
    this.addId(this.id(GAUGE, name), by);
  }

  set(name: string, value: u64): void {
    this.recordId(this.id(GAUGE, name), value);
  }

  record(name: string, value: u64): void {
    this.recordId(this.id(HISTOGRAM, name), value);
  }

  size(): i32 {
    return this.ids.size;
  }
}

export const registry = new MetricRegistry();
