// CPU profile driver for the fixed per-frame cost (see docs/benchmarks.md "Where the time goes").
//   node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx tests/bench/profile.mts [wasm] ['{plugin config}']
//   node --import tsx tests/bench/profile_summary.mts /tmp/prof/*.cpuprofile
// Default wasm: build/kafka-filter.debug.wasm (keeps function names). Env:
//   PROFILE_MODE=chunked (default): the 1 KiB row of `make bench` section 1, Produce v9 requests in
//     64 KiB chunks (~57 frames per callback) and their responses after each chunk;
//   PROFILE_MODE=frame: one frame per callback (request, then its response), which adds the cost
//     of two host callbacks to each frame;
//   PROFILE_SECONDS (default 6): how long to loop (after the module is loaded);
//   PROFILE_PAYLOAD (default 1024): record bytes per Produce request (65536: two callbacks per frame);
//   PROFILE_IDLE_CONNECTIONS (default 0): connections kept open (ApiVersions + 3 Produce + 3
//     responses each) during the loop: a larger live heap for the garbage collector to trace.
import { Conn, chunkedOps, idleConnection, loadVm, nowNs, type Op } from './harness.ts';
import { apiVersionsRequest, produceRequest, produceResponse, recordBatch } from './kafka_frames.ts';

const wasm = process.argv[2] ?? 'build/kafka-filter.debug.wasm';
const mode = process.env.PROFILE_MODE ?? 'chunked';
const seconds = Number(process.env.PROFILE_SECONDS ?? 6);
const PAYLOAD = Number(process.env.PROFILE_PAYLOAD ?? 1024);
const FRAMES = PAYLOAD > 4096 ? 256 : 2000;

(async () => {
  const vm = await loadVm(wasm, process.argv[3] ?? '{}');
  const { batch } = recordBatch(PAYLOAD);
  const reqs = Array.from({ length: FRAMES }, (_, i) => produceRequest(i + 1, batch));
  const resps = Array.from({ length: FRAMES }, (_, i) => produceResponse(i + 1, 0n));
  // chunked: 64 KiB request chunks, then the responses of the requests completed so far
  const ops: Op[] = [];
  if (mode === 'chunked') ops.push(...chunkedOps(reqs, resps));
  else {
    for (let i = 0; i < FRAMES; i++) ops.push({ up: false, data: reqs[i] }, { up: true, data: resps[i] });
  }
  const idle: Conn[] = [];
  for (let i = 0; i < Number(process.env.PROFILE_IDLE_CONNECTIONS ?? 0); i++) {
    idle.push(idleConnection(vm, apiVersionsRequest(0), reqs, resps));
  }
  const until = nowNs() + seconds * 1e9;
  let runs = 0, busy = 0;
  while (nowNs() < until) {
    const c = new Conn(vm);
    c.down(apiVersionsRequest(0));
    const t = nowNs();
    for (const op of ops) (op.up ? c.up(op.data) : c.down(op.data));
    busy += nowNs() - t;
    c.close();
    runs++;
  }
  for (const c of idle) c.close();
  console.log(`${mode}, ${idle.length} idle connections: ${runs} runs of ${FRAMES} Produce v9 request/response pairs (${PAYLOAD} B of records), ${(busy / runs / FRAMES).toFixed(0)} ns per pair (${wasm})`);
})();
