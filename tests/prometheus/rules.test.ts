// The alert rules in Prometheus's own tool: `promtool check rules` on both rule files (the plain
// one and the PrometheusRule's spec), `promtool test rules` on tests/prometheus/rules/*.test.yaml,
// every alert with a case that fires it and one that must not, and mutants of every threshold,
// `for:` and window that the cases must catch (so the edges are really the ones tested).
// Run: node --import tsx --test tests/prometheus/rules.test.ts   (make test-alerts)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import YAML from 'yaml';
import { PROMTOOL_BIN, ROOT, RULES_FILE } from './prometheus.ts';

const run = promisify(execFile);
const CASES_DIR = resolve(import.meta.dirname, 'rules');
const CASE_FILES = readdirSync(CASES_DIR).filter((f) => f.endsWith('.test.yaml')).sort().map((f) => join(CASES_DIR, f));
const CRD_FILE = join(ROOT, 'istio/alerts/kafka-filter-prometheusrule.yaml');

interface Rule { alert: string; expr: string; for?: string; labels?: Record<string, string>; annotations?: Record<string, string> }
interface Group { name: string; rules: Rule[] }
interface AlertCase { eval_time: string; alertname: string; exp_alerts?: unknown[] | null }
interface CaseFile { rule_files: string[]; evaluation_interval?: string; tests: Array<{ name?: string; alert_rule_test?: AlertCase[] }> }

const groups: Group[] = YAML.parse(readFileSync(RULES_FILE, 'utf8')).groups;
const alerts = groups.flatMap((g) => g.rules.map((r) => ({ group: g.name, rule: r })));
const cases = new Map(CASE_FILES.map((f) => [f, YAML.parse(readFileSync(f, 'utf8')) as CaseFile]));

async function promtool(args: string[]): Promise<{ ok: boolean; out: string }> {
  try {
    const r = await run(PROMTOOL_BIN, args, { maxBuffer: 16 << 20 });
    return { ok: true, out: r.stdout + r.stderr };
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    return { ok: false, out: (err.stdout ?? '') + (err.stderr ?? '') || err.message };
  }
}

test('promtool check rules: the plain rules file', async () => {
  const r = await promtool(['check', 'rules', RULES_FILE]);
  assert.ok(r.ok, r.out);
  assert.match(r.out, new RegExp(`SUCCESS: ${alerts.length} rules found`));
});

