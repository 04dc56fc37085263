// `make bench-micro`: in-process microbenchmarks of the module in the Envoy-faithful host of
// tests/host, kept where they explain a real-Envoy figure of `make bench` (docs/benchmarks.md):
//   1. cost per Produce frame vs record payload (why CPU per GiB falls with bigger records and
//      batches: the cost is per frame and per callback, not per byte);
//   2. VM linear memory per open connection (the Wasm share of Envoy's RSS per connection).
// Reported as ratios against a pass-through module in the same run; nothing passes or fails on
// time. Results: stdout + build/bench/micro.json.
// Env: BENCH_ITER (measured iterations, default 21), BENCH_QUICK=1 (smaller streams), BENCH_WASM.

import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { Conn, chunkedOps, loadVm, median, nowNs, served, spreadPct, type Op, type Vm } from './harness.ts';
import { apiVersionsRequest, produceRequest, produceResponse, recordBatch } from './kafka_frames.ts';

const FILTER = process.env.BENCH_WASM ?? 'build/kafka-filter.wasm';
const PASS = 'build/bench/passthrough.wasm';
const ITER = Math.max(3, Number(process.env.BENCH_ITER ?? 21));
const WARMUP = 2;
const QUICK = process.env.BENCH_QUICK === '1';
const CHUNK = 64 * 1024;
const KiB = 1024;
const MiB = 1024 * KiB;

interface Schedule { ops: Op[]; frames: number; requestBytes: number; responseBytes: number; records: number; frameBytes: number }

/**
 * `frames` Produce v9 requests with `payload` bytes of record values each, cut into 64 KiB
 * chunks; after each chunk the responses of the requests completed so far come back upstream.
 */
function produceSchedule(payload: number, frames: number, chunkSize = CHUNK): Schedule {
  const { batch, records } = recordBatch(payload);
  const reqs: Buffer[] = [];
  const resps: Buffer[] = [];
  for (let i = 0; i < frames; i++) {
    reqs.push(produceRequest(i + 1, batch));
    resps.push(produceResponse(i + 1, BigInt(i * records)));
  }
  return {
    ops: chunkedOps(reqs, resps, chunkSize), frames, records: records * frames, frameBytes: reqs[0].length,
    requestBytes: reqs.reduce((s, r) => s + r.length, 0), responseBytes: resps.reduce((s, r) => s + r.length, 0),
  };
}

/** Runs a schedule on a fresh connection; returns elapsed ns of the data callbacks only. */
function runOnce(vm: Vm, s: Schedule): number {
  const c = new Conn(vm);
  c.down(apiVersionsRequest(0)); // set up client id etc. outside the timed part
  const t0 = nowNs();
  for (const op of s.ops) (op.up ? c.up(op.data) : c.down(op.data));
  const t = nowNs() - t0;
  c.close();
  return t;
}

function statSum(vm: Vm, re: RegExp): number {
  let n = 0;
  for (const [k, v] of Object.entries(vm.stats.snapshot())) if (re.test(k) && typeof v === 'number') n += v;
  return n;
}
function decodeProblems(vm: Vm): number {
  return statSum(vm, /(frames_malformed_total|framing_lost_total|unmatched_responses_total|inflight_evicted_total)$/);
}

const fmt = (x: number, d = 0) => x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
function table(headers: string[], rows: (string | number)[][]) {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const w = headers.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  const line = (r: string[]) => '| ' + r.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join(' | ') + ' |';
  console.log(line(headers));
  console.log('|' + w.map((x, i) => (i === 0 ? '-'.repeat(x + 2) : '-'.repeat(x + 1) + ':')).join('|') + '|');
  for (const r of cells.slice(1)) console.log(line(r));
  console.log('');
}

