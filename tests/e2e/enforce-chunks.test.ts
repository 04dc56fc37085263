// Enforce mode and TCP chunking, in real Envoy (issue 14 #6). NEEDS NO BROKER: Envoy forwards to
// a recording echo upstream, which keeps every byte Envoy let through. Whatever the chunking,
// the frames before the one that breaks a rule reach the upstream complete, not one byte of the
// offending frame (or of anything after it) does, and Envoy then closes the client connection.
// A frame still waiting for its verdict is held back; allowed frames split across reads arrive
// whole.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startEnvoy, type RunningEnvoy } from '../envoy/envoy.ts';
import { startRecordingUpstream, type RecordingUpstream } from '../lib/recording_upstream.ts';
import { assertNoVmFailure } from './filter_envoy.ts';
import { parsePrometheus, total } from './prom.ts';
import { RawConnection, apiVersionsRequest, metadataRequest, produceRequest, recordBatch } from './kafka_wire.ts';

const LZ4 = 3;
const NONE = 0;
const POLICY = {
  mode: 'enforce',
  client_id: { allowed: ['good-*'] },
  produce: { allowed_compression: ['lz4'] },
};

let upstream: RecordingUpstream;
let envoy: RunningEnvoy;

before(async () => {
  upstream = await startRecordingUpstream();
  envoy = await startEnvoy({ upstreamPort: upstream.port, pluginConfig: { policy: POLICY } });
});

after(async () => {
  await envoy?.close();
  await upstream?.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Sends `parts` as separate writes (a pause between them, so Envoy reads each on its own), waits
 * for Envoy to close the connection (or `settleMs`), and returns what the upstream received on
 * this connection.
 */
async function send(parts: Buffer[], expectClose: boolean, settleMs = 3000): Promise<{ received: Buffer; closed: boolean; echoed: Buffer }> {
  const before = upstream.connections.length;
  const c = await RawConnection.open(envoy.port);
  c.socket.setNoDelay(true);
  for (let i = 0; i < parts.length; i++) {
    if (i > 0) await sleep(150);
    if (c.closed) break;
    await c.write(parts[i]).catch(() => {});
  }
  if (expectClose) await c.until(() => c.closed, settleMs);
  else await sleep(500);
  const closed = c.closed;
  await sleep(200); // anything Envoy still writes upstream lands in the recorder
  const mine = upstream.connections.slice(before);
  c.close();
  return { received: Buffer.concat(mine.flatMap((x) => x.received)), closed, echoed: c.received() };
}

async function metric(name: string, labels: Record<string, string> = {}): Promise<number> {
  return total(parsePrometheus(await envoy.prometheus()), name, labels);
}

const allowed = Buffer.concat([
  apiVersionsRequest(3, 1, 'good-app'),
  metadataRequest(2, 'good-app', null),
  produceRequest(3, 'good-app', 'orders', [recordBatch(5, LZ4)]),
]);
const rogueClient = metadataRequest(4, 'rogue-app', null); // client id not allowed: a header rule
const rogueProduce = produceRequest(5, 'good-app', 'orders', [recordBatch(7, NONE, 300)]); // uncompressed: a body rule
const trailing = metadataRequest(6, 'good-app', null);

for (const [rule, rogue, reason] of [['client id', rogueClient, 'client_id_denied'], ['compression', rogueProduce, 'produce_compression']] as const) {
  test(`${rule} rule, one read: the allowed frames before the offending one reach the broker, nothing of it or after it`, async () => {
    const closedBefore = await metric('kafka_policy_closed_connections_total', { reason });
    const r = await send([Buffer.concat([allowed, rogue, trailing])], true);
    assert.ok(r.closed, 'Envoy closed the client connection');
    assert.equal(r.received.length, allowed.length, `upstream received ${r.received.length} bytes, the allowed frames are ${allowed.length}`);
    assert.ok(r.received.equals(allowed), 'exactly the allowed frames, unchanged');
    assert.ok(r.echoed.equals(allowed), 'their responses (the echo) came back before the close');
    assert.equal(await metric('kafka_policy_closed_connections_total', { reason }), closedBefore + 1);
    assertNoVmFailure(envoy);
  });

  // Cut points inside the offending frame: its length prefix, its header (client id), its body
  // (for the Produce frame: inside its records and in its last byte of tagged fields).
  for (const cut of [2, 12, 16, Math.floor(rogue.length / 2), rogue.length - 3]) {
    test(`${rule} rule, offending frame split at byte ${cut}: none of its bytes reach the broker`, async () => {
      const r = await send([Buffer.concat([allowed, rogue.subarray(0, cut)]), Buffer.concat([rogue.subarray(cut), trailing])], true);
      assert.ok(r.closed, 'Envoy closed the client connection');
      assert.ok(r.received.equals(allowed), `upstream received ${r.received.length} bytes, exactly the ${allowed.length} of the allowed frames`);
      assertNoVmFailure(envoy);
    });
  }
}

test('offending frame sent one byte per write: none of its bytes reach the broker', async () => {
  const parts = [allowed, ...Array.from(rogueClient, (b) => Buffer.from([b]))];
  const r = await send(parts.slice(0, 30), true); // the client id is complete by byte 30
  assert.ok(r.closed);
  assert.ok(r.received.equals(allowed), `upstream received ${r.received.length} bytes`);
});

test('allowed frames split anywhere arrive whole, and the connection stays open', async () => {
  const stream = Buffer.concat([allowed, trailing]);
  for (const cuts of [[3], [14, 20], [allowed.length - 30], [allowed.length + 1]]) {
    const parts: Buffer[] = [];
    let from = 0;
    for (const c of [...cuts, stream.length]) { parts.push(stream.subarray(from, c)); from = c; }
    const r = await send(parts, false);
    assert.ok(!r.closed, `cuts ${cuts}: connection still open`);
    assert.ok(r.received.equals(stream), `cuts ${cuts}: upstream received ${r.received.length} of ${stream.length} bytes`);
    assert.ok(r.echoed.equals(stream), `cuts ${cuts}: every echo came back`);
  }
});

test('a Produce frame longer than the hold limit is let through as it comes (no stall)', async () => {
  const big = produceRequest(7, 'good-app', 'orders', [recordBatch(100, LZ4, 200_000)]);
  const parts = [big.subarray(0, 50_000), big.subarray(50_000, 120_000), big.subarray(120_000)];
  const r = await send(parts, false);
  assert.ok(!r.closed);
  assert.ok(r.received.equals(big), `upstream received ${r.received.length} of ${big.length} bytes`);
  assertNoVmFailure(envoy);
});
