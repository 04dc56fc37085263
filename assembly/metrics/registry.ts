// Defines each metric once per VM and caches its id by name: Envoy hands out a new id for every
// proxy_define_metric call, so defining on each use would leak ids. Hot paths keep the ids they
// use (see kafka_metrics.ts) and call the *Id methods, so no name is built per frame.
// Inside a data callback, counter and gauge increments are added up per metric and sent to the
// host when the callback ends (one proxy_increment_metric per metric per callback instead of one
// per frame; a gauge's +1/-1 within a callback cancels out). Histogram samples and gauge sets go
// to the host at once.
import { inCallback, onCallbackExit } from "../abi/callback_scope";
import { COUNTER, GAUGE, HISTOGRAM, NO_METRIC, defineMetric, incrementMetric, recordMetric } from "../abi/host_metrics";
import * as names from "./names";

export { COUNTER, GAUGE, HISTOGRAM, NO_METRIC } from "../abi/host_metrics";

/** Distinct metrics with increments held back during one callback (more: the oldest are sent). */
const PENDING_MAX: i32 = 32;

export class MetricRegistry {
  private ids: Map<string, u32> = new Map<string, u32>();
  private kinds: Map<u32, i32> = new Map<u32, i32>();
  private pendingIds: StaticArray<u32> = new StaticArray<u32>(PENDING_MAX);
  private pendingBy: StaticArray<i64> = new StaticArray<i64>(PENDING_MAX);
  private pendingCount: i32 = 0;
  /**
   * Series whose labels come from traffic (client ids, topics, partitions, error names, client
   * software) a VM may define: the label caps bound each label alone, this bounds their product.
   */
  private budget: i32 = 10000;
  private budgetUsed: i32 = 0;
  private overflowId: u32 = NO_METRIC;
  /** Updates folded into an `other` series or dropped because the budget was spent. */
  budgetOverflows: i64 = 0;

  setBudget(series: i32): void {
    this.budget = series;
  }

  budgetLeft(): i32 {
    return max(0, this.budget - this.budgetUsed);
  }

  /**
   * The id of a series counted against the budget; NO_METRIC when it is new and the budget is
   * spent (counted in kafka_label_overflow_total{reason="series_budget"}; the caller then folds
   * its labels into `other`, or drops the update).
   */
  budgetedId(kind: i32, name: string): u32 {
    if (this.ids.has(name)) return this.ids.get(name);
    if (this.budgetUsed >= this.budget) {
      this.overflowed();
      return NO_METRIC;
    }
    this.budgetUsed++;
    return this.id(kind, name);
  }

  /** Adds 1 to a budgeted counter; false (nothing counted) when it is new and the budget is spent. */
  countBudgeted(name: string): bool {
    const id = this.budgetedId(COUNTER, name);
    if (id == NO_METRIC) return false;
    this.addId(id, 1);
    return true;
  }

  /** Sets a budgeted gauge; dropped when it is new and the budget is spent (gauges cannot fold). */
  setBudgeted(name: string, value: u64): void {
    const id = this.budgetedId(GAUGE, name);
    if (id != NO_METRIC) this.recordId(id, value);
  }

  /** Counts one update the budget folded or dropped. */
  overflowed(): void {
    this.budgetOverflows++;
    if (this.overflowId == NO_METRIC) this.overflowId = this.id(COUNTER, names.metricName(names.LABEL_OVERFLOW_TOTAL, [names.TAG_REASON, names.REASON_SERIES_BUDGET]));
    this.addId(this.overflowId, 1);
  }

  id(kind: i32, name: string): u32 {
    if (this.ids.has(name)) return this.ids.get(name);
    const id = defineMetric(kind, name);
    if (id != NO_METRIC) this.kinds.set(id, kind);
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
      incrementMetric(id, by);
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
    recordMetric(id, value);
  }

  /** Sends the increments held back during the callback. */
  flush(): void {
    const n = this.pendingCount;
    this.pendingCount = 0;
    for (let i = 0; i < n; i++) {
      const by = unchecked(this.pendingBy[i]);
      if (by != 0) incrementMetric(unchecked(this.pendingIds[i]), by);
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
