// A/B comparison of filter builds on a row of `make bench` section 1 (Produce v9 requests with
// 1 KiB of records by default, in 64 KiB chunks + responses), runs interleaved so machine noise hits every build alike.
//   node --import tsx tests/bench/ab.mts a.wasm b.wasm [...]      (env: AB_RUNS=31, AB_FRAMES=4000,
//                                                  AB_IDLE_CONNECTIONS=0, AB_PAYLOAD=1024 record bytes)
// Prints the median ns per request/response pair of each build and its ratio to the first.
import { Conn, chunkedOps, idleConnection, loadVm, median, nowNs, spreadPct, type Vm } from './harness.ts';
import { apiVersionsRequest, produceRequest, produceResponse, recordBatch } from './kafka_frames.ts';

const files = process.argv.slice(2);
const RUNS = Number(process.env.AB_RUNS ?? 31);
const FRAMES = Number(process.env.AB_FRAMES ?? 4000);
const IDLE = Number(process.env.AB_IDLE_CONNECTIONS ?? 0);
const PAYLOAD = Number(process.env.AB_PAYLOAD ?? 1024);

const { batch } = recordBatch(PAYLOAD);
const reqs = Array.from({ length: FRAMES }, (_, i) => produceRequest(i + 1, batch));
const resps = Array.from({ length: FRAMES }, (_, i) => produceResponse(i + 1, 0n));
const ops = chunkedOps(reqs, resps);

function run(vm: Vm): number {
  const c = new Conn(vm);
  c.down(apiVersionsRequest(0));
  const t = nowNs();
  for (const op of ops) (op.up ? c.up(op.data) : c.down(op.data));
  const dt = nowNs() - t;
  c.close();
  return dt / FRAMES;
}

(async () => {
  const vms: Vm[] = [];
  for (const f of files) {
    const vm = await loadVm(f);
    for (let i = 0; i < IDLE; i++) idleConnection(vm, apiVersionsRequest(0), reqs, resps);
    vms.push(vm);
  }
  const t: number[][] = files.map(() => []);
  for (let r = 0; r < RUNS + 2; r++) {
    for (let i = 0; i < vms.length; i++) {
      const x = run(vms[(i + r) % vms.length]);
      if (r >= 2) t[(i + r) % vms.length].push(x);
    }
  }
  const base = median(t[0]);
  console.log(`${RUNS} interleaved runs of ${FRAMES} Produce v9 pairs (${PAYLOAD} B of records), ${IDLE} idle connections; median (spread = (max-min)/median)\n`);
  console.log('| build | ns per request/response pair | ratio to first |');
  console.log('|---|---:|---:|');
  files.forEach((f, i) => console.log(`| ${f} | ${median(t[i]).toFixed(0)} (±${(spreadPct(t[i]) / 2).toFixed(0)}%) | ${(median(t[i]) / base).toFixed(2)} |`));
})();
