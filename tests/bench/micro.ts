// `make bench`: benchmarks of the Kafka filter, reported as RATIOS against a baseline measured in
// the same run (a pass-through Proxy-Wasm module through the same host, or the 1 KiB case).
// Absolute timings depend on the machine and are printed for reference only; nothing here
// passes or fails on time. Results: stdout table + build/bench/results.json.
//
// Env: BENCH_ITER (measured iterations, default 21), BENCH_QUICK=1 (smaller streams),
//      BENCH_SOCKETS=0 (skip the loopback-socket throughput), BENCH_WASM (filter module).

import { mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { Conn, chunkedOps, loadVm, median, nowNs, served, spreadPct, type Op, type Vm } from './harness.ts';
import { apiVersionsRequest, produceRequest, produceResponse, recordBatch } from './kafka_frames.ts';
import { startHost } from '../host/index.ts';

const FILTER = process.env.BENCH_WASM ?? 'build/kafka-filter.wasm';
const PASS = 'build/bench/passthrough.wasm';
const ITER = Math.max(3, Number(process.env.BENCH_ITER ?? 21));
const WARMUP = 2;
const QUICK = process.env.BENCH_QUICK === '1';
const SOCKETS = process.env.BENCH_SOCKETS !== '0';
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

// ------------------------------------------------------------------ 2. throughput vs pass-through
async function throughputInProcess() {
  const filter = await loadVm(FILTER);
  const pass = await loadVm(PASS);
  // Producer-like stream: 16 KiB batches (the Java client's default batch.size), 64 KiB reads.
  const s = produceSchedule(16 * KiB, QUICK ? 512 : 2048);
  const bytes = s.requestBytes + s.responseBytes;
  const tf: number[] = [], tp: number[] = [];
  for (let i = 0; i < WARMUP + ITER; i++) {
    const f = runOnce(filter, s);
    const p = runOnce(pass, s);
    if (i >= WARMUP) { tf.push(f); tp.push(p); }
  }
  const mbps = (t: number) => bytes / (t / 1e9) / MiB;
  const ratios = tf.map((f, i) => tp[i] / f); // throughput(filter) / throughput(pass)
  return {
    stream_bytes: bytes, frames: s.frames, frame_bytes: s.frameBytes,
    filter_MiB_per_s: median(tf.map(mbps)), filter_spread_pct: spreadPct(tf),
    passthrough_MiB_per_s: median(tp.map(mbps)), passthrough_spread_pct: spreadPct(tp),
    throughput_ratio_filter_over_passthrough: median(ratios), ratio_spread_pct: spreadPct(ratios),
  };
}

/** Loopback sockets: client -> host (TcpProxy + module) -> fake broker that answers each request. */
async function throughputSockets() {
  const s = produceSchedule(16 * KiB, QUICK ? 512 : 2048);
  const reqStream = Buffer.concat(s.ops.filter((o) => !o.up).map((o) => o.data));
  const respStream = Buffer.concat(s.ops.filter((o) => o.up).map((o) => o.data));
  const respLen = respStream.length / s.frames;
  // fake broker: answers every complete request frame with its pre-built response
  const broker = net.createServer((sock) => {
    let seen = 0, answered = 0;
    sock.on('data', (d) => {
      seen += d.length;
      const done = Math.floor(seen / s.frameBytes);
      if (done > answered) {
        sock.write(respStream.subarray(answered * respLen, done * respLen));
        answered = done;
      }
    });
    sock.on('error', () => {});
  });
  await new Promise<void>((r) => broker.listen(0, '127.0.0.1', r));
  const upstream = `127.0.0.1:${(broker.address() as net.AddressInfo).port}`;
  const hosts = {
    filter: await startHost({ wasm: FILTER, upstream, pluginConfig: '{}' }),
    pass: await startHost({ wasm: PASS, upstream, pluginConfig: '{}' }),
  };
  const once = (port: number) =>
    new Promise<number>((resolve, reject) => {
      const c = net.connect({ host: '127.0.0.1', port }, () => {
        const t0 = nowNs();
        let got = 0;
        c.on('data', (d) => {
          got += d.length;
          if (got >= respStream.length) {
            const t = nowNs() - t0;
            c.destroy();
            resolve(t);
          }
        });
        c.write(reqStream);
      });
      c.setNoDelay(true);
      c.on('error', reject);
    });
  const tf: number[] = [], tp: number[] = [];
  const iters = Math.max(3, Math.ceil(ITER / 2) + 1);
  for (let i = 0; i < 1 + iters; i++) {
    const f = await once(hosts.filter.port);
    const p = await once(hosts.pass.port);
    if (i >= 1) { tf.push(f); tp.push(p); }
  }
  const prod = statSum({ stats: hosts.filter.store } as Vm, /api=\.=Produce;\.;.*(?<!_)requests_total$/);
  await hosts.filter.close();
  await hosts.pass.close();
  broker.close();
  const bytes = reqStream.length + respStream.length;
  const mbps = (t: number) => bytes / (t / 1e9) / MiB;
  const ratios = tf.map((f, i) => tp[i] / f);
  return {
    stream_bytes: bytes, frames: s.frames, iterations: iters,
    filter_MiB_per_s: median(tf.map(mbps)), filter_spread_pct: spreadPct(tf),
    passthrough_MiB_per_s: median(tp.map(mbps)), passthrough_spread_pct: spreadPct(tp),
    throughput_ratio_filter_over_passthrough: median(ratios), ratio_spread_pct: spreadPct(ratios),
    decoded_ok: prod === (1 + iters) * s.frames,
  };
}

// ------------------------------------------------------------------ 3. memory per connection
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
  console.log(`# make bench — ${new Date().toISOString()} — node ${process.version}, ${os.cpus()[0]?.model ?? '?'} x${os.cpus().length}, ${ITER} measured runs (+${WARMUP} warm-up)\n`);
  const frames = await framesBench();

  const tp = await throughputInProcess();
  console.log(`## 2. Filter overhead on a byte stream (Produce v9, 16 KiB batches, ${CHUNK / KiB} KiB chunks, + responses)\n`);
  const rows2: (string | number)[][] = [
    ['in-process (host ABI, no sockets)', fmt(tp.stream_bytes / MiB, 1), `${fmt(tp.filter_MiB_per_s)} (±${fmt(tp.filter_spread_pct / 2)}%)`, `${fmt(tp.passthrough_MiB_per_s)} (±${fmt(tp.passthrough_spread_pct / 2)}%)`, `${fmt(tp.throughput_ratio_filter_over_passthrough, 3)} (±${fmt(tp.ratio_spread_pct / 2)}%)`],
  ];
  let sock: Awaited<ReturnType<typeof throughputSockets>> | null = null;
  if (SOCKETS) {
    sock = await throughputSockets();
    rows2.push(['loopback sockets (client → host → fake broker → back)', fmt(sock.stream_bytes / MiB, 1), `${fmt(sock.filter_MiB_per_s)} (±${fmt(sock.filter_spread_pct / 2)}%)`, `${fmt(sock.passthrough_MiB_per_s)} (±${fmt(sock.passthrough_spread_pct / 2)}%)`, `${fmt(sock.throughput_ratio_filter_over_passthrough, 3)} (±${fmt(sock.ratio_spread_pct / 2)}%)`]);
  }
  table(['path', 'MiB/run', 'filter MiB/s', 'pass-through MiB/s', 'throughput ratio filter/pass'], rows2);

  const mem = await memoryBench();
  console.log(`## 3. VM linear memory per connection (1000 open connections, 7 frames each: ApiVersions + 3 Produce + 3 responses; 3 fresh VMs)\n`);
  table(['config', 'VM start B', 'after 1 B', 'after 1000 B', 'ratio 1000/1', 'B/conn (after1000-after1)/999', 'B/conn (growth slope)', 'after close + reopen/close 1000 ×3', 'leak?'],
    mem.map((m: any) => [m.config, fmt(m.vm_memory_at_start), fmt(m.vm_memory_after_1), fmt(m.vm_memory_after_N), fmt(m.ratio_memory_N_over_1, 0),
      fmt(m.bytes_per_connection_raw), `${fmt(m.bytes_per_connection_growth_slope)} (±${fmt(m.spread_pct / 2)}%)`,
      m.memory_after_reopen_rounds.map((x: number) => fmt(x / MiB)).join(' / ') + ' MiB', m.leak_suspected ? 'GROWING' : 'no']));

  const results = {
    date: new Date().toISOString(), node: process.version, cpu: os.cpus()[0]?.model, cpus: os.cpus().length,
    iterations: ITER, warmup: WARMUP, chunk_bytes: CHUNK, quick: QUICK, filter_wasm: FILTER,
    frames_vs_size: frames, throughput: { in_process: tp, sockets: sock }, memory: mem,
    elapsed_s: (Date.now() - t0) / 1000,
  };
  mkdirSync('build/bench', { recursive: true });
  writeFileSync('build/bench/results.json', JSON.stringify(results, null, 2) + '\n');
  console.log(`results: build/bench/results.json (${results.elapsed_s.toFixed(1)} s)`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
