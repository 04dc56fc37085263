import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  startHost, HostStartError, extractTags, istioExtraStatTag, StatsStore,
} from '../index.ts';
import {
  passThroughModule, rewriteModule, metricsModule, trapModule, unknownImportModule, badSignatureModule,
  noAbiModule, holdModule,
} from './modules.ts';
import { useEchoServer, withEchoHost, get, echoUpstream } from './echo_host.ts';

// ---------------------------------------------------------------- helpers
useEchoServer();

/** Sends `data`, half-closes, collects everything until the server closes. */

function roundTrip(port: number, chunks: Buffer[], delayMs = 0): Promise<{ data: Buffer; closedEarly: boolean }> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    const got: Buffer[] = [];
    s.on('data', (d) => got.push(d));
    s.on('error', () => {});
    s.on('close', () => resolve({ data: Buffer.concat(got), closedEarly: false }));
    s.on('connect', async () => {
      for (const c of chunks) {
        s.write(c);
        if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
      }
      s.end();
    });
    setTimeout(() => reject(new Error('roundTrip timeout')), 5000).unref();
  });
}


const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- load / configure
test('load + configure: accepted config starts, rejected config refuses to start', async () => {
  const wasm = passThroughModule();
  await withEchoHost({ wasm, pluginConfig: '{"metrics":{}}' }, async (h) => {
    assert.ok(h.logs.some((l) => l.includes('on_vm_start')));
    assert.ok(h.logs.some((l) => l.includes('{"metrics":{}}')), 'plugin configuration readable via buffer type 7');
  });
  await assert.rejects(
    startHost({ wasm, upstream: echoUpstream(), pluginConfig: 'reject' }),
    (e: Error) => e instanceof HostStartError && /configure/.test(e.message),
  );
});

test('modules without an ABI version export are refused', async () => {
  await assert.rejects(
    startHost({ wasm: noAbiModule(), upstream: echoUpstream() }),
    (e: Error) => e instanceof HostStartError && /ABI version/.test(e.message),
  );
});

test('unknown imports are refused at load, listing each one', async () => {
  await assert.rejects(
    startHost({ wasm: unknownImportModule(), upstream: echoUpstream() }),
    (e: Error) =>
      e instanceof HostStartError && e.message.includes('env.abort') && e.message.includes('env.proxy_frobnicate'),
  );
  await assert.rejects(
    startHost({ wasm: badSignatureModule(), upstream: echoUpstream() }),
    (e: Error) => e instanceof HostStartError && /type mismatch: env.proxy_get_current_time_nanoseconds/.test(e.message),
  );
});

// ---------------------------------------------------------------- data path
test('pass-through: bytes unchanged both ways, Envoy callback order, properties', async () => {
  await withEchoHost({ wasm: passThroughModule() }, async (h) => {
    const payload = Buffer.alloc(300000);
    for (let k = 0; k < payload.length; k++) payload[k] = (k * 7) & 0xff;
    const r = await roundTrip(h.port, [payload.subarray(0, 1000), payload.subarray(1000)]);
    assert.equal(Buffer.compare(r.data, payload), 0);
    await wait(50);
    const ev = h.logs.filter((l) => /wasm log.*: on_/.test(l)).map((l) => l.replace(/.*: /, ''));
    const connEvents = ev.slice(ev.indexOf('on_new_connection') - 1);
    assert.deepEqual(connEvents, [
      'on_context_create',
      'on_new_connection',
      'on_upstream_connection_close',
      'on_downstream_connection_close',
      'on_done',
      'on_log',
      'on_delete',
    ]);
    assert.ok(h.logs.some((l) => /127\.0\.0\.1:\d+$/.test(l)), 'source.address logged as ip:port');
    const st = h.stats();
    assert.equal(st['tcp.kafka.downstream_cx_rx_bytes_total'], payload.length);
    assert.equal(st['tcp.kafka.downstream_cx_tx_bytes_total'], payload.length);
  });
});

test('many concurrent connections stay independent', async () => {
  await withEchoHost({ wasm: passThroughModule() }, async (h) => {
    const rs = await Promise.all(
      Array.from({ length: 40 }, (_, k) => roundTrip(h.port, [Buffer.from(`conn-${k}-`.repeat(100))])),
    );
    rs.forEach((r, k) => assert.equal(r.data.toString(), `conn-${k}-`.repeat(100)));
  });
});

test('set_buffer_bytes: replace, prepend, append, reject mid-buffer start', async () => {
  await withEchoHost({ wasm: rewriteModule() }, async (h) => {
    const r = await roundTrip(h.port, [Buffer.from('hello kafka')]);
    // downstream uppercased, echo returns it, upstream chunk wrapped > <
    const s = r.data.toString();
    assert.match(s, /^(>[A-Z ]+<)+$/);
    assert.equal(s.replace(/[<>]/g, ''), 'HELLO KAFKA');
    assert.equal(h.plugin.failed, null, 'mid-buffer set_buffer_bytes returned BadArgument (no trap)');
  });
});

test('StopIteration holds downstream bytes until the filter continues', async () => {
  await withEchoHost({ wasm: holdModule() }, async (h) => {
    const r = await roundTrip(h.port, [Buffer.from('ab'), Buffer.from('cd'), Buffer.from('ef')], 30);
    assert.equal(r.data.toString(), 'abcdef');
  });
});

