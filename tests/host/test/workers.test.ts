// Envoy's per-worker VMs: one VM per worker thread (same module and configuration, own root
// context, own globals), connections pinned to one worker, one process-wide stats store (the same
// metric name from two VMs is one stat) and one shared-data store per vm_id.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startHost, type RunningHost } from '../index.ts';
import { trapModule, workersModule } from './modules.ts';
import { useEchoServer, withEchoHost, get, echoUpstream } from './echo_host.ts';

useEchoServer();


/** One connection: sends `data`, half-closes, returns what came back before the close. */
function roundTrip(port: number, data: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    const got: Buffer[] = [];
    s.on('data', (d) => got.push(d));
    s.on('error', () => {});
    s.on('close', () => resolve(Buffer.concat(got).toString()));
    s.on('connect', () => s.end(data));
    setTimeout(() => reject(new Error('roundTrip timeout')), 5000).unref();
  });
}


const vmLines = (h: RunningHost, w: number, re: RegExp) =>
  h.workers[w].logs.filter((l) => re.test(l)).map((l) => l.replace(/^.*: /, ''));

test('workers: default is one VM, as before', async () => {
  await withEchoHost({ wasm: workersModule(), vmId: 'workers-one' }, async (h) => {
    assert.equal(h.workers.length, 1);
    assert.equal(h.plugin, h.workers[0]);
    assert.equal(await roundTrip(h.port, 'a'), 'a');
    assert.equal(await roundTrip(h.port, 'b'), 'b');
    assert.deepEqual(h.connectionsPerWorker(), [2]);
    assert.deepEqual(vmLines(h, 0, /vm=/), ['vm=1 total=1', 'vm=2 total=2']);
  });
});

test('two workers: own VM each, connections alternate, one stat per metric name, shared data across VMs', async () => {
  await withEchoHost({ wasm: workersModule(), workers: 2, vmId: 'workers-two' }, async (h) => {
    assert.equal(h.workers.length, 2);
    assert.notEqual(h.workers[0], h.workers[1]);
    // each VM has its own root context: started and configured once per worker
    for (const w of [0, 1]) {
      assert.equal(h.workers[w].worker, w);
      assert.equal(vmLines(h, w, /: on_vm_start$/).length, 1, `worker ${w} proxy_on_vm_start`);
      assert.equal(vmLines(h, w, /: on_configure$/).length, 1, `worker ${w} proxy_on_configure`);
      assert.equal(h.workers[w].failed, null);
    }
    for (const d of ['one', 'two', 'three', 'four']) assert.equal(await roundTrip(h.port, d), d);
    assert.deepEqual(h.connectionsPerWorker(), [2, 2]);
    // VM globals are per worker (count 1, 2 on each), the counter both VMs defined is one stat
    // (proxy_get_metric in one VM sees the other's increments)
    assert.deepEqual(vmLines(h, 0, /vm=/), ['vm=1 total=1', 'vm=2 total=3']);
    assert.deepEqual(vmLines(h, 1, /vm=/), ['vm=1 total=2', 'vm=2 total=4']);
    const prom = (await get(h.adminPort, '/stats/prometheus')).body;
    assert.equal(prom.match(/^# TYPE workers_test_connections_total counter$/gm)?.length, 1, prom);
    assert.deepEqual(prom.match(/^workers_test_connections_total.*$/gm), ['workers_test_connections_total{} 4']);
    assert.equal(h.stats()['workers_test.connections_total'], 4);
    assert.match(prom, /envoy_tcp_downstream_cx_total\{tcp_prefix="kafka"\} 4/);
    // shared data: set by worker 0's VM on the first connection, read by worker 1's VM
    assert.deepEqual(vmLines(h, 0, /shared/), ['shared data set', 'shared=hello-from-first-vm']);
    assert.deepEqual(vmLines(h, 1, /shared/), ['shared=hello-from-first-vm', 'shared=hello-from-first-vm']);
    assert.deepEqual(h.workers.map((vm) => vm.sharedDataReadsFromOtherVms), [0, 2]);
  });
});

test('two workers, fail-closed: a trap fails only that worker\'s VM', async () => {
  await withEchoHost({ wasm: trapModule(), workers: 2, failOpen: false }, async (h) => {
    assert.equal(await roundTrip(h.port, 'Trap me'), ''); // worker 0: trap, connection closed
    assert.equal(h.workers[0].failed, 'RuntimeError');
    assert.equal(h.workers[1].failed, null);
    assert.equal(await roundTrip(h.port, 'Tfine'), ''); // worker 1: its VM traps on its own
    assert.equal(h.workers[1].failed, 'RuntimeError');
    assert.equal(h.stats()['wasm_host.vm_runtime_errors'], 2, 'one process-wide counter');
    assert.equal((await get(h.adminPort, '/ready')).status, 503);
  });
  await withEchoHost({ wasm: trapModule(), workers: 2, failOpen: false }, async (h) => {
    assert.equal(await roundTrip(h.port, 'Trap me'), ''); // worker 0 fails
    assert.equal(await roundTrip(h.port, 'hello'), 'hello'); // worker 1 still filters
    assert.equal(await roundTrip(h.port, 'hello'), ''); // worker 0 refuses (empty context, closed)
    assert.equal(await roundTrip(h.port, 'hello'), 'hello'); // worker 1
    assert.deepEqual(h.connectionsPerWorker(), [2, 2]);
  });
});

test('two workers, fail-open: the failed worker passes traffic without the filter', async () => {
  await withEchoHost({ wasm: trapModule(), workers: 2, failOpen: true }, async (h) => {
    assert.equal(await roundTrip(h.port, 'Trap me'), 'Trap me');
    assert.equal(h.workers[0].failed, 'RuntimeError');
    assert.equal(await roundTrip(h.port, 'hello'), 'hello');
    assert.equal(await roundTrip(h.port, 'Tagain'), 'Tagain'); // worker 0: no filter any more
    assert.equal(h.workers[1].failed, null);
    assert.equal(h.stats()['wasm_host.vm_runtime_errors'], 1);
    assert.equal((await get(h.adminPort, '/ready')).status, 200);
  });
});

test('workers must be a positive integer', async () => {
  await assert.rejects(startHost({ wasm: workersModule(), upstream: echoUpstream(), workers: 0 }), /positive integer/);
});
