// The dashboard's queries as Grafana runs them against Prometheus: panels and targets from the
// generated dashboard, variables substituted the way Grafana substitutes them, the interval
// variables computed with Grafana's rules. Used by the panel-query suite, the demo's summary and
// the dashboard preview, so all three read exactly the dashboard's PromQL.
import { buildDashboard } from '../../istio/dashboards/generate.ts';

export interface DashboardTarget {
  refId: string;
  expr: string;
  legendFormat: string;
  instant: boolean;
}

export interface DashboardPanel {
  id: number;
  type: 'timeseries' | 'stat' | 'table';
  title: string;
  unit: string;
  targets: DashboardTarget[];
}

interface RawPanel {
  id: number;
  type: string;
  title: string;
  targets?: DashboardTarget[];
  fieldConfig?: { defaults?: { unit?: string } };
}

export function dashboardPanels(): DashboardPanel[] {
  const d = buildDashboard() as { panels: RawPanel[] };
  return d.panels
    .filter((p) => p.type !== 'row')
    .map((p) => ({ id: p.id, type: p.type as DashboardPanel['type'], title: p.title, unit: p.fieldConfig?.defaults?.unit ?? 'short', targets: p.targets ?? [] }));
}

export function panel(title: string): DashboardPanel {
  const p = dashboardPanels().find((x) => x.title === title);
  if (!p) throw new Error(`no dashboard panel titled ${JSON.stringify(title)}`);
  return p;
}

export interface DashboardVariables {
  namespace?: string[];
  pod?: string[];
  api?: string[];
  topic?: string[];
  client_id?: string[];
}

/**
 * Grafana's values for the interval variables: $__interval is the step (at least the data
 * source's scrape interval), $__rate_interval = max($__interval + scrape interval,
 * 4 × scrape interval), $__range the dashboard's time range (all in seconds).
 */
export function intervals(scrapeSeconds: number, rangeSeconds: number, maxDataPoints = 1000): { step: number; rateInterval: number; range: number } {
  const step = Math.max(scrapeSeconds, Math.ceil(rangeSeconds / maxDataPoints));
  return { step, rateInterval: Math.max(step + scrapeSeconds, 4 * scrapeSeconds), range: Math.ceil(rangeSeconds) };
}

/** Regex-escapes a value as Grafana does for a Prometheus multi-value variable. */
const escape = (v: string) => v.replace(/[\\^$*+?.()|{}[\]]/g, '\\$&');

/**
 * The expression with the variables substituted: "All" (undefined) is the variables' allValue
 * `.*`; selected values become `a|b` (regex-escaped), as Grafana formats multi-value variables
 * for Prometheus; `$__rate_interval` / `$__range` / `$__interval` are durations in seconds.
 */
export function substitute(expr: string, vars: DashboardVariables, iv: { rateInterval: number; range: number; step: number }): string {
  let out = expr
    .replaceAll('$__rate_interval', `${iv.rateInterval}s`)
    .replaceAll('$__range', `${iv.range}s`)
    .replaceAll('$__interval', `${iv.step}s`);
  for (const name of ['namespace', 'pod', 'api', 'topic', 'client_id'] as const) {
    const v = vars[name];
    const value = v === undefined ? '.*' : v.length === 1 ? escape(v[0]) : `(${v.map(escape).join('|')})`;
    out = out.replace(new RegExp(`\\$${name}\\b`, 'g'), value);
  }
  if (/\$\w/.test(out)) throw new Error(`unsubstituted variable in ${out}`);
  return out;
}

/** A series' legend as Grafana renders legendFormat (`{{label}}`; "__auto" and "" name the series). */
export function legend(format: string, labels: Record<string, string>): string {
  if (format === '__auto' || format === '') {
    const l = Object.entries(labels).filter(([k]) => k !== '__name__').map(([k, v]) => `${k}="${v}"`).join(', ');
    return `{${l}}`;
  }
  return format.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, k: string) => labels[k] ?? '');
}

/** Label names a legendFormat uses. */
export function legendLabels(format: string): string[] {
  return [...format.matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((m) => m[1]);
}