// ---------------------------------------------------------------- metrics
test('metrics: wasmcustom namespace, tag extraction, prometheus rendering', async () => {
  await withEchoHost({ wasm: metricsModule() }, async (h) => {
    assert.equal(h.plugin.failed, null);
    await roundTrip(h.port, [Buffer.from('x'.repeat(10))]);
    await wait(50);
    const prom = (await get(h.adminPort, '/stats/prometheus')).body;
    assert.match(prom, /# TYPE kafka_requests_total counter\nkafka_requests_total\{api="Produce",client_id="orders-svc"\} 1\n/);
    assert.match(prom, /# TYPE kafka_connections_active gauge\nkafka_connections_active\{\} 0\n/);
    assert.match(prom, /# TYPE kafka_request_bytes histogram\n/);
    assert.match(prom, /kafka_request_bytes_bucket\{api="Produce",le="5"\} 0\n/);
    assert.match(prom, /kafka_request_bytes_bucket\{api="Produce",le="10"\} 1\n/);
    assert.match(prom, /kafka_request_bytes_bucket\{api="Produce",le="\+Inf"\} 1\n/);
    assert.match(prom, /kafka_request_bytes_sum\{api="Produce"\} 10\n/);
    assert.match(prom, /kafka_request_bytes_count\{api="Produce"\} 1\n/);
    assert.doesNotMatch(prom, /wasmcustom/);
    assert.match(prom, /envoy_tcp_downstream_cx_total\{tcp_prefix="kafka"\} 1/);
    const plain = (await get(h.adminPort, '/stats')).body;
    assert.match(plain, /^kafka\.api=\.=Produce;\.;client_id=\.=orders-svc;\.;requests_total: 1$/m);
    const json = JSON.parse((await get(h.adminPort, '/stats?format=json')).body);
    assert.ok(json.stats.some((s: { name: string; value: number }) => s.name === 'kafka.connections_active' && s.value === 0));
    assert.equal((await get(h.adminPort, '/ready')).status, 200);
  });
});

test('tag extractor follows Envoy: group 1 removed, group 2 value, extractor order', () => {
  const ex = ['client_id', 'api'].map(istioExtraStatTag);
  const r = extractTags('wasmcustom.kafka.api=.=Fetch;.;client_id=.=a.b;.;bytes', ex);
  assert.equal(r.tagExtractedName, 'wasmcustom.kafka.bytes');
  assert.deepEqual(r.tags, [
    { name: 'client_id', value: 'a.b' },
    { name: 'api', value: 'Fetch' },
  ]);
  const s = new StatsStore({ histogramBuckets: [1, 2] });
  s.histogram('wasmcustom.h').record(2);
  assert.match(s.renderPrometheus(), /h_bucket\{le="1"\} 0\nh_bucket\{le="2"\} 1\n/);
  // names that start with a digit after stripping the namespace are dropped (Envoy metricName)
  s.counter('wasmcustom.9lives').inc();
  assert.doesNotMatch(s.renderPrometheus(), /9lives/);
});

// ---------------------------------------------------------------- failure policy
test('trap under fail-open: traffic keeps flowing without the filter; failure counted', async () => {
  await withEchoHost({ wasm: trapModule(), failOpen: true }, async (h) => {
    const r1 = await roundTrip(h.port, [Buffer.from('Trap me')]);
    assert.equal(r1.data.toString(), 'Trap me');
    assert.equal(h.plugin.failed, 'RuntimeError');
    assert.ok(h.logs.some((l) => /Wasm VM failed Function: proxy_on_downstream_data failed/.test(l)));
    const r2 = await roundTrip(h.port, [Buffer.from('Tagain')]);
    assert.equal(r2.data.toString(), 'Tagain');
    assert.equal(h.stats()['wasm_host.vm_runtime_errors'], 1);
  });
});

test('trap under fail-closed: the connection is closed and new ones are refused', async () => {
  await withEchoHost({ wasm: trapModule(), failOpen: false }, async (h) => {
    const ok = await roundTrip(h.port, [Buffer.from('fine')]);
    assert.equal(ok.data.toString(), 'fine');
    const r1 = await roundTrip(h.port, [Buffer.from('Trap me')]);
    assert.equal(r1.data.length, 0);
    const r2 = await roundTrip(h.port, [Buffer.from('hello')]);
    assert.equal(r2.data.length, 0);
    assert.equal((await get(h.adminPort, '/ready')).status, 503);
  });
});

// ---------------------------------------------------------------- capture
test('capture mode writes Kafka frames per connection and direction', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'cap-'));
  await withEchoHost({ wasm: passThroughModule(), captureDir: dir }, async (h) => {
    const f1 = Buffer.concat([Buffer.from([0, 0, 0, 3]), Buffer.from('abc')]);
    const f2 = Buffer.concat([Buffer.from([0, 0, 0, 2]), Buffer.from('de')]);
    const all = Buffer.concat([f1, f2]);
    await roundTrip(h.port, [all.subarray(0, 5), all.subarray(5)], 20);
    const files = readdirSync(dir).sort();
    const req = files.filter((f) => /-request-\d+\.bin$/.test(f));
    assert.equal(req.length, 2);
    assert.deepEqual(readFileSync(path.join(dir, req[0])), f1);
    assert.deepEqual(readFileSync(path.join(dir, req[1])), f2);
    const concat = files.find((f) => /-response\.bin$/.test(f))!;
    assert.deepEqual(readFileSync(path.join(dir, concat)), all);
  });
});
