// Where Envoy's CPU goes with the filter: `perf record` (cpu-clock sampling) of a real Envoy while
// Kafka's tools run through it, with the Wasm functions named.
//   make bench-profile     (mk/bench.mk starts the broker; needs `perf`, Debian linux-perf)
// How the names get there: V8 writes /tmp/perf-<pid>.map when its flag --perf-basic-prof is on.
// Envoy sets V8's flags from one fixed string ("--no-liftoff --wasm_max_mem_pages=%u
// --stack-trace-limit=%u", proxy-wasm-cpp-host src/v8/v8.cc) and offers no option for more, so
// this script runs a copy of the pinned binary in which --stack-trace-limit (the length of trap
// backtraces) is replaced by --perf-basic-prof, same length; code generation is unchanged
// (--no-liftoff stays). The module is the release build with a name section
// (build/bench/kafka-filter.names.wasm, mk/bench.mk). Envoy's own code is stripped: its samples
// are grouped as "envoy (native)", split by the no-op variant into what every connection costs and
// what the filter's host calls add.
// Each variant runs in a fresh Envoy: a warm-up (not profiled) first, so that the metric series
// are defined, then the profiled phase.
// Env: PROFILE_WORKLOADS (default 1k,100b,fetch), PROFILE_RECORDS_SCALE (default 1), PROFILE_OUT.
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { envoyBinary, startEnvoy, type RunningEnvoy } from '../envoy/envoy.ts';
import { consumerPerformance, createTopics, producerPerformance } from './kafka_tools.ts';
import { fmt, table } from './report.ts';

async function bytesCarried(envoy: RunningEnvoy): Promise<number> {
  let n = 0;
  for (const l of (await envoy.admin(`/stats?filter=${encodeURIComponent('^tcp\\.kafka_host\\.downstream_cx_(rx|tx)_bytes_total$')}`)).matchAll(/: (\d+)$/gm)) n += Number(l[1]);
  return n;
}

const KAFKA_PORT = Number(process.env.KAFKA_PORT);
const INTERNAL = `127.0.0.1:${process.env.KAFKA_INTERNAL_PORT}`;
const HOST_PORT = Number(process.env.HOST_PORT);
const BOOTSTRAP = `127.0.0.1:${HOST_PORT}`;
const OUT = process.env.PROFILE_OUT ?? 'build/bench/profile';
const NAMES_WASM = 'build/bench/kafka-filter.names.wasm';
const SCALE = Number(process.env.PROFILE_RECORDS_SCALE ?? 1);
const HZ = 4999;

const FLAGS_OLD = Buffer.from('--no-liftoff --wasm_max_mem_pages=%u --stack-trace-limit=%u');
const FLAGS_NEW = Buffer.from('--no-liftoff --wasm_max_mem_pages=%u --perf-basic-prof   %u');

/** A copy of the pinned Envoy whose V8 writes a perf map; returns the ENVOY_CACHE to use. */
function perfMapEnvoy(): string {
  const bin = envoyBinary();
  const version = /\/(\d+\.\d+\.\d+)\/envoy$/.exec(bin)?.[1];
  if (!version) throw new Error(`unexpected Envoy path ${bin}`);
  const cache = resolve('build/bench/envoy-perfmap');
  const out = join(cache, version, 'envoy');
  if (!existsSync(out)) {
    const b = readFileSync(bin);
    const at = b.indexOf(FLAGS_OLD);
    if (at < 0 || b.indexOf(FLAGS_OLD, at + 1) >= 0) throw new Error(`Envoy ${version}: V8 flag string not found exactly once; cannot enable --perf-basic-prof`);
    FLAGS_NEW.copy(b, at);
    mkdirSync(join(cache, version), { recursive: true });
    writeFileSync(out + '.part', b);
    chmodSync(out + '.part', 0o755);
    copyFileSync(out + '.part', out);
    rmSync(out + '.part');
  }
  return cache;
}