// ------------------------------------------------------------------ 1. cost per frame vs size
async function framesBench() {
  const filter = await loadVm(FILTER);
  const pass = await loadVm(PASS);
  const naive = await loadVm(PASS, 'copy_all'); // pass-through that copies every byte into the VM
  const sizes: Array<[string, number, number]> = QUICK
    ? [['1 KiB', KiB, 2000], ['64 KiB', 64 * KiB, 64], ['1 MiB', MiB, 8], ['8 MiB', 8 * MiB, 2]]
    : [['1 KiB', KiB, 16000], ['64 KiB', 64 * KiB, 512], ['1 MiB', MiB, 48], ['8 MiB', 8 * MiB, 8]];
  const out: Record<string, unknown>[] = [];
  for (const [label, payload, frames] of sizes) {
    const s = produceSchedule(payload, frames);
    const down = s.ops.filter((o) => !o.up).length;
    const tf: number[] = [], tp: number[] = [], tn: number[] = [], copied: number[] = [], reads: number[] = [];
    const probBefore = decodeProblems(filter);
    const prodBefore = statSum(filter, /api=\.=Produce;\.;.*(?<!_)requests_total$/);
    const recBefore = statSum(filter, /produce_records_total$/);
    for (let i = 0; i < WARMUP + ITER; i++) {
      served.bytes = 0;
      served.calls = 0;
      const f = runOnce(filter, s);
      const b = served.bytes, c = served.calls;
      const p = runOnce(pass, s);
      const n = runOnce(naive, s);
      if (i < WARMUP) continue;
      tf.push(f / frames); tp.push(p / frames); tn.push(n / frames);
      copied.push(b / frames); reads.push(c / frames);
    }
    const runs = WARMUP + ITER;
    const prod = statSum(filter, /api=\.=Produce;\.;.*(?<!_)requests_total$/) - prodBefore;
    const recs = statSum(filter, /produce_records_total$/) - recBefore;
    const problems = decodeProblems(filter) - probBefore;
    const decodedOk = prod === runs * frames && recs === runs * s.records && problems === 0;
    out.push({
      payload: label, payload_bytes: payload, frame_bytes: s.frameBytes, frames_per_run: frames,
      records_per_frame: s.records / frames, callbacks_per_frame: (down + (s.ops.length - down)) / frames,
      filter_ns_per_frame: median(tf), filter_spread_pct: spreadPct(tf),
      passthrough_ns_per_frame: median(tp), passthrough_spread_pct: spreadPct(tp),
      filter_minus_passthrough_ns_per_frame: median(tf.map((x, i) => x - tp[i])),
      copy_all_ns_per_frame: median(tn), copy_all_spread_pct: spreadPct(tn),
      bytes_copied_into_vm_per_frame: median(copied), get_buffer_bytes_calls_per_frame: median(reads),
      decoded_ok: decodedOk, produce_requests_counted: prod, produce_records_counted: recs, decode_problems: problems,
    });
  }
  const first = out[0] as Record<string, number>, last = out[out.length - 1] as Record<string, number>;
  const ratios = {
    filter_ns_per_frame_8MiB_over_1KiB: last.filter_ns_per_frame / first.filter_ns_per_frame,
    filter_minus_passthrough_8MiB_over_1KiB: last.filter_minus_passthrough_ns_per_frame / first.filter_minus_passthrough_ns_per_frame,
    passthrough_ns_per_frame_8MiB_over_1KiB: last.passthrough_ns_per_frame / first.passthrough_ns_per_frame,
    copy_all_ns_per_frame_8MiB_over_1KiB: last.copy_all_ns_per_frame / first.copy_all_ns_per_frame,
    bytes_copied_8MiB_over_1KiB: last.bytes_copied_into_vm_per_frame / first.bytes_copied_into_vm_per_frame,
    payload_bytes_8MiB_over_1KiB: last.payload_bytes / first.payload_bytes,
  };
  // cost model filter(frame) = a + b * callbacks: b from the two largest sizes, a from 1 KiB
  const prev = out[out.length - 2] as Record<string, number>;
  const model = {
    filter_ns_per_callback: (last.filter_ns_per_frame - prev.filter_ns_per_frame) / (last.callbacks_per_frame - prev.callbacks_per_frame),
    filter_ns_per_frame_fixed: first.filter_ns_per_frame,
  };
  console.log(`## 1. Cost per Produce v9 frame vs record payload (in-process, ${CHUNK / KiB} KiB chunks, ${ITER} runs, median (spread = (max-min)/median))\n`);
  table(
    ['payload', 'frame B', 'frames/run', 'callbacks/frame', 'filter ns/frame', 'pass-through ns/frame', 'filter - pass ns/frame', 'copy-all ns/frame', 'B copied into VM/frame', 'get_buffer_bytes/frame', 'decoded'],
    out.map((r: any) => [
      r.payload, fmt(r.frame_bytes), r.frames_per_run, fmt(r.callbacks_per_frame, 2),
      `${fmt(r.filter_ns_per_frame)} (±${fmt(r.filter_spread_pct / 2)}%)`, `${fmt(r.passthrough_ns_per_frame)} (±${fmt(r.passthrough_spread_pct / 2)}%)`,
      fmt(r.filter_minus_passthrough_ns_per_frame), `${fmt(r.copy_all_ns_per_frame)} (±${fmt(r.copy_all_spread_pct / 2)}%)`,
      fmt(r.bytes_copied_into_vm_per_frame), fmt(r.get_buffer_bytes_calls_per_frame, 2), r.decoded_ok ? 'ok' : 'NO',
    ]),
  );
  table(['ratio 8 MiB / 1 KiB', 'value'], [
    ...Object.entries(ratios).map(([k, v]) => [k, fmt(v, 2)]),
    ['(model) filter ns per 64 KiB callback inside a frame', fmt(model.filter_ns_per_callback)],
  ]);
  return { rows: out, ratios, model };
}

// ------------------------------------------------------------------ 2. memory per connection
/**
 * Linear memory only grows, and AssemblyScript's allocator grows it by doubling, so the size is
 * a step function. Besides (size after N - size after 1) / (N - 1) we report the slope between
 * the last two growth events: when memory doubles from S at connection n, about S bytes are in
 * use, so (S_j - S_i) / (n_j - n_i) is bytes per connection (an upper bound: GC lag included).
 */