test('promtool check rules: the PrometheusRule (its spec is a rules file)', async () => {
  const crd = YAML.parse(readFileSync(CRD_FILE, 'utf8'));
  assert.equal(crd.kind, 'PrometheusRule');
  const dir = mkdtempSync(join(tmpdir(), 'promrule-'));
  try {
    const file = join(dir, 'kafka-filter-prometheusrule.spec.yaml');
    writeFileSync(file, YAML.stringify(crd.spec));
    const r = await promtool(['check', 'rules', file]);
    assert.ok(r.ok, r.out);
    assert.match(r.out, new RegExp(`SUCCESS: ${alerts.length} rules found`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('promtool test rules: every case passes', async () => {
  for (const [file, c] of cases) assert.deepEqual(c.rule_files.map((f) => resolve(CASES_DIR, f)), [RULES_FILE], `${file} tests the shipped rules file`);
  const r = await promtool(['test', 'rules', ...CASE_FILES]);
  assert.ok(r.ok, r.out);
});

test('every alert has a case that fires it and one where it must not fire', () => {
  const firing = new Set<string>();
  const silent = new Set<string>();
  for (const c of cases.values()) {
    for (const t of c.tests) {
      for (const a of t.alert_rule_test ?? []) (a.exp_alerts?.length ? firing : silent).add(a.alertname);
    }
  }
  const known = new Set(alerts.map((a) => a.rule.alert));
  assert.deepEqual([...firing, ...silent].filter((n) => !known.has(n)), [], 'cases for alerts the rules file does not have');
  assert.deepEqual(alerts.map((a) => a.rule.alert).filter((n) => !firing.has(n)), [], 'alerts without a firing case');
  assert.deepEqual(alerts.map((a) => a.rule.alert).filter((n) => !silent.has(n)), [], 'alerts without a case where they must not fire');
});

// ---------------------------------------------------------------------------------------------
// Mutants: each changes one edge of one alert; the cases of its group must then fail.

interface Mutant { alert: string; what: string; rule: Rule }

const minutes = (d: string) => {
  const m = /^(\d+)([mh])$/.exec(d);
  if (!m) throw new Error(`duration ${d}`);
  return Number(m[1]) * (m[2] === 'h' ? 60 : 1);
};

function mutants(rule: Rule): Mutant[] {
  const out: Mutant[] = [];
  // every comparison with a number, one at a time: `> x` becomes `>= x`, `== x` becomes `<= x+1`
  const cmp = /(>=|<=|==|!=|>|<)(\s*)(-?\d+(?:\.\d+)?(?:e\d+)?)(?![\w.])/g;
  let nth = 0;
  for (const m of rule.expr.matchAll(cmp)) {
    nth++;
    const [whole, op, space, num] = m;
    const repl = op === '>' ? `>=${space}${num}` : op === '<' ? `<=${space}${num}` : op === '==' ? `<=${space}${Number(num) + 1}` : null;
    if (repl === null) throw new Error(`${rule.alert}: no mutant for ${whole}`);
    const expr = rule.expr.slice(0, m.index) + repl + rule.expr.slice(m.index! + whole.length);
    out.push({ alert: rule.alert, what: `comparison ${nth}: \`${whole.trim()}\` → \`${repl.trim()}\``, rule: { ...rule, expr } });
  }
  const f = rule.for ?? '0m';
  const shorter = minutes(f) > 0 ? `${minutes(f) - 1}m` : '1m';
  out.push({ alert: rule.alert, what: `for: ${f} → ${shorter}`, rule: { ...rule, for: shorter } });
  // every range and offset one minute longer
  const windows = rule.expr.replace(/(\[|offset\s+)(\d+)([mh])/g, (_, pre, n, u) => `${pre}${Number(n) * (u === 'h' ? 60 : 1) + 1}m`);
  if (windows !== rule.expr) out.push({ alert: rule.alert, what: 'every window and offset +1m', rule: { ...rule, expr: windows } });
  return out;
}

/** Mutants that no input can tell apart from the rule, and why. */
const EQUIVALENT: Record<string, string> = {
  'KafkaConsumerLagGrowing: comparison 1: `> 0` → `>= 0`':
    'deriv() would have to be exactly 0 for 15 minutes in a row while the lag rose by more than 100 in every 10-minute window',
};

async function pool<T>(items: T[], n: number, fn: (t: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: n }, async () => {
    while (next < items.length) await fn(items[next++]);
  }));
}

test('the cases catch a mutant of every threshold, for: and window', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'promrule-mutants-'));
  const survivors: string[] = [];
  let tried = 0;
  try {
    const jobs = alerts.flatMap(({ group, rule }) => mutants(rule).map((m) => ({ group, m })));
    await pool(jobs, 2, async ({ group, m }) => {
      const k = tried++;
      const g = groups.find((x) => x.name === group)!;
      const rulesFile = join(dir, `rules-${k}.yaml`);
      writeFileSync(rulesFile, YAML.stringify({ groups: [{ ...g, rules: g.rules.map((r) => (r.alert === m.alert ? m.rule : r)) }] }));
      const check = await promtool(['check', 'rules', rulesFile]);
      assert.ok(check.ok, `${m.alert}: mutant ${m.what} is not a valid rule: ${check.out}`);
      // the case files that test this group's alerts, pointed at the mutant
      const names = new Set(g.rules.map((r) => r.alert));
      const files: string[] = [];
      for (const [file, c] of cases) {
        if (!c.tests.some((t) => (t.alert_rule_test ?? []).some((a) => names.has(a.alertname)))) continue;
        const copy = join(dir, `cases-${k}-${files.length}.yaml`);
        writeFileSync(copy, YAML.stringify({ ...c, rule_files: [rulesFile] }, { aliasDuplicateObjects: false }));
        files.push(copy);
      }
      const r = await promtool(['test', 'rules', ...files]);
      const name = `${m.alert}: ${m.what}`;
      if (!r.ok) assert.match(r.out, /FAILED/, `${name}: ${r.out}`);
      if (r.ok && !(name in EQUIVALENT)) survivors.push(name);
      if (!r.ok && name in EQUIVALENT) survivors.push(`${name} is caught: take it off EQUIVALENT`);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  t.diagnostic(`${tried} mutants of ${alerts.length} alerts, ${Object.keys(EQUIVALENT).length} equivalent by construction`);
  assert.ok(tried >= alerts.length * 2, `only ${tried} mutants`);
  assert.deepEqual(survivors, [], 'mutants no case catches');
});