interface Workload { name: string; records: number; recordSize: number; partitions: number; producer: Record<string, string | number>; fetchSize?: number; phase: 'produce' | 'consume' }
const WORKLOADS: Workload[] = [
  { name: '1k', records: 150_000, recordSize: 1024, partitions: 3, producer: { 'batch.size': 16384 }, phase: 'produce' },
  { name: '100b', records: 150_000, recordSize: 100, partitions: 3, producer: { 'batch.size': 1024 }, phase: 'produce' },
  { name: 'fetch', records: 100_000, recordSize: 100, partitions: 64, producer: { 'batch.size': 1024 }, fetchSize: 1024, phase: 'consume' },
].filter((w) => (process.env.PROFILE_WORKLOADS ?? '1k,100b,fetch').split(',').includes(w.name)) as Workload[];

interface Frame { ip: bigint; sym: string; dso: string }
interface Sample { comm: string; frames: Frame[] }

/** perf script's samples (leaf frame first) with V8's builtins named from the perf map. */
function samples(file: string, pid: number): Sample[] {
  const text = execFileSync('perf', ['script', '-i', file, '-F', 'comm,tid,ip,sym,dso', '--show-mmap-events'], { encoding: 'utf8', maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'ignore'] });
  // V8's embedded builtins live in Envoy's text segment, where perf looks for ELF symbols (none: stripped)
  const map = readFileSync(`/tmp/perf-${pid}.map`, 'utf8').split('\n').filter(Boolean).map((l) => {
    const [a, n, ...name] = l.split(' ');
    return { start: BigInt('0x' + a), end: BigInt('0x' + a) + BigInt('0x' + n), name: name.join(' ') };
  }).sort((x, y) => (x.start < y.start ? -1 : 1));
  const lookup = (abs: bigint) => {
    let lo = 0, hi = map.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (map[mid].start > abs) hi = mid - 1;
      else if (map[mid].end <= abs) lo = mid + 1;
      else return map[mid].name;
    }
    return undefined;
  };
  const segs: Array<{ start: bigint; len: bigint; pgoff: bigint }> = [];
  const out: Sample[] = [];
  let cur: Sample | null = null;
  for (const l of text.split('\n')) {
    const mm = /PERF_RECORD_MMAP2? \d+\/\d+: \[0x([0-9a-f]+)\(0x([0-9a-f]+)\) @ 0x([0-9a-f]+)[^\]]*\]: r-xp (\S+\/envoy)$/.exec(l);
    if (mm) { segs.push({ start: BigInt('0x' + mm[1]), len: BigInt('0x' + mm[2]), pgoff: BigInt('0x' + mm[3]) }); continue; }
    const f = /^\t\s*([0-9a-f]+) (.*) \((.*)\)$/.exec(l);
    if (f && cur) {
      const ip = BigInt('0x' + f[1]);
      let sym = f[2];
      if (f[3].endsWith('/envoy') && sym === '[unknown]') {
        for (const sg of segs) {
          const abs = sg.start + (ip - sg.pgoff);
          if (abs >= sg.start && abs < sg.start + sg.len) { sym = lookup(abs) ?? sym; break; }
        }
      }
      cur.frames.push({ ip, sym, dso: f[3] });
      continue;
    }
    const h = /^(\S.*?)\s+\d+\s*$/.exec(l);
    if (h && !l.startsWith('PERF_RECORD')) { cur = { comm: h[1], frames: [] }; out.push(cur); }
  }
  return out;
}

const AREA_WASM = 'module: its own Wasm code';
const AREA_CALLS = 'module: calls out of it (proxy_* host calls into Envoy, V8 runtime such as memory.grow; stubs and kernel under them)';
const isJit = (f: Frame) => f.dso.startsWith('[JIT]') || /^\/tmp\/perf-\d+\.map$/.test(f.dso);
const isWasm = (f: Frame) => isJit(f) && f.sym.startsWith('JS:');
const fnName = (f: Frame) => f.sym.replace(/^JS:/, '').replace(/-\d+-turbofan$/, '');

interface Breakdown { areas: Map<string, number>; wasmSelf: Map<string, number>; hostByCaller: Map<string, number>; hostLeaf: Map<string, number>; total: number }

