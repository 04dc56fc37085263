// Checks used by dashboards.test.ts: what the filter emits (its one table of metrics,
// assembly/metrics/table.ts, loaded as it is, so a renamed metric breaks the dashboard/alert
// tests) and what PromQL expressions reference.
import { METRICS, type MetricDef } from "../../assembly/metrics/table.ts";

export type Kind = "counter" | "gauge" | "histogram";

export interface Emitted {
  /** Prometheus name (`kafka_` + base) → kind. */
  metrics: Map<string, Kind>;
  /** Label names any metric carries. */
  tags: Set<string>;
  /** Prometheus name → labels, in the stat name's order. */
  labels: Map<string, string[]>;
}

/** Labels that come from the scrape or the histogram rendering, not from the filter. */
export const SCRAPE_LABELS = ["pod", "namespace", "le"];

/** What a table of metric definitions emits. */
export function emittedFrom(table: MetricDef[]): Emitted {
  const metrics = new Map<string, Kind>();
  const labels = new Map<string, string[]>();
  const tags = new Set<string>();
  for (const d of table) {
    const name = "kafka_" + d.name;
    if (metrics.has(name)) throw new Error(`${name} is defined twice in assembly/metrics/table.ts`);
    if (!["counter", "gauge", "histogram"].includes(d.kind)) throw new Error(`${name}: kind ${d.kind}`);
    metrics.set(name, d.kind as Kind);
    labels.set(name, d.labels);
    for (const l of d.labels) tags.add(l);
  }
  return { metrics, tags, labels };
}

/** The filter's metrics (the root argument is kept for callers that name the checkout). */
export function emittedByRepo(_root: string): Emitted {
  return emittedFrom(METRICS);
}

export const README_METRICS_BEGIN = "<!-- metrics:begin (make metrics-readme, from assembly/metrics/table.ts) -->";
export const README_METRICS_END = "<!-- metrics:end -->";

/** The README's table of metrics, rendered from a table of metric definitions. */
export function readmeMetricsTable(table: MetricDef[]): string {
  const rows = table.map((d) => `| \`kafka_${d.name}\` | ${d.kind} | ${d.labels.join(", ")} | ${d.help} |`);
  return [README_METRICS_BEGIN, "| metric | type | labels | meaning |", "|---|---|---|---|", ...rows, README_METRICS_END].join("\n");
}

/** The README with its table of metrics replaced by `section`. */
export function spliceReadmeMetrics(readme: string, section: string): string {
  const a = readme.indexOf(README_METRICS_BEGIN), b = readme.indexOf(README_METRICS_END);
  if (a < 0 || b < a) throw new Error("README.md lacks the metrics:begin / metrics:end markers");
  return readme.slice(0, a) + section + readme.slice(b + README_METRICS_END.length);
}

/** Replaces the contents of string literals (label values, regexes) with nothing. */
export function stripStrings(expr: string): string {
  return expr.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""');
}

export interface Reference {
  token: string;
  metric: string;
  /** The character after the token and its optional {…} selector. */
  next: string;
}

export function metricReferences(expr: string): Reference[] {
  const s = stripStrings(expr);
  const refs: Reference[] = [];
  for (const m of s.matchAll(/(?<![A-Za-z0-9_:])kafka_[a-z0-9_]+/g)) {
    let i = (m.index ?? 0) + m[0].length;
    while (s[i] === " ") i++;
    if (s[i] === "{") {
      i = s.indexOf("}", i) + 1;
      while (s[i] === " ") i++;
    }
    refs.push({ token: m[0], metric: m[0], next: s[i] ?? "" });
  }
  return refs;
}

