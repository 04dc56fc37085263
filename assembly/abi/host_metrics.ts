// Envoy's metrics: define a counter, gauge or histogram by name and update it by id
// (proxy_define_metric / proxy_increment_metric / proxy_record_metric).
import { proxy_define_metric, proxy_increment_metric, proxy_record_metric } from "@solo-io/proxy-runtime/assembly/imports";

export const COUNTER: i32 = 0;
export const GAUGE: i32 = 1;
export const HISTOGRAM: i32 = 2;

/** The id of a metric the host refused to define: updates to it are dropped. */
export const NO_METRIC: u32 = 0xffffffff;

const idOut = memory.data(4);

/** Defines a metric; NO_METRIC when the host refuses. Every call defines anew: callers cache ids. */
export function defineMetric(kind: i32, name: string): u32 {
  const bytes = String.UTF8.encode(name);
  store<u32>(idOut, 0);
  if (proxy_define_metric(kind, changetype<usize>(bytes), bytes.byteLength, idOut) != 0) return NO_METRIC;
  return load<u32>(idOut);
}

/** Adds to a counter (the host refuses increments <= 0) or a gauge. */
export function incrementMetric(id: u32, by: i64): void {
  proxy_increment_metric(id, by);
}

/** Sets a gauge, or records a histogram sample. */
export function recordMetric(id: u32, value: u64): void {
  proxy_record_metric(id, value);
}