/** Buckets every sample: the filter's own code, the host side of its calls, and what Envoy does anyway. */
function breakdown(ss: Sample[]): Breakdown {
  const b: Breakdown = { areas: new Map(), wasmSelf: new Map(), hostByCaller: new Map(), hostLeaf: new Map(), total: ss.length };
  const add = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
  for (const s of ss) {
    const leaf = s.frames[0];
    if (!leaf) continue;
    if (!s.comm.startsWith('wrk:')) { add(b.areas, 'other threads (main: stats flush, admin; V8 platform)'); continue; }
    if (isWasm(leaf)) { add(b.areas, AREA_WASM); add(b.wasmSelf, fnName(leaf)); continue; }
    const at = s.frames.findIndex(isWasm);
    if (at > 0) {
      const caller = s.frames[at], callee = s.frames[at - 1];
      // Imports go through a wrapper V8 compiles into the module's code space (the perf map);
      // memory.copy/fill and memory.grow are direct calls into V8's C helpers (Envoy's binary).
      // (a sample inside an unnamed slot of the code space with nothing under it: a jump-table trampoline)
      const kind = isJit(callee) ? (at >= 2 ? 'proxy_* host call' : 'unnamed stub in the code space (import wrapper entry or trampoline)')
        : callee.sym.startsWith('Builtin:') ? callee.sym.replace(/^Builtin:/, 'V8 builtin ') : 'V8 C helper (memory.copy / memory.fill / memory.grow)';
      add(b.areas, AREA_CALLS);
      add(b.hostByCaller, `${fnName(caller)} → ${kind}`);
      add(b.hostLeaf, kind);
      continue;
    }
    if (leaf.sym.startsWith('Stub:') || leaf.sym.startsWith('Builtin:')) { add(b.areas, 'worker: V8 entry stubs and builtins outside the module (callback entry)'); continue; }
    add(b.areas, leaf.dso.startsWith('[kernel') ? 'worker: kernel (sockets, epoll)' : 'worker: Envoy native (event loop, tcp_proxy, buffers, Wasm callback dispatch)');
  }
  return b;
}

