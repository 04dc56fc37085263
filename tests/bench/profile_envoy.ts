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
// Env: PROFILE_WORKLOADS (default 1k,100b,fetch), PROFILE_RECORDS_SCALE (default 1), PROFILE_OUT.
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { envoyBinary, startEnvoy, type RunningEnvoy } from '../envoy/envoy.ts';
import { consumerPerformance, createTopics, producerPerformance } from './kafka_tools.ts';
import { fmt, table } from './report.ts';

const KAFKA_PORT = Number(process.env.KAFKA_PORT);
const INTERNAL = `127.0.0.1:${process.env.KAFKA_INTERNAL_PORT}`;
const HOST_PORT = Number(process.env.HOST_PORT);
const BOOTSTRAP = `127.0.0.1:${HOST_PORT}`;
const OUT = process.env.PROFILE_OUT ?? 'build/bench/profile';
const NAMES_WASM = 'build/bench/kafka-filter.names.wasm';
const SCALE = Number(process.env.PROFILE_RECORDS_SCALE ?? 1);

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

const isWasm = (f: Frame) => (f.dso.startsWith('[JIT]') || /^\/tmp\/perf-\d+\.map$/.test(f.dso)) && f.sym.startsWith('JS:');
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
    if (isWasm(leaf)) { add(b.areas, 'Wasm code (the module itself)'); add(b.wasmSelf, fnName(leaf)); continue; }
    const caller = s.frames.find(isWasm);
    if (caller) {
      add(b.areas, 'host calls made by the module (V8 stubs + Envoy ABI code + kernel under them)');
      add(b.hostByCaller, fnName(caller));
      add(b.hostLeaf, leaf.dso.startsWith('[kernel') ? 'kernel' : leaf.sym.startsWith('Builtin:') || leaf.sym.startsWith('Stub:') ? leaf.sym : leaf.dso.endsWith('/envoy') ? 'Envoy (native)' : leaf.dso.replace(/.*\//, ''));
      continue;
    }
    if (leaf.sym.startsWith('Stub:') || leaf.sym.startsWith('Builtin:')) { add(b.areas, 'worker: V8 entry stubs and builtins outside the module (callback entry)'); continue; }
    add(b.areas, leaf.dso.startsWith('[kernel') ? 'worker: kernel (sockets, epoll)' : 'worker: Envoy native (event loop, tcp_proxy, buffers, Wasm callback dispatch)');
  }
  return b;
}

async function profileOnce(envoy: RunningEnvoy, label: string, run: () => Promise<unknown>): Promise<Breakdown> {
  const file = join(OUT, `${label}.perf.data`);
  const perf = spawn('perf', ['record', '-e', 'cpu-clock', '-F', '1999', '-g', '-p', String(envoy.pid), '-o', file], { stdio: ['ignore', 'ignore', 'pipe'] });
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
  const lines: string[] = [`## Profile of Envoy ${new Date().toISOString()} (perf record -e cpu-clock -F 1999, flat self samples; load average ${os.loadavg()[0].toFixed(1)})`, ''];
  for (const w of WORKLOADS) {
    const records = Math.round(w.records * SCALE);
    const res: Record<string, { b: Breakdown; cpu: number }> = {};
    for (const v of variants) {
      const envoy = await startEnvoy({ upstreamPort: KAFKA_PORT, listenPort: HOST_PORT, wasm: v.wasm, pluginConfig: '{}', concurrency: 2, statsFlushMs: 5000, vmId: `prof-${v.key}` });
      try {
        const produce = () => producerPerformance({ bootstrap: BOOTSTRAP, topic: topic(w, v.key), records, recordSize: w.recordSize, clientId: 'bench-producer', props: w.producer });
        const consume = () => consumerPerformance({ bootstrap: BOOTSTRAP, topic: topic(w, v.key), records, clientId: 'bench-consumer', group: `prof-${id}-${w.name}-${v.key}`, props: {}, fetchSize: w.fetchSize, configFile: join(tmp, 'c.properties') });
        if (w.phase === 'consume') await produce();
        const c0 = envoy.cpuSeconds();
        const b = await profileOnce(envoy, `${w.name}-${v.key}`, w.phase === 'produce' ? produce : consume);
        res[v.key] = { b, cpu: envoy.cpuSeconds() - c0 };
        if (envoy.vmFailures().length) throw new Error(envoy.vmFailures()[0]);
      } finally {
        await envoy.close();
      }
    }
    // samples scaled to the CPU time the process used while perf ran
    const sec = (k: string, n: number) => (n / res[k].b.total) * res[k].cpu;
    const fcpu = res.filter.cpu, ncpu = res.noop.cpu;
    lines.push(`### ${w.name} (${w.phase} phase, ${fmt(records)} records): Envoy CPU no-op ${ncpu.toFixed(2)} s, filter ${fcpu.toFixed(2)} s (${fmt(res.filter.b.total)} samples)`, '');
    const keys = [...new Set([...res.noop.b.areas.keys(), ...res.filter.b.areas.keys()])];
    lines.push(...table(['area', 'no-op s', 'filter s', 'filter − no-op s', 'share of the difference'],
      keys.map((k) => [k, sec('noop', res.noop.b.areas.get(k) ?? 0), sec('filter', res.filter.b.areas.get(k) ?? 0)] as [string, number, number])
        .sort((a, b) => b[2] - a[2])
        .map(([k, n, f]) => [k, n.toFixed(3), f.toFixed(3), (f - n).toFixed(3), `${fmt(((f - n) / (fcpu - ncpu)) * 100, 0)} %`])));
    const top = (m: Map<string, number>, n: number) => [...m].sort((a, b) => b[1] - a[1]).slice(0, n)
      .map(([k, c]) => [k, `${fmt((c / res.filter.b.total) * 100, 1)} %`, sec('filter', c).toFixed(3)]);
    lines.push('Filter: Wasm functions by self time (share of all Envoy samples, CPU s):', '');
    lines.push(...table(['function', 'share', 's'], top(res.filter.b.wasmSelf, 25)));
    lines.push('Filter: host-call time by the Wasm function that made the call:', '');
    lines.push(...table(['calling function', 'share', 's'], top(res.filter.b.hostByCaller, 15)));
    lines.push('Filter: where host-call time lands (leaf frame):', '');
    lines.push(...table(['leaf', 'share', 's'], top(res.filter.b.hostLeaf, 10)));
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
