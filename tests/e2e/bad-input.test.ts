// Bad input through the real path: the compiled filter in real Envoy, in front of a recording echo
// upstream (so the same bytes also come back as "responses"). Whatever arrives, the filter must not
// trap the VM, must forward every byte unchanged (checked where the upstream received it and where
// the client got it back), must count the problem and log one clear line.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startEnvoy, EnvoyStartError, type RunningEnvoy } from '../envoy/envoy.ts';
import { startRecordingUpstream, type RecordingUpstream } from '../lib/recording_upstream.ts';
import { assertNoVmFailure } from './filter_envoy.ts';
import { parsePrometheus, total } from './prom.ts';

let upstream: RecordingUpstream;
let envoy: RunningEnvoy;

before(async () => {
  upstream = await startRecordingUpstream();
  envoy = await startEnvoy({ upstreamPort: upstream.port, pluginConfig: {} });
});

after(async () => {
  await envoy?.close();
  await upstream?.close();
});

function frame(body: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeInt32BE(body.length);
  return Buffer.concat([len, body]);
}
function header(apiKey: number, version: number, correlationId: number, clientId: Buffer | null, flexible = false): Buffer {
  const b = Buffer.alloc(10);
  b.writeInt16BE(apiKey, 0);
  b.writeInt16BE(version, 2);
  b.writeInt32BE(correlationId, 4);
  b.writeInt16BE(clientId === null ? -1 : clientId.length, 8);
  return Buffer.concat([b, clientId ?? Buffer.alloc(0), flexible ? Buffer.from([0]) : Buffer.alloc(0)]);
}

/**
 * Sends `data` in chunks through the filter and returns what the echo sent back, after checking
 * that the upstream received exactly `data` on that connection.
 */
async function roundTrip(data: Buffer, chunk = 7): Promise<Buffer> {
  const connectionsBefore = upstream.connections.length;
  const sock = net.connect(envoy.port, '127.0.0.1');
  await new Promise<void>((r) => sock.once('connect', () => r()));
  const got: Buffer[] = [];
  let n = 0;
  const done = new Promise<void>((resolve) => {
    sock.on('data', (d) => {
      got.push(d);
      n += d.length;
      if (n >= data.length) resolve();
    });
  });
  for (let i = 0; i < data.length; i += chunk) {
    sock.write(data.subarray(i, i + chunk));
    if (i % (chunk * 50) === 0) await new Promise((r) => setImmediate(r));
  }
  await Promise.race([done, new Promise((r) => setTimeout(r, 10_000))]);
  sock.destroy();
  await new Promise((r) => setTimeout(r, 50));
  const mine = upstream.connections.slice(connectionsBefore);
  assert.equal(mine.length, 1, 'one upstream connection per client connection');
  assert.ok(Buffer.concat(mine[0].received).equals(data), `the upstream received exactly the ${data.length} bytes sent`);
  return Buffer.concat(got);
}

async function metric(name: string, labels: Record<string, string> = {}): Promise<number> {
  return total(parsePrometheus(await envoy.prometheus()), name, labels);
}

test('truncated header, negative string length and bad UTF-8: counted, logged, forwarded unchanged', async () => {
  const before = await metric('kafka_frames_malformed_total');
  const data = Buffer.concat([
    frame(Buffer.from([0, 18, 0, 3])), // header cut after api_version
    frame(Buffer.concat([header(3, 12, 7, null).subarray(0, 8), Buffer.from([0xff, 0xf9]), Buffer.alloc(12)])), // client_id length -7
    frame(header(18, 3, 9, Buffer.from([0x61, 0xc3, 0x28]), true)), // client_id not UTF-8
    frame(Buffer.concat([header(0, 9, 11, Buffer.from('p'), true), Buffer.from([0x00, 0xff, 0xff])])), // Produce body cut short
  ]);
  const back = await roundTrip(data);
  assert.ok(back.equals(data), 'echoed bytes identical to what was sent');
  assertNoVmFailure(envoy);
  assert.ok((await metric('kafka_frames_malformed_total')) - before >= 3, 'malformed frames counted');
  assert.ok((await metric('kafka_invalid_utf8_total')) >= 1, 'bad UTF-8 counted');
  const lines = envoy.moduleLogs().filter((l) => l.includes('malformed'));
  assert.ok(lines.some((l) => l.includes('RequestHeader.ClientId') && l.includes('negative string length -7')), lines.join('\n'));
  assert.ok(lines.some((l) => /request body malformed at byte \d+ field \S+/.test(l)), lines.join('\n'));
});

