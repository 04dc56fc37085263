// Per-direction timing of 2000 Produce v9 (1 KiB) request/response pairs, for CPU profiles:
//   node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx tests/bench/profile.mts build/kafka-filter.debug.wasm ['{plugin config}']
// (the debug build keeps function names; see docs/benchmarks.md "Problems found").
import { Conn, loadVm, nowNs } from './harness.ts';
import { apiVersionsRequest, produceRequest, produceResponse, recordBatch } from './kafka_frames.ts';
(async () => {
  const vm = await loadVm(process.argv[2], process.argv[3] ?? '{}');
  const { batch } = recordBatch(1024);
  const reqs = Array.from({ length: 2000 }, (_, i) => produceRequest(i + 1, batch));
  const resps = Array.from({ length: 2000 }, (_, i) => produceResponse(i + 1, 0n));
  for (let r = 0; r < 5; r++) {
    const c = new Conn(vm); c.down(apiVersionsRequest(0));
    let td = 0, tu = 0;
    for (let i = 0; i < 2000; i++) { let t = nowNs(); c.down(reqs[i]); td += nowNs() - t; t = nowNs(); c.up(resps[i]); tu += nowNs() - t; }
    c.close();
    console.log(`req ${(td / 2000).toFixed(0)} ns/frame, resp ${(tu / 2000).toFixed(0)} ns/frame`);
  }
})();
