// Stats store + Envoy admin renderings (/stats, /stats?format=json, /stats/prometheus).
//
// Semantics followed (see tests/host/README.md for citations):
// - Plugin metrics live under the custom namespace "wasmcustom." (Envoy
//   source/extensions/common/wasm/stats_handler.h CustomStatNamespace); the namespace is
//   stripped on output and such metrics get no "envoy_" prefix in Prometheus
//   (PrometheusStatsFormatter::metricName).
// - Tags are produced by regex tag extractors applied to the full stored name: the first
//   capture group is removed from the name, the second capture group is the value
//   (Envoy source/common/stats/tag_extractor_impl.cc). Each extractor matches once.
// - Prometheus names/tag names are sanitized: every char outside [a-zA-Z0-9_] -> '_'.

export const CUSTOM_STAT_NAMESPACE = 'wasmcustom';

/** Envoy's default histogram buckets (source/common/stats/histogram_impl.cc, defaultBuckets). */
export const ENVOY_DEFAULT_BUCKETS = [
  0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000,
  1800000, 3600000,
];

/** The tag names this project uses (docs/conventions.md). */
export const DEFAULT_STAT_TAGS = [
  'api', 'api_version', 'topic', 'client_id', 'error', 'direction', 'client_software_name',
  'client_software_version', 'partition', 'reason',
];

export interface TagExtractor {
  name: string;
  regex: RegExp;
}

/** Istio bootstrap (tools/packaging/common/envoy_bootstrap.json) extraStatTags entry form. */
export function istioExtraStatTag(name: string): TagExtractor {
  return { name, regex: new RegExp(`(${escapeRe(name)}=\\.=(.*?);\\.;)`) };
}

/** A few of Istio's fixed stats_tags that matter for this host's own stats. */
export function istioFixedTagExtractors(): TagExtractor[] {
  return [
    { name: 'cluster_name', regex: /^cluster\.((.+?(\..+?\.svc\.cluster\.local)?)\.)/ },
    { name: 'tcp_prefix', regex: /^tcp\.((.*?)\.)\w+?$/ },
  ];
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export interface Tag {
  name: string;
  value: string;
}

export interface ExtractedName {
  tagExtractedName: string;
  tags: Tag[];
}

export function extractTags(name: string, extractors: TagExtractor[]): ExtractedName {
  const remove = new Array<boolean>(name.length).fill(false);
  const tags: Tag[] = [];
  for (const ex of extractors) {
    const m = ex.regex.exec(name);
    if (!m || m[1] === undefined) continue;
    const removeStr = m[1];
    const value = m.length > 2 && m[2] !== undefined ? m[2] : removeStr;
    // Position of group 1 inside the match: JS lacks group indices without the 'd' flag,
    // so recompile with 'd' lazily.
    const dre = new RegExp(ex.regex.source, ex.regex.flags.includes('d') ? ex.regex.flags : ex.regex.flags + 'd');
    const dm = dre.exec(name) as RegExpExecArray & { indices?: Array<[number, number] | undefined> };
    const idx = dm?.indices?.[1];
    if (!idx) continue;
    for (let i = idx[0]; i < idx[1]; i++) remove[i] = true;
    tags.push({ name: ex.name, value });
  }
  let out = '';
  for (let i = 0; i < name.length; i++) if (!remove[i]) out += name[i];
  return { tagExtractedName: out, tags };
}

export function sanitizeName(name: string): string {
  const s = name.replace(/[^a-zA-Z0-9_]/g, '_');
  return s;
}

/** Prometheus label value escaping (backslash, double quote, newline). */
export function sanitizeValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** Returns the Prometheus metric name or null when Envoy would drop it. */
export function prometheusMetricName(extracted: string, customNamespaces: string[]): string | null {
  for (const ns of customNamespaces) {
    if (extracted.startsWith(ns + '.')) {
      const s = sanitizeName(extracted.slice(ns.length + 1));
      if (s.length === 0 || /^[0-9]/.test(s)) return null;
      return s;
    }
  }
  const s = sanitizeName(extracted);
  return 'envoy_' + s;
}

export type MetricKind = 'counter' | 'gauge' | 'histogram';

/** A uint64 stat; `used` is what ?usedonly filters on. */
abstract class IntegerStat {
  value = 0n;
  used = false;
  constructor(readonly name: string) {}
  add(n: bigint) {
    this.value += n;
    this.used = true;
  }
}

export class Counter extends IntegerStat {
  readonly kind = 'counter' as const;
  inc() {
    this.add(1n);
  }
}

export class Gauge extends IntegerStat {
  readonly kind = 'gauge' as const;
  sub(n: bigint) {
    this.value -= n;
    if (this.value < 0n) this.value = 0n; // Envoy gauges are uint64; underflow is a bug there.
    this.used = true;
  }
  set(n: bigint) {
    this.value = n;
    this.used = true;
  }
}

export class Histogram {
  readonly kind = 'histogram' as const;
  count = 0;
  sum = 0;
  bucketCounts: number[];
  samples: number[] = [];
  used = false;
  constructor(readonly name: string, readonly buckets: number[]) {
    this.bucketCounts = new Array(buckets.length).fill(0);
  }
  record(v: number) {
    this.count++;
    this.sum += v;
    this.used = true;
    for (let i = 0; i < this.buckets.length; i++) if (v <= this.buckets[i]) this.bucketCounts[i]++;
    if (this.samples.length < 100000) this.samples.push(v);
  }
  quantile(q: number): number {
    if (this.samples.length === 0) return NaN;
    const s = [...this.samples].sort((a, b) => a - b);
    const idx = Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1));
    return s[idx];
  }
}