async function memoryOnce(pluginConfig: string, N: number) {
  const s = produceSchedule(KiB, 3);
  const vm = await loadVm(FILTER, pluginConfig);
  const open = () => {
    const c = new Conn(vm);
    c.down(apiVersionsRequest(0));
    for (const op of s.ops) (op.up ? c.up(op.data) : c.down(op.data));
    return c;
  };
  const m0 = vm.memoryBytes();
  const conns = [open()];
  const m1 = vm.memoryBytes();
  const growth: Array<[number, number]> = []; // [n, size before growing]
  let last = m1;
  for (let k = 2; k <= N; k++) {
    conns.push(open());
    const m = vm.memoryBytes();
    if (m !== last) { growth.push([k, last]); last = m; }
  }
  const mN = vm.memoryBytes();
  for (const c of conns) c.close();
  // open and close N again, 3 times: a leak keeps growing memory round after round
  const rounds: number[] = [];
  for (let r = 0; r < 3; r++) {
    const again: Conn[] = [];
    for (let k = 0; k < N; k++) again.push(open());
    for (const c of again) c.close();
    rounds.push(vm.memoryBytes());
  }
  let slope = NaN;
  if (growth.length >= 2) {
    const [ni, si] = growth[growth.length - 2], [nj, sj] = growth[growth.length - 1];
    slope = (sj - si) / (nj - ni);
  }
  return { m0, m1, mN, per_conn_raw: (mN - m1) / (N - 1), per_conn_slope: slope, growth_events: growth, rounds, problems: decodeProblems(vm) };
}

async function memoryBench() {
  const N = 1000;
  const configs: Array<[string, string]> = [
    ['default config', '{}'],
    ['max_in_flight_per_connection=16', '{"max_in_flight_per_connection": 16}'],
  ];
  const out: Record<string, unknown>[] = [];
  for (const [label, cfg] of configs) {
    const runs = [];
    for (let i = 0; i < 3; i++) runs.push(await memoryOnce(cfg, N));
    const r0 = runs[0];
    out.push({
      config: label, plugin_config: cfg, connections: N, frames_per_connection: 7,
      vm_memory_at_start: median(runs.map((r) => r.m0)), vm_memory_after_1: median(runs.map((r) => r.m1)),
      vm_memory_after_N: median(runs.map((r) => r.mN)),
      ratio_memory_N_over_1: median(runs.map((r) => r.mN / r.m1)),
      bytes_per_connection_raw: median(runs.map((r) => r.per_conn_raw)),
      bytes_per_connection_growth_slope: median(runs.map((r) => r.per_conn_slope)),
      spread_pct: spreadPct(runs.map((r) => r.per_conn_slope)),
      memory_after_reopen_rounds: r0.rounds,
      leak_suspected: r0.rounds[2] > r0.rounds[0],
      growth_events: r0.growth_events,
    });
  }
  return out;
}

async function main() {
  const t0 = Date.now();
  console.log(`# make bench-micro — ${new Date().toISOString()} — node ${process.version}, ${os.cpus()[0]?.model ?? '?'} x${os.cpus().length}, ${ITER} measured runs (+${WARMUP} warm-up)\n`);
  const frames = await framesBench();

  const mem = await memoryBench();
  console.log(`## 2. VM linear memory per connection (1000 open connections, 7 frames each: ApiVersions + 3 Produce + 3 responses; 3 fresh VMs)\n`);
  table(['config', 'VM start B', 'after 1 B', 'after 1000 B', 'ratio 1000/1', 'B/conn (after1000-after1)/999', 'B/conn (growth slope)', 'after close + reopen/close 1000 ×3', 'leak?'],
    mem.map((m: any) => [m.config, fmt(m.vm_memory_at_start), fmt(m.vm_memory_after_1), fmt(m.vm_memory_after_N), fmt(m.ratio_memory_N_over_1, 0),
      fmt(m.bytes_per_connection_raw), `${fmt(m.bytes_per_connection_growth_slope)} (±${fmt(m.spread_pct / 2)}%)`,
      m.memory_after_reopen_rounds.map((x: number) => fmt(x / MiB)).join(' / ') + ' MiB', m.leak_suspected ? 'GROWING' : 'no']));

  const results = {
    date: new Date().toISOString(), node: process.version, cpu: os.cpus()[0]?.model, cpus: os.cpus().length,
    iterations: ITER, warmup: WARMUP, chunk_bytes: CHUNK, quick: QUICK, filter_wasm: FILTER,
    frames_vs_size: frames, memory: mem,
    elapsed_s: (Date.now() - t0) / 1000,
  };
  mkdirSync('build/bench', { recursive: true });
  writeFileSync('build/bench/micro.json', JSON.stringify(results, null, 2) + '\n');
  console.log(`results: build/bench/micro.json (${results.elapsed_s.toFixed(1)} s)`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
