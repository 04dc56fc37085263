// Summarises node --cpu-prof output of tests/bench/profile.mts: where the data callbacks' time goes,
// split between the VM (wasm functions, grouped by area) and the JS host's side of host calls
// (tests/host), as self time in % of the samples taken inside `proxy_on_downstream_data` /
// `proxy_on_upstream_data` (the callbacks and everything under them).
//   TOP=30 node --import tsx tests/bench/profile_summary.mts /tmp/prof/CPU.*.cpuprofile
// Function names need a build with a name section (the debug build, or a release build optimised
// with `wasm-opt -O3 -g`: see docs/benchmarks.md).
import { readFileSync } from 'node:fs';

interface Node { id: number; callFrame: { functionName: string; url: string }; children?: number[] }
interface Profile { nodes: Node[]; samples: number[]; timeDeltas: number[] }

const TOP = Number(process.env.TOP ?? 30);
const CALLBACK = /proxy_on_(downstream|upstream)_data$/;

const isWasm = (n: Node) => n.callFrame.url.startsWith('wasm://');
const fname = (n: Node) => n.callFrame.functionName || '(anonymous)';
const shortUrl = (u: string) =>
  u.startsWith('data:') ? (/__filename%3D%22([^%]*)%22/.exec(u)?.[1]?.replace(/%2F/g, '/') ?? 'data:') : u.split('/').slice(-2).join('/');

/** VM areas by function-name prefix. */
function area(name: string): string {
  if (/^~lib\/rt\/|__visit|__new|__collect|__link|__pin|__unpin|__alloc|__free|__renew|^~lib\/memory/.test(name)) return 'VM: allocation + GC (~lib/rt: itcms, tlsf)';
  if (/^~lib\/string|^~lib\/util\/(string|number)|String#|String\.UTF8/.test(name)) return 'VM: strings (~lib/string, number->string)';
  if (/^~lib\/(map|set)\//.test(name)) return 'VM: Map/Set';
  if (/^assembly\/codec\//.test(name)) return 'VM: body decoder (assembly/codec)';
  if (/^assembly\/(framer|bytes|protocol|abi)\//.test(name)) return 'VM: framer, headers, buffer source (assembly/framer, protocol, abi)';
  if (/^assembly\/metrics\//.test(name)) return 'VM: metrics (assembly/metrics)';
  if (/^assembly\/traffic\//.test(name)) return 'VM: traffic sink (assembly/traffic)';
  if (/^assembly\/filter\//.test(name)) return 'VM: connection/session/inflight (assembly/filter)';
  if (/proxy-runtime/.test(name)) return 'VM: SDK glue (proxy-runtime exports)';
  return 'VM: other wasm';
}

function summarise(file: string) {
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const nodes = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

  let total = 0, inCallbacks = 0;
  const byArea = new Map<string, number>();
  const byFn = new Map<string, number>();
  const byCaller = new Map<string, number>(); // JS self time under host calls, by calling wasm function
  const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);
  for (let i = 0; i < p.samples.length; i++) {
    const dt = p.timeDeltas[i] ?? 0;
    total += dt;
    const leaf = nodes.get(p.samples[i])!;
    // Inside a data callback? For a JS leaf: the nearest wasm frame above it made the host call.
    let inside = false;
    let caller: string | undefined;
    for (let cur: Node | undefined = leaf; cur; cur = nodes.get(parent.get(cur.id) ?? -1)) {
      if (!isWasm(cur)) continue;
      if (caller === undefined) caller = fname(cur);
      if (CALLBACK.test(fname(cur))) { inside = true; break; }
    }
    if (!inside) continue;
    inCallbacks += dt;
    let key: string;
    if (isWasm(leaf)) key = area(fname(leaf));
    else if (fname(leaf) === '(garbage collector)') key = 'JS: V8 garbage collector';
    else if (caller !== undefined && !CALLBACK.test(caller)) key = 'JS host: host functions called by the VM (tests/host)';
    else key = 'JS: other (wasm<->JS wrappers)';
    add(byArea, key, dt);
    add(byFn, isWasm(leaf) ? fname(leaf) : `${fname(leaf)} [${shortUrl(leaf.callFrame.url)}]`, dt);
    if (!isWasm(leaf) && caller !== undefined) add(byCaller, caller, dt);
  }
  if (inCallbacks === 0) return;
  const pct = (v: number) => `${((100 * v) / inCallbacks).toFixed(1).padStart(5)}%`;
  const list = (m: Map<string, number>, n: number) =>
    [...m].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, v]) => `${pct(v)}  ${k}`).join('\n');
  console.log(`${file}\nprofile ${(total / 1e3).toFixed(0)} ms, inside data callbacks ${(inCallbacks / 1e3).toFixed(0)} ms (= 100%)\n`);
  console.log('self time by area:\n' + list(byArea, 50) + '\n');
  console.log('JS self time under host calls, by the wasm function that made the call:\n' + list(byCaller, 15) + '\n');
  console.log(`self time, top ${TOP} functions:\n` + list(byFn, TOP) + '\n');
}

for (const file of process.argv.slice(2)) summarise(file);