/** Label names used in selectors, grouping/matching clauses and label_values(…, label). */
export function labelReferences(expr: string): string[] {
  const s = stripStrings(expr);
  const labels: string[] = [];
  for (const m of s.matchAll(/\{([^{}]*)\}/g)) {
    for (const part of m[1].split(",")) {
      const p = part.trim();
      if (p === "") continue;
      const lm = /^([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*""$/.exec(p);
      if (!lm) throw new Error(`cannot read label matcher ${JSON.stringify(p)} in ${expr}`);
      labels.push(lm[1]);
    }
  }
  for (const m of s.matchAll(/\b(by|without|on|ignoring|group_left|group_right)\s*\(([^()]*)\)/g)) {
    for (const l of m[2].split(",")) if (l.trim() !== "") labels.push(l.trim());
  }
  for (const m of s.matchAll(/\blabel_values\s*\((?:[^(),]*,)?\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)/g)) labels.push(m[1]);
  return labels;
}

/** Problems in one expression; `variableQuery` relaxes the rule that counters are only read over a range. */
export function checkExpr(expr: string, emitted: Emitted, variableQuery = false): string[] {
  const errors: string[] = [];
  const s = stripStrings(expr);
  const pairs: Record<string, string> = { ")": "(", "]": "[", "}": "{" };
  const stack: string[] = [];
  for (const c of s) {
    if (c === "(" || c === "[" || c === "{") stack.push(c);
    else if (c in pairs && stack.pop() !== pairs[c]) {
      errors.push(`unbalanced ${c} in ${expr}`);
      break;
    }
  }
  if (stack.length > 0) errors.push(`unclosed ${stack.join("")} in ${expr}`);

  const refs = metricReferences(expr);
  if (refs.length === 0) errors.push(`no kafka_ metric in ${expr}`);
  for (const r of refs) {
    let name = r.token;
    let kind = emitted.metrics.get(name);
    const suffix = /_(bucket|sum|count)$/.exec(name);
    if (suffix) {
      const base = name.slice(0, -suffix[0].length);
      if (emitted.metrics.get(base) === "histogram") {
        name = base;
        kind = "histogram";
      }
    }
    if (kind === undefined) {
      errors.push(`${r.token} is not emitted by the filter (assembly/metrics/table.ts)`);
      continue;
    }
    if (kind === "histogram" && name === r.token) errors.push(`${r.token} is a histogram: query ${r.token}_bucket, _sum or _count`);
    if (!variableQuery && (kind === "counter" || (kind === "histogram" && suffix !== null)) && r.next !== "[") {
      errors.push(`${r.token} is a counter: read it over a range (rate/increase/…[…]), not raw, in ${expr}`);
    }
  }
  if (/histogram_quantile/.test(s)) {
    const by = [...s.matchAll(/\bby\s*\(([^()]*)\)/g)].flatMap((m) => m[1].split(",").map((x) => x.trim()));
    if (!by.includes("le")) errors.push(`histogram_quantile without le in by (…): ${expr}`);
  }
  let labels: string[] = [];
  try {
    labels = labelReferences(expr);
  } catch (e) {
    errors.push((e as Error).message);
  }
  const known = new Set([...emitted.tags, ...SCRAPE_LABELS]);
  for (const l of labels) if (!known.has(l)) errors.push(`label ${l} is not a filter tag or ${SCRAPE_LABELS.join("/")}: ${expr}`);
  return errors;
}

/** The Grafana unit a latency target in microseconds must have, from its divisor. */
export function latencyUnit(expr: string): string {
  const m = /\/\s*(1e6|1000000|1e3|1000)\b/.exec(expr);
  if (!m) return "µs";
  return m[1] === "1e6" || m[1] === "1000000" ? "s" : "ms";
}

/** Which of 0..maxVersion a `api_version=~"…"` regex matches (Prometheus anchors regexes). */
export function versionsMatched(regex: string, maxVersion = 40): number[] {
  const re = new RegExp(`^(?:${regex})$`);
  const out: number[] = [];
  for (let v = 0; v <= maxVersion; v++) if (re.test(String(v))) out.push(v);
  return out;
}

/** Lowest valid version per API name, from the codec's generated tables. */
export function minVersions(apisTs: string): Map<string, number> {
  const names = JSON.parse(/API_NAMES[^=]*=\s*(\[[^\]]*\])/.exec(apisTs)![1]) as string[];
  const mins = JSON.parse(/API_MIN_VERSION[^=]*=\s*(\[[^\]]*\])/.exec(apisTs)![1]) as number[];
  const out = new Map<string, number>();
  names.forEach((n, i) => {
    if (n !== "") out.set(n, mins[i]);
  });
  return out;
}
