// Checks used by dashboards.test.ts: what the filter emits (read from the AssemblyScript source,
// so a renamed metric breaks the dashboard/alert tests) and what PromQL expressions reference.
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

export type Kind = "counter" | "gauge" | "histogram";

export interface Emitted {
  /** Prometheus name (`kafka_` + base) → kind. */
  metrics: Map<string, Kind>;
  /** Tag names (Prometheus label names) declared in names.ts. */
  tags: Set<string>;
  /** Base-name constants of names.ts: constant → base. */
  constants: Map<string, string>;
}

/** Labels that come from the scrape or the histogram rendering, not from the filter. */
export const SCRAPE_LABELS = ["pod", "namespace", "le"];

const REGISTRY_KIND: Record<string, Kind> = { count: "counter", countBudgeted: "counter", gaugeAdd: "gauge", set: "gauge", setBudgeted: "gauge", record: "histogram" };
const DEFINE_KIND: Record<string, Kind> = { COUNTER: "counter", GAUGE: "gauge", HISTOGRAM: "histogram" };

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...tsFiles(p));
    else if (name.endsWith(".ts")) out.push(p);
  }
  return out;
}

/**
 * Reads names.ts (`export const NAME = "base";`; TAG_* are label names, PREFIX the prefix) and
 * the calls `registry.<count|gaugeAdd|set|record>(names.metricName(names.NAME, ...))` in the
 * sources, which give each metric its kind. A base name nobody records is not emitted.
 */
export function emittedFrom(namesTs: string, sources: string[]): Emitted {
  const constants = new Map<string, string>();
  const tags = new Set<string>();
  let prefix = "";
  for (const m of namesTs.matchAll(/export\s+const\s+([A-Z0-9_]+)\s*=\s*"([^"]*)"\s*;/g)) {
    const [, id, value] = m;
    if (id === "PREFIX") prefix = value;
    else if (id.startsWith("TAG_")) tags.add(value);
    else constants.set(id, value);
  }
  if (prefix !== "kafka.") throw new Error(`names.ts: PREFIX is ${JSON.stringify(prefix)}, the Prometheus names below assume "kafka."`);
  const metrics = new Map<string, Kind>();
  // Metrics are recorded by name (`registry.count(names.metricName(names.X, …))`, and the
  // series-budget forms countBudgeted / setBudgeted) or defined once and then updated by id
  // (`registry.id(COUNTER, names.metricName(names.X, …))`, `registry.budgetedId(…)`,
  // `new ApiSeries(HISTOGRAM, names.X)`).
  const call = /(?:registry\.(count|countBudgeted|gaugeAdd|set|setBudgeted|record)\(\s*names\.metricName\(|(?:registry\.(?:id|budgetedId)|new\s+ApiSeries)\(\s*(COUNTER|GAUGE|HISTOGRAM)\s*,\s*(?:names\.metricName\(\s*)?)names\.([A-Z0-9_]+)/g;
  for (const src of sources) {
    for (const m of src.matchAll(call)) {
      const base = constants.get(m[3]);
      if (base === undefined) throw new Error(`names.${m[3]} is recorded but not defined in names.ts`);
      const name = "kafka_" + base;
      const kind = m[1] ? REGISTRY_KIND[m[1]] : DEFINE_KIND[m[2]];
      const before = metrics.get(name);
      if (before !== undefined && before !== kind) throw new Error(`${name} is recorded both as ${before} and ${kind}`);
      metrics.set(name, kind);
    }
  }
  return { metrics, tags, constants };
}

export function emittedByRepo(root: string): Emitted {
  const namesTs = readFileSync(join(root, "assembly/metrics/names.ts"), "utf8");
  const sources = tsFiles(join(root, "assembly")).map((p) => readFileSync(p, "utf8"));
  return emittedFrom(namesTs, sources);
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
      errors.push(`${r.token} is not emitted by the filter (assembly/metrics/names.ts)`);
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