export type Metric = Counter | Gauge | Histogram;

export interface StatsOptions {
  statTags?: string[];
  extraExtractors?: TagExtractor[];
  histogramBuckets?: number[];
  /**
   * Emulates Envoy's stats_matcher inclusion list (Istio: "reporter=", proxyStatsMatcher
   * inclusionPrefixes, "component", "istio"). Matched against the full stored name
   * (e.g. "wasmcustom.kafka.api=.=Produce;.;requests_total"). Undefined = include all.
   */
  inclusionPrefixes?: string[];
}

export class StatsStore {
  private metrics = new Map<string, Metric>();
  readonly extractors: TagExtractor[];
  readonly buckets: number[];
  readonly customNamespaces = [CUSTOM_STAT_NAMESPACE];
  private inclusionPrefixes?: string[];
  /** Stats rejected by the inclusion list (Envoy hands out null stats for those). */
  private nullMetrics = new Map<string, Metric>();

  constructor(opts: StatsOptions = {}) {
    const tags = opts.statTags ?? DEFAULT_STAT_TAGS;
    this.extractors = [
      ...istioFixedTagExtractors(),
      ...tags.map(istioExtraStatTag),
      ...(opts.extraExtractors ?? []),
    ];
    this.buckets = opts.histogramBuckets ?? ENVOY_DEFAULT_BUCKETS;
    this.inclusionPrefixes = opts.inclusionPrefixes;
  }

  private included(name: string): boolean {
    if (!this.inclusionPrefixes) return true;
    return this.inclusionPrefixes.some((p) => name.startsWith(p));
  }

  private getOrCreate<T extends Metric>(name: string, kind: MetricKind, make: () => T): T {
    const store = this.included(name) ? this.metrics : this.nullMetrics;
    const existing = store.get(name);
    if (existing) {
      if (existing.kind !== kind) {
        // Envoy keeps separate maps per type; a name clash across types yields distinct stats.
        const key = `${name}\u0000${kind}`;
        const e2 = store.get(key);
        if (e2) return e2 as T;
        const m = make();
        store.set(key, m);
        return m;
      }
      return existing as T;
    }
    const m = make();
    store.set(name, m);
    return m;
  }

  counter(name: string): Counter {
    return this.getOrCreate(name, 'counter', () => new Counter(name));
  }
  gauge(name: string): Gauge {
    return this.getOrCreate(name, 'gauge', () => new Gauge(name));
  }
  histogram(name: string): Histogram {
    return this.getOrCreate(name, 'histogram', () => new Histogram(name, this.buckets));
  }

  all(): Metric[] {
    return [...this.metrics.values()];
  }

  /** Name as shown by /stats: custom namespace prefix removed. */
  displayName(name: string): string {
    for (const ns of this.customNamespaces) if (name.startsWith(ns + '.')) return name.slice(ns.length + 1);
    return name;
  }

