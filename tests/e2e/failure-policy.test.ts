// What Envoy itself does when a Wasm network filter's VM traps, under each failure_policy, to live
// connections and to later ones: a deliberately trapping module (tests/host/test/modules.ts
// trapModule: traps on a downstream chunk starting with 'T') in real Envoy with one worker, in
// front of a recording echo upstream. The behaviour is Envoy's, not the filter's, so the module
// is a minimal one; istio/README.md ("failStrategy") documents what this test shows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEnvoy, type FailurePolicy, type RunningEnvoy } from '../envoy/envoy.ts';
import { startRecordingUpstream } from '../lib/recording_upstream.ts';
import { trapModule } from '../host/test/modules.ts';

/** What became of a connection after writing `data`: the bytes echoed back, and whether Envoy closed it. */
interface Outcome { echoed: string; closed: boolean }

class Client {
  got = '';
  closed = false;
  private constructor(private sock: net.Socket) {
    sock.on('data', (d) => { this.got += d.toString('latin1'); });
    sock.on('close', () => { this.closed = true; });
    sock.on('error', () => {});
  }
  static async open(port: number): Promise<Client> {
    const s = net.connect(port, '127.0.0.1');
    await new Promise<void>((r, j) => { s.once('connect', () => r()); s.once('error', j); });
    return new Client(s);
  }
  /** Writes `data` and waits until it is echoed, the connection closes, or 1.5 s pass. */
  async send(data: string): Promise<Outcome> {
    const before = this.got.length;
    if (!this.closed) this.sock.write(data);
    const deadline = Date.now() + 1500;
    while (Date.now() < deadline && !this.closed && this.got.length - before < data.length) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 100));
    return { echoed: this.got.slice(before), closed: this.closed };
  }
  close(): void { this.sock.destroy(); }
}

/** A new connection's fate: refused/closed at once, or carried. */
async function freshConnection(envoy: RunningEnvoy, data: string): Promise<Outcome> {
  const c = await Client.open(envoy.port).catch(() => null);
  if (!c) return { echoed: '', closed: true };
  try { return await c.send(data); } finally { c.close(); }
}

async function scenario(policy: FailurePolicy) {
  const dir = mkdtempSync(join(tmpdir(), 'trap-module-'));
  const wasm = join(dir, 'trap.wasm');
  writeFileSync(wasm, trapModule());
  const upstream = await startRecordingUpstream();
  const envoy = await startEnvoy({ upstreamPort: upstream.port, wasm, pluginConfig: '', failurePolicy: policy, concurrency: 1 });
  try {
    const live = await Client.open(envoy.port);
    const liveBefore = await live.send('hello before');
    const trapping = await Client.open(envoy.port);
    const trap = await trapping.send('Trap now');
    const liveAfter = await live.send('live after');
    const later = await freshConnection(envoy, 'later one');
    await new Promise((r) => setTimeout(r, 2500)); // past FAIL_RELOAD's default reload backoff
    const muchLater = await freshConnection(envoy, 'much later');
    const stats = await envoy.admin('/stats');
    const result = {
      version: envoy.version,
      liveBefore, trap, liveAfter, later, muchLater,
      upstreamGot: upstream.receivedBytes().toString('latin1'),
      failureLines: envoy.vmFailures(),
      envoyStillRunning: envoy.exited() === null,
      // no Envoy stat counts a trap; the VM gauges are what an operator can read
      wasmStats: stats.split('\n').filter((l) => /^wasm/.test(l)),
    };
    live.close();
    trapping.close();
    return result;
  } finally {
    await envoy.close();
    await upstream.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

test('FAIL_OPEN: the trapping connection and live ones on that worker are closed; later connections pass unfiltered', async () => {
  const r = await scenario('FAIL_OPEN');
  console.log(`FAIL_OPEN (Envoy ${r.version}): ${JSON.stringify(r)}`);
  assert.equal(r.liveBefore.echoed, 'hello before', 'the filter carried traffic before the trap');
  assert.ok(r.trap.closed && r.trap.echoed === '', 'Envoy closed the connection on which the VM trapped, echoing nothing');
  assert.ok(!r.upstreamGot.includes('Trap now'), 'the bytes of the trapping callback never reached the upstream');
  assert.ok(r.liveAfter.closed && r.liveAfter.echoed === '', 'a connection opened before the trap is closed at its next data (its VM is gone)');
  assert.ok(!r.upstreamGot.includes('live after'));
  assert.equal(r.later.echoed, 'later one', 'a later connection is carried (without the filter)');
  assert.ok(r.failureLines.some((l) => l.includes('proxy_on_downstream_data failed')), `Envoy logs the failed callback:\n${r.failureLines.join('\n')}`);
  assert.ok(r.envoyStillRunning);
});

test('FAIL_CLOSED: the trapping connection and live ones are closed; later connections on that worker are closed too', async () => {
  const r = await scenario('FAIL_CLOSED');
  console.log(`FAIL_CLOSED (Envoy ${r.version}): ${JSON.stringify(r)}`);
  assert.equal(r.liveBefore.echoed, 'hello before');
  assert.ok(r.trap.closed && r.trap.echoed === '', 'Envoy closed the connection on which the VM trapped');
  assert.ok(!r.upstreamGot.includes('Trap now'));
  assert.ok(r.liveAfter.closed && r.liveAfter.echoed === '', 'a connection opened before the trap is closed at its next data');
  assert.ok(r.later.closed && r.later.echoed === '', 'a later connection is closed without being carried');
  assert.ok(!r.upstreamGot.includes('later one'), 'nothing of the later connection reached the upstream');
  assert.ok(r.failureLines.some((l) => l.includes('proxy_on_downstream_data failed')));
  assert.ok(r.envoyStillRunning);
});

test('FAIL_RELOAD: live connections are closed, new ones too during the backoff, then a reloaded VM carries them and Envoy counts the reload', async () => {
  const r = await scenario('FAIL_RELOAD');
  console.log(`FAIL_RELOAD (Envoy ${r.version}): ${JSON.stringify(r)}`);
  assert.equal(r.liveBefore.echoed, 'hello before');
  assert.ok(r.trap.closed && r.trap.echoed === '');
  assert.ok(r.liveAfter.closed && r.liveAfter.echoed === '', 'a connection opened before the trap is closed at its next data');
  assert.ok(r.later.closed && r.later.echoed === '', 'right after the trap, within the reload backoff, a new connection is closed');
  assert.equal(r.muchLater.echoed, 'much later', 'after the backoff, a new connection is carried by a reloaded VM');
  const reloads = r.wasmStats.find((l) => /\.vm_reload_success: /.test(l));
  assert.ok(reloads && Number(reloads.split(': ')[1]) >= 1, `wasm.<plugin>.vm_reload_success counts the reload: ${r.wasmStats.join(', ')}`);
});