async function profileOnce(envoy: RunningEnvoy, label: string, run: () => Promise<unknown>): Promise<Breakdown> {
  const file = join(OUT, `${label}.perf.data`);
  const perf = spawn('perf', ['record', '-e', 'cpu-clock', '-F', String(HZ), '-g', '-p', String(envoy.pid), '-o', file], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  perf.stderr.on('data', (d) => (err += d));
  await new Promise((r) => setTimeout(r, 500));
  await run();
  const done = new Promise((r) => perf.on('close', r));
  perf.kill('SIGINT');
  await done;
  if (!existsSync(file)) throw new Error(`perf record wrote nothing: ${err}`);
  return breakdown(samples(file, envoy.pid));
}

async function main() {
  if (process.env.PROFILE_ANALYSE) {
    // PROFILE_ANALYSE=file.perf.data:pid — the breakdown of a saved recording (its perf map must still be in /tmp)
    const [file, pid] = process.env.PROFILE_ANALYSE.split(':');
    const b = breakdown(samples(file, Number(pid)));
    for (const [name, m] of [['areas', b.areas], ['wasm self', b.wasmSelf], ['calls out by caller', b.hostByCaller], ['calls out by kind', b.hostLeaf]] as const) {
      console.log(`\n${name} (of ${b.total} samples)`);
      for (const [k, n] of [...m].sort((x, y) => y[1] - x[1]).slice(0, 20)) console.log(`${((n / b.total) * 100).toFixed(1).padStart(5)} %  ${k}`);
    }
    return;
  }
  mkdirSync(OUT, { recursive: true });
  process.env.ENVOY_CACHE = perfMapEnvoy();
  const tmp = mkdtempSync(join(os.tmpdir(), 'bench-prof-'));
  const id = Date.now().toString(36);
  const variants = [
    { key: 'noop', wasm: 'build/bench/passthrough.wasm' },
    { key: 'filter', wasm: NAMES_WASM },
  ];
  const topic = (w: Workload, v: string) => `prof-${id}-${w.name}-${v}`;
  await createTopics(INTERNAL, WORKLOADS.flatMap((w) => variants.map((v) => [topic(w, v.key), w.partitions] as [string, number])));
  const lines: string[] = [`## Profile of Envoy ${new Date().toISOString()} (perf record -e cpu-clock -F ${HZ} -g, self samples; load average ${os.loadavg()[0].toFixed(1)})`, ''];
  for (const w of WORKLOADS) {
    const records = Math.round(w.records * SCALE);
    const res: Record<string, { b: Breakdown; cpu: number; bytes: number }> = {};
    for (const v of variants) {
      const envoy = await startEnvoy({ upstreamPort: KAFKA_PORT, listenPort: HOST_PORT, wasm: v.wasm, pluginConfig: '{}', concurrency: 2, statsFlushMs: 5000, vmId: `prof-${v.key}` });
      try {
        const produce = (n: number) => producerPerformance({ bootstrap: BOOTSTRAP, topic: topic(w, v.key), records: n, recordSize: w.recordSize, clientId: 'bench-producer', props: w.producer });
        const consume = (group: string) => consumerPerformance({ bootstrap: BOOTSTRAP, topic: topic(w, v.key), records, clientId: 'bench-consumer', group: `prof-${id}-${w.name}-${v.key}-${group}`, props: {}, fetchSize: w.fetchSize, configFile: join(tmp, 'c.properties') });
        // Warm-up in the same Envoy, not profiled: the metric series are defined (a one-time cost
        // per series and VM), so the profile shows the steady state.
        if (w.phase === 'consume') { await produce(records); await consume('warm-up'); } else await produce(Math.ceil(records / 20));
        const c0 = envoy.cpuSeconds(), b0 = await bytesCarried(envoy);
        const b = await profileOnce(envoy, `${w.name}-${v.key}`, w.phase === 'produce' ? () => produce(records) : () => consume('profiled'));
        res[v.key] = { b, cpu: envoy.cpuSeconds() - c0, bytes: (await bytesCarried(envoy)) - b0 };
        if (envoy.vmFailures().length) throw new Error(envoy.vmFailures()[0]);
      } finally {
        await envoy.close();
      }
    }
    // samples scaled to the CPU time the process used while perf ran
    const sec = (k: string, n: number) => (n / res[k].b.total) * res[k].cpu;
    const fcpu = res.filter.cpu, ncpu = res.noop.cpu;
    const module = sec('filter', (res.filter.b.areas.get(AREA_WASM) ?? 0) + (res.filter.b.areas.get(AREA_CALLS) ?? 0));
    const gib = res.filter.bytes / 2 ** 30;
    lines.push(`### ${w.name} (${w.phase} phase, ${fmt(records)} records, ${fmt(res.filter.bytes / 2 ** 20)} MiB): Envoy CPU no-op ${ncpu.toFixed(2)} s, filter ${fcpu.toFixed(2)} s (${fmt(res.filter.b.total)} samples)`, '');
    lines.push(`CPU attributable to the module (its code + the calls it makes): ${module.toFixed(3)} s = ${fmt((module / fcpu) * 100, 0)} % of Envoy's CPU with the filter, ${(module / gib).toFixed(2)} s per GiB carried.`, '');
    const keys = [...new Set([...res.noop.b.areas.keys(), ...res.filter.b.areas.keys()])];
    lines.push(...table(['area (worker threads unless said)', 'no-op s', 'filter s', 'filter: share of Envoy CPU'],
      keys.map((k) => [k, sec('noop', res.noop.b.areas.get(k) ?? 0), sec('filter', res.filter.b.areas.get(k) ?? 0)] as [string, number, number])
        .sort((a, b) => b[2] - a[2])
        .map(([k, n, f]) => [k, n.toFixed(3), f.toFixed(3), `${fmt((f / fcpu) * 100, 1)} %`])));
    const top = (m: Map<string, number>, n: number) => [...m].sort((a, b) => b[1] - a[1]).slice(0, n)
      .map(([k, c]) => [k, `${fmt((c / res.filter.b.total) * 100, 1)} %`, sec('filter', c).toFixed(3)]);
    lines.push('Filter: Wasm functions by self time (share of all Envoy samples, CPU s):', '');
    lines.push(...table(['function', 'share', 's'], top(res.filter.b.wasmSelf, 25)));
    lines.push('Filter: time of the calls out of the module, by the Wasm function that made them:', '');
    lines.push(...table(['calling function → kind of call', 'share', 's'], top(res.filter.b.hostByCaller, 15)));
    lines.push('Filter: calls out of the module by kind:', '');
    lines.push(...table(['kind', 'share', 's'], top(res.filter.b.hostLeaf, 10)));
  }
  rmSync(tmp, { recursive: true, force: true });
  const text = lines.join('\n');
  console.log(text);
  writeFileSync(join(OUT, 'profile.md'), text + '\n');
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
