// Parses Prometheus text exposition (as the host's /stats/prometheus serves it, in Envoy's
// format) into series, so tests query by labels and never depend on label order.
export interface Series {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export function parsePrometheus(text: string): Series[] {
  const out: Series[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)$/.exec(line);
    if (!m) throw new Error(`unparsable exposition line: ${line}`);
    const labels: Record<string, string> = {};
    if (m[3]) for (const l of m[3].matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
    out.push({ name: m[1], labels, value: Number(m[4]) });
  }
  return out;
}

/** Sum of the series of `name` whose labels include all of `match`. */
export function total(series: Series[], name: string, match: Record<string, string> = {}): number {
  let sum = 0;
  for (const s of series) {
    if (s.name !== name) continue;
    if (Object.entries(match).every(([k, v]) => s.labels[k] === v)) sum += s.value;
  }
  return sum;
}

export function find(series: Series[], name: string, match: Record<string, string> = {}): Series[] {
  return series.filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v));
}
