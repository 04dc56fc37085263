// Summaries and Markdown tables for the benchmarks: median with the [min–max] range over rounds,
// and ratios taken round by round (each variant against the baseline measured next to it).

export function median(xs: number[]): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export interface Summary { median: number; min: number; max: number; n: number }

export function summarize(xs: number[]): Summary {
  const ok = xs.filter((x) => Number.isFinite(x));
  return { median: median(ok), min: ok.length ? Math.min(...ok) : NaN, max: ok.length ? Math.max(...ok) : NaN, n: ok.length };
}

export const fmt = (x: number, d = 0): string =>
  Number.isFinite(x) ? x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }) : '–';

/** Significant-looking digits for a value of any size: 1.23, 12.3, 123. */
export function num(x: number): string {
  if (!Number.isFinite(x)) return '–';
  const a = Math.abs(x);
  return fmt(x, a >= 100 ? 0 : a >= 10 ? 1 : a >= 1 ? 2 : 3);
}

/** "median [min–max]" (one round: the value alone). */
export function cell(s: Summary, f: (x: number) => string = num, unit = ''): string {
  if (!s.n) return '–';
  return s.n === 1 || s.min === s.max ? `${f(s.median)}${unit}` : `${f(s.median)}${unit} [${f(s.min)}–${f(s.max)}]`;
}

export const ratioCell = (s: Summary): string => cell(s, (x) => fmt(x, 2), '×');

/** A Markdown table (the first `left` columns left-aligned, the others right-aligned), as lines. */
export function table(headers: string[], rows: string[][], left = 1): string[] {
  const cells = [headers, ...rows];
  const w = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => '| ' + r.map((c, i) => (i < left ? (c ?? '').padEnd(w[i]) : (c ?? '').padStart(w[i]))).join(' | ') + ' |';
  return [line(headers), '|' + w.map((x, i) => (i < left ? '-'.repeat(x + 2) : '-'.repeat(x + 1) + ':')).join('|') + '|', ...rows.map(line), ''];
}
