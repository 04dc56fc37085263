// Defines each metric once per VM and caches its id by name: Envoy hands out a new id for every
// proxy_define_metric call, so defining on each use would leak ids. Hot paths keep the ids they
// use (see kafka_metrics.ts) and call the *Id methods, so no name is built per frame.
// Inside a data callback, counter and gauge increments are added up per metric and sent to the
// host when the callback ends (one proxy_increment_metric per metric per callback instead of one
// per frame; a gauge's +1/-1 within a callback cancels out). Histogram samples and gauge sets go
// to the host at once.
import { proxy_define_metric, proxy_increment_metric, proxy_record_metric } from "@solo-io/proxy-runtime/assembly/imports";
import { inCallback, onCallbackExit } from "../abi/callback_scope";

export const COUNTER: i32 = 0;
export const GAUGE: i32 = 1;
export const HISTOGRAM: i32 = 2;

/** The id of a metric the host refused to define: updates to it are dropped. */
export const NO_METRIC: u32 = 0xffffffff;

const idOut = memory.data(4);

/** Distinct metrics with increments held back during one callback (more: the oldest are sent). */
const PENDING_MAX: i32 = 32;

export class MetricRegistry {
  private ids: Map<string, u32> = new Map<string, u32>();
  private kinds: Map<u32, i32> = new Map<u32, i32>();
  private pendingIds: StaticArray<u32> = new StaticArray<u32>(PENDING_MAX);
  private pendingBy: StaticArray<i64> = new StaticArray<i64>(PENDING_MAX);
  private pendingCount: i32 = 0;
  defineFailures: i32 = 0;

  id(kind: i32, name: string): u32 {
    if (this.ids.has(name)) return this.ids.get(name);
    const bytes = String.UTF8.encode(name);
    store<u32>(idOut, 0);
    const result = proxy_define_metric(kind, changetype<usize>(bytes), bytes.byteLength, idOut);
    let id: u32 = NO_METRIC;
    if (result == 0) {
      id = load<u32>(idOut);
      this.kinds.set(id, kind);
    } else this.defineFailures++;
    this.ids.set(name, id);
    return id;
  }

  /**
   * Adds to a counter (Envoy rejects increments <= 0: they are dropped here) or a gauge (any sign).
   * Inside a data callback the increment is sent when the callback ends.
   */
  addId(id: u32, by: i64): void {
    if (id == NO_METRIC || by == 0) return;
    if (!inCallback()) {
      proxy_increment_metric(id, by);
      return;
    }
    if (by < 0 && this.isCounter(id)) return; // Envoy: BadArgument, nothing recorded
    const n = this.pendingCount;
    for (let i = 0; i < n; i++) {
      if (unchecked(this.pendingIds[i]) == id) {
        unchecked(this.pendingBy[i] += by);
        return;
      }
    }
    if (n == PENDING_MAX) this.flush();
    const at = this.pendingCount;
    unchecked(this.pendingIds[at] = id);
    unchecked(this.pendingBy[at] = by);
    this.pendingCount = at + 1;
  }

  private isCounter(id: u32): bool {
    return this.kinds.has(id) && this.kinds.get(id) == COUNTER;
  }

  /** Sets a gauge, or records a histogram sample (proxy_record_metric does either). */
  recordId(id: u32, value: u64): void {
    if (id == NO_METRIC) return;
    // A set after an increment of the same gauge must win, as it would unbatched.
    for (let i = 0; i < this.pendingCount; i++) {
      if (unchecked(this.pendingIds[i]) == id) {
        this.flush();
        break;
      }
    }
    proxy_record_metric(id, value);
  }

  /** Sends the increments held back during the callback. */
  flush(): void {
    const n = this.pendingCount;
    this.pendingCount = 0;
    for (let i = 0; i < n; i++) {
      const by = unchecked(this.pendingBy[i]);
      if (by != 0) proxy_increment_metric(unchecked(this.pendingIds[i]), by);
    }
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

onCallbackExit((): void => registry.flush());
