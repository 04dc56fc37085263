// Defines each metric once per VM and caches its id by name: Envoy hands out a new id for every
// proxy_define_metric call, so defining on each use would leak ids.
import { proxy_define_metric, proxy_increment_metric, proxy_record_metric } from "@solo-io/proxy-runtime/assembly/imports";

export const COUNTER: i32 = 0;
export const GAUGE: i32 = 1;
export const HISTOGRAM: i32 = 2;

const idOut = memory.data(4);

export class MetricRegistry {
  private ids: Map<string, u32> = new Map<string, u32>();
  defineFailures: i32 = 0;

  id(kind: i32, name: string): u32 {
    if (this.ids.has(name)) return this.ids.get(name);
    const bytes = String.UTF8.encode(name);
    store<u32>(idOut, 0);
    const result = proxy_define_metric(kind, changetype<usize>(bytes), bytes.byteLength, idOut);
    let id: u32 = 0xffffffff;
    if (result == 0) id = load<u32>(idOut);
    else this.defineFailures++;
    this.ids.set(name, id);
    return id;
  }

  count(name: string, by: i64 = 1): void {
    const id = this.id(COUNTER, name);
    if (id != 0xffffffff && by > 0) proxy_increment_metric(id, by);
  }

  gaugeAdd(name: string, by: i64): void {
    const id = this.id(GAUGE, name);
    if (id != 0xffffffff && by != 0) proxy_increment_metric(id, by);
  }

  /** Sets a gauge (Envoy's proxy_record_metric on a gauge sets its value). */
  set(name: string, value: u64): void {
    const id = this.id(GAUGE, name);
    if (id != 0xffffffff) proxy_record_metric(id, value);
  }

  record(name: string, value: u64): void {
    const id = this.id(HISTOGRAM, name);
    if (id != 0xffffffff) proxy_record_metric(id, value);
  }

  size(): i32 {
    return this.ids.size;
  }
}

export const registry = new MetricRegistry();