  /** Plain object {displayName: value} for counters and gauges; histograms as {count,sum}. */
  snapshot(): Record<string, number | { count: number; sum: number }> {
    const out: Record<string, number | { count: number; sum: number }> = {};
    for (const m of this.all()) {
      const n = this.displayName(m.name);
      if (m.kind === 'histogram') out[n] = { count: m.count, sum: m.sum };
      else out[n] = Number(m.value);
    }
    return out;
  }

  renderText(usedOnly = false, filter?: RegExp): string {
    const ms = this.all()
      .filter((m) => (!usedOnly || m.used) && (!filter || filter.test(this.displayName(m.name))))
      .sort((a, b) => cmp(this.displayName(a.name), this.displayName(b.name)));
    const lines: string[] = [];
    const nonHist = ms.filter((m) => m.kind !== 'histogram') as Array<Counter | Gauge>;
    for (const m of nonHist) lines.push(`${this.displayName(m.name)}: ${m.value}`);
    for (const m of ms) {
      if (m.kind !== 'histogram') continue;
      if (m.count === 0) {
        lines.push(`${this.displayName(m.name)}: No recorded values`);
        continue;
      }
      const qs = [0, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.995, 0.999, 1];
      const parts = qs.map((q) => {
        const v = fmtNum(m.quantile(q));
        return `P${fmtNum(q * 100)}(${v},${v})`;
      });
      lines.push(`${this.displayName(m.name)}: ${parts.join(' ')}`);
    }
    return lines.join('\n') + (lines.length ? '\n' : '');
  }

  renderJson(usedOnly = false, filter?: RegExp): string {
    const ms = this.all()
      .filter((m) => (!usedOnly || m.used) && (!filter || filter.test(this.displayName(m.name))))
      .sort((a, b) => cmp(this.displayName(a.name), this.displayName(b.name)));
    const stats: unknown[] = [];
    for (const m of ms) {
      if (m.kind === 'histogram') continue;
      stats.push({ name: this.displayName(m.name), value: Number(m.value) });
    }
    const hists = ms.filter((m) => m.kind === 'histogram') as Histogram[];
    if (hists.length) {
      const qs = [0, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.995, 0.999, 1];
      stats.push({
        histograms: {
          supported_quantiles: qs.map((q) => q * 100),
          computed_quantiles: hists.map((h) => ({
            name: this.displayName(h.name),
            values: qs.map((q) => {
              const v = h.count ? h.quantile(q) : null;
              return { interval: v, cumulative: v };
            }),
          })),
        },
      });
    }
    return JSON.stringify({ stats }, null, 1);
  }

  renderPrometheus(usedOnly = false): string {
    let out = '';
    const kinds: MetricKind[] = ['counter', 'gauge', 'histogram'];
    for (const kind of kinds) {
      const groups = new Map<string, Array<{ m: Metric; tags: Tag[] }>>();
      for (const m of this.all()) {
        if (m.kind !== kind || (usedOnly && !m.used)) continue;
        const ex = extractTags(m.name, this.extractors);
        const pname = prometheusMetricName(ex.tagExtractedName, this.customNamespaces);
        if (pname === null) continue;
        let g = groups.get(pname);
        if (!g) groups.set(pname, (g = []));
        g.push({ m, tags: ex.tags });
      }
      const names = [...groups.keys()].sort(cmp);
      for (const pname of names) {
        out += `# TYPE ${pname} ${kind}\n`;
        const g = groups.get(pname)!.sort((a, b) => cmp(a.m.name, b.m.name));
        for (const { m, tags } of g) {
          const t = tags.map((x) => `${sanitizeName(x.name)}="${sanitizeValue(x.value)}"`).join(',');
          if (m.kind === 'histogram') {
            const ht = t ? t + ',' : '';
            m.buckets.forEach((b, i) => {
              out += `${pname}_bucket{${ht}le="${fmtNum(b)}"} ${m.bucketCounts[i]}\n`;
            });
            out += `${pname}_bucket{${ht}le="+Inf"} ${m.count}\n`;
            out += `${pname}_sum{${t}} ${fmtNum(m.sum)}\n`;
            out += `${pname}_count{${t}} ${m.count}\n`;
          } else {
            out += `${pname}{${t}} ${m.value}\n`;
          }
        }
        out += '\n';
      }
    }
    return out;
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function fmtNum(n: number): string {
  if (Number.isNaN(n)) return 'nan';
  if (Number.isInteger(n)) return n.toString();
  return String(Number(n.toPrecision(15)));
}