test('unknown API key and version: counted as unknown, passed through', async () => {
  const before = await metric('kafka_frames_unknown_total', { direction: 'request' });
  const data = Buffer.concat([frame(Buffer.concat([header(999, 0, 21, Buffer.from('x')), Buffer.alloc(30)])), frame(Buffer.concat([header(0, 99, 22, Buffer.from('x')), Buffer.alloc(5)]))]);
  const back = await roundTrip(data, 13);
  assert.ok(back.equals(data));
  assert.equal((await metric('kafka_frames_unknown_total', { direction: 'request' })) - before, 2);
  assertNoVmFailure(envoy);
});

test('huge array count: fails the frame cleanly, never loops', async () => {
  // Metadata v12 request: topics compact array with a count of 2^31-ish
  const body = Buffer.concat([header(3, 12, 31, Buffer.from('c'), true), Buffer.from([0xff, 0xff, 0xff, 0xff, 0x07]), Buffer.alloc(4)]);
  const data = frame(body);
  const back = await roundTrip(data);
  assert.ok(back.equals(data));
  assertNoVmFailure(envoy);
  assert.ok(envoy.moduleLogs().some((l) => l.includes('Topics')), envoy.moduleLogs().slice(-5).join('\n'));
});

test('negative and oversized frame lengths: framing given up, bytes still forwarded', async () => {
  const before = await metric('kafka_framing_lost_total');
  const tls = Buffer.concat([Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01]), Buffer.alloc(300, 0x42)]);
  assert.ok((await roundTrip(tls, 64)).equals(tls));
  const negative = Buffer.concat([Buffer.from([0xff, 0xff, 0xff, 0xf0]), Buffer.alloc(100, 1)]);
  assert.ok((await roundTrip(negative)).equals(negative));
  assert.ok((await metric('kafka_framing_lost_total')) - before >= 2, 'both directions of both connections gave up framing');
  assert.ok(envoy.moduleLogs().some((l) => l.includes('exceeds the limit')));
  assert.ok(envoy.moduleLogs().some((l) => l.includes('negative frame length')));
  assertNoVmFailure(envoy);
});

test('a multi-megabyte frame in small chunks is forwarded intact', async () => {
  const body = Buffer.concat([header(0, 9, 41, Buffer.from('big'), true), Buffer.alloc(3 * 1024 * 1024, 0x5a)]);
  const data = frame(body);
  const back = await roundTrip(data, 16 * 1024);
  assert.ok(back.equals(data));
  assertNoVmFailure(envoy);
});

for (const failurePolicy of ['FAIL_OPEN', 'FAIL_CLOSED'] as const) {
  test(`a bad plugin configuration makes Envoy reject the listener (${failurePolicy}), and the log names the field`, async () => {
    const err = await startEnvoy({ upstreamPort: upstream.port, failurePolicy, pluginConfig: '{"metrics":{"max_topic":5}}' }).then(
      (e) => { void e.close(); return null; },
      (e: unknown) => e,
    );
    assert.ok(err instanceof EnvoyStartError, `Envoy started with a configuration the module rejects: ${err}`);
    const logs = err.logs.join('\n');
    assert.ok(err.logs.some((l) => l.includes('wasm log') && l.includes('invalid plugin configuration: field "metrics.max_topic"')), `the module's log line names the field:\n${logs.slice(-3000)}`);
    assert.ok(logs.includes('Unable to create Wasm plugin kafka.kafka-filter'), `Envoy refused the configuration, whatever the failure policy:\n${logs.slice(-3000)}`);
  });
}

test('SASL credentials never reach logs or metrics, even in malformed frames', async () => {
  const secret = 'hunter2-s3cret';
  const auth = Buffer.from(`\0alice\0${secret}`);
  // SaslHandshake v1 (mechanism PLAIN), then SaslAuthenticate v2 (flexible: compact bytes)
  const handshake = frame(Buffer.concat([header(17, 1, 61, Buffer.from('sasl-client')), Buffer.from([0, 5]), Buffer.from('PLAIN')]));
  const authenticate = frame(Buffer.concat([header(36, 2, 62, Buffer.from('sasl-client'), true), Buffer.from([auth.length + 1]), auth, Buffer.from([0])]));
  const truncated = frame(Buffer.concat([header(36, 2, 63, Buffer.from('sasl-client'), true), Buffer.from([auth.length + 40]), auth]));
  const data = Buffer.concat([handshake, authenticate, truncated]);
  const back = await roundTrip(data);
  assert.ok(back.equals(data));
  assertNoVmFailure(envoy);
  const text = (await envoy.prometheus()) + envoy.logs.join('\n');
  assert.ok(!text.includes(secret) && !text.includes('alice'), 'no credential in metrics or logs');
  assert.ok(envoy.moduleLogs().some((l) => l.includes('SaslAuthenticate') || l.includes('AuthBytes')), 'the malformed frame is still reported by field name');
});
