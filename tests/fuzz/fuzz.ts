// Fuzzer of the compiled module in real Envoy (issue 16): spec-generated Kafka frames (every API
// key x version, both directions, from Kafka's own message specs via tests/codec/encoder.ts),
// mutated or not, plus garbage, legacy SASL exchanges and huge counts, sent through Envoy to a
// recording relay and a fuzzing broker that answers each request with a generated (and maybe
// mutated) response. It checks, for every connection, that the bytes are identical both ways
// (what the client sent = what the upstream received; what the broker sent = what the client
// got), after every round that Envoy logged no VM failure and still runs, that its RSS stays within
// RSS_BOUND_KIB of idle, and that no planted secret reaches a log line or a metric.
//
//   node --import tsx tests/fuzz/fuzz.ts [--seconds N] [--seed S] [--concurrency W] [--wasm FILE]
//   make fuzz (long, random seed), make test-fuzz (short, seeded; part of make test)
import assert from 'node:assert/strict';
import net from 'node:net';
import { parseArgs } from 'node:util';
import { startEnvoy, type RunningEnvoy } from '../envoy/envoy.ts';
import { startRecordingUpstream, type RecordingUpstream } from '../lib/recording_upstream.ts';
import { W, frame, startScriptedBroker, type ScriptedBroker } from '../lib/hostile.ts';
import { encodeBody, rng, type Opts } from '../codec/encoder.ts';
import { loadApis, versionsOf, type ApiSpecLike } from '../codec/layout.ts';
import { parseRange, inRange } from '../../tools/codegen/spec.ts';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: process.env.FUZZ_SECONDS ?? '20' },
    seed: { type: 'string', default: process.env.FUZZ_SEED ?? '1' },
    concurrency: { type: 'string', default: process.env.FUZZ_CONCURRENCY ?? '2' },
    wasm: { type: 'string', default: 'build/kafka-filter.wasm' },
  },
});
const SECONDS = Number(args.seconds);
const SEED = Number(args.seed);
const RSS_BOUND_KIB = 64 * 1024;
const SECRET = 'fuzz-SECRET-pw-7c41';

const apis = loadApis();
const rand = rng(SEED);
const int = (n: number) => Math.floor(rand() * n);
const pick = <T>(a: readonly T[]): T => a[int(a.length)];
const chance = (p: number) => rand() < p;

function flexible(api: ApiSpecLike, v: number, resp: boolean): boolean {
  return inRange(parseRange((resp ? api.response : api.request).flexibleVersions), v);
}

/** The request header version (ControlledShutdown v0 aside: it is not in the 4.1.1 specs). */
function reqHeader(apiKey: number, v: number, corr: number, clientId: string | null, flex: boolean): Buffer {
  const w = new W().i16(apiKey).i16(v).i32(corr).str16(clientId);
  if (flex) w.tags();
  return w.build();
}

function opts(): Opts {
  return { rnd: rand, pNull: rand() * 0.5, pTag: rand(), unknownTags: chance(0.3), big: chance(0.2) };
}

// ---- mutations ----
const INTERESTING = [0, 1, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fffffff, 0x80000000, 0xffffffff];

function mutate(b: Buffer, stats: Stats): Buffer {
  stats.mutations++;
  let out = Buffer.from(b);
  const n = 1 + int(4);
  for (let k = 0; k < n && out.length > 0; k++) {
    const at = int(out.length);
    switch (int(8)) {
      case 0: out[at] ^= 1 << int(8); break; // bit flip
      case 1: out[at] = int(256); break; // random byte
      case 2: { // interesting int16/int32
        const v = pick(INTERESTING);
        if (at + 4 <= out.length) out.writeUInt32BE(v >>> 0, at); else out[at] = v & 0xff;
        break;
      }
      case 3: out = out.subarray(0, at); break; // truncate
      case 4: out = Buffer.concat([out.subarray(0, at), Buffer.alloc(1 + int(8), int(256)), out.subarray(at)]); break; // insert
      case 5: out = Buffer.concat([out.subarray(0, at), out.subarray(Math.min(out.length, at + 1 + int(8)))]); break; // delete
      case 6: if (at + 5 <= out.length) { out[at] = 0xff; out[at + 1] = 0xff; out[at + 2] = 0xff; out[at + 3] = 0xff; out[at + 4] = 0x0f; } break; // huge varint
      default: { const src = int(out.length); const len = Math.min(16, out.length - Math.max(at, src)); out.copy(out, at, src, src + len); } // overlapping copy
    }
  }
  return out;
}

interface Stats { connections: number; frames: number; mutations: number; responses: number; responseMutations: number; bytesUp: number; bytesDown: number; peakRssKiB: number; idleRssKiB: number; rounds: number }

// ---- what the client sends ----
interface Planned { bytes: Buffer; /** api/version for the broker to answer, by correlation id */ }

const inflight = new Map<number, { apiKey: number; v: number }>();
let nextCorr = 1;

function specRequest(stats: Stats): Buffer {
  const api = pick(apis);
  const v = pick(versionsOf(api.request));
  const flex = flexible(api, v, false);
  const corr = nextCorr++;
  const clientId = chance(0.1) ? null : chance(0.1) ? '' : `fuzz-client-${int(20)}`;
  const { bytes } = encodeBody(api, false, v, opts());
  inflight.set(corr, { apiKey: api.apiKey, v });
  stats.frames++;
  let f = frame(Buffer.concat([reqHeader(api.apiKey, v, corr, clientId, flex), Buffer.from(bytes)]));
  if (chance(0.3)) f = mutate(f, stats);
  return f;
}

function garbage(stats: Stats): Buffer {
  stats.frames++;
  switch (int(5)) {
    case 0: return frame(Buffer.from(Array.from({ length: int(200) }, () => int(256)))); // random body
    case 1: { const b = Buffer.alloc(4 + int(40)); b.writeInt32BE(-1 - int(1000)); return b; } // negative length
    case 2: return Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, ...Array(int(50)).fill(7)]); // TLS hello
    case 3: { // huge array count in a valid header
      const api = pick(apis);
      const v = pick(versionsOf(api.request));
      const flex = flexible(api, v, false);
      const body = Buffer.concat([reqHeader(api.apiKey, v, nextCorr++, 'huge', flex), flex ? Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]) : Buffer.from([0x7f, 0xff, 0xff, 0xff]), Buffer.alloc(int(64))]);
      return frame(body);
    }
    default: return frame(Buffer.alloc(int(12))); // short frames
  }
}

/** SaslHandshake v0 + raw PLAIN token carrying the secret (+ maybe a request after it). */
function legacySasl(stats: Stats): Buffer {
  stats.frames += 3;
  const corr = nextCorr++;
  inflight.set(corr, { apiKey: 17, v: 0 });
  const mech = pick(['PLAIN', 'SCRAM-SHA-256', 'GSSAPI', 'OAUTHBEARER']);
  const hs = frame(Buffer.concat([reqHeader(17, 0, corr, 'sasl-fuzz', false), new W().str16(mech).build()]));
  const tokens: Buffer[] = [];
  const n = mech === 'SCRAM-SHA-256' ? 2 : mech === 'GSSAPI' ? 1 + int(3) : 1;
  for (let i = 0; i < n; i++) {
    const body = mech === 'GSSAPI' ? Buffer.concat([Buffer.from([0x60, 0x82]), Buffer.from(SECRET)]) : Buffer.from(`\0alice\0${SECRET}`);
    tokens.push(frame(body));
  }
  return Buffer.concat([hs, ...tokens]);
}

/** A big frame of many small entries (the shape that used to grow the VM): Fetch v4 or Produce v9. */
function manyPartitions(stats: Stats): Buffer {
  stats.frames++;
  const n = 50_000 + int(400_000);
  const corr = nextCorr++;
  if (chance(0.5)) {
    inflight.set(corr, { apiKey: 1, v: 4 });
    const parts = Buffer.alloc(n * 16);
    for (let i = 0; i < n; i++) { parts.writeInt32BE(i, i * 16); parts.writeBigInt64BE(BigInt(int(1000)), i * 16 + 4); parts.writeInt32BE(1 << 20, i * 16 + 12); }
    return frame(Buffer.concat([reqHeader(1, 4, corr, `fuzz-client-${int(20)}`, false), new W().i32(-1).i32(100).i32(1).i32(1 << 30).i8(0).i32(1).str16(`t${int(5)}`).i32(n).build(), parts]));
  }
  inflight.set(corr, { apiKey: 0, v: 9 });
  const parts = Buffer.alloc(n * 6);
  for (let i = 0; i < n; i++) parts.writeInt32BE(i, i * 6);
  return frame(Buffer.concat([reqHeader(0, 9, corr, `fuzz-client-${int(20)}`, true), new W().compactStr(null).i16(1).i32(1000).compactCount(1).compactStr(`t${int(5)}`).compactCount(n).build(), parts, Buffer.from([0, 0])]));
}

function plan(stats: Stats): Buffer[] {
  const out: Buffer[] = [];
  if (chance(0.1)) out.push(legacySasl(stats));
  if (chance(0.03)) out.push(manyPartitions(stats));
  const frames = 1 + int(40);
  for (let i = 0; i < frames; i++) out.push(chance(0.1) ? garbage(stats) : specRequest(stats));
  return out;
}

// ---- the fuzzing broker ----
function answer(f: Buffer, stats: Stats): Buffer[] | null {
  if (f.length < 12) return null;
  const corr = f.readInt32BE(8);
  const req = inflight.get(corr);
  if (!req) {
    if (!chance(0.2)) return null;
    stats.responses++;
    return [Buffer.from(Array.from({ length: int(40) }, () => int(256)))];
  }
  inflight.delete(corr);
  const api = apis.find((a) => a.apiKey === req.apiKey)!;
  const flex = req.apiKey !== 18 && flexible(api, req.v, true);
  const { bytes } = encodeBody(api, true, req.v, opts());
  const head = new W().i32(corr);
  if (flex) head.tags();
  let r = frame(Buffer.concat([head.build(), Buffer.from(bytes)]));
  if (chance(0.3)) { r = mutate(r, stats); stats.mutations--; stats.responseMutations++; }
  stats.responses++;
  return [r];
}

// ---- one connection ----
async function connection(envoy: RunningEnvoy, chunks: Buffer[]): Promise<{ sent: Buffer; got: Buffer; closed: boolean }> {
  const sock = net.connect(envoy.port, '127.0.0.1');
  sock.setNoDelay(true);
  await new Promise<void>((r, j) => { sock.once('connect', () => r()); sock.once('error', j); });
  const got: Buffer[] = [];
  let closed = false;
  sock.on('data', (d) => got.push(d));
  sock.on('error', () => {});
  sock.on('close', () => { closed = true; });
  const data = Buffer.concat(chunks);
  // random chunking, with pauses so Envoy sees separate reads
  for (let at = 0; at < data.length && !closed;) {
    const n = 1 + int(chance(0.5) ? 16 : 4096);
    sock.write(data.subarray(at, at + n));
    at += n;
    if (chance(0.2)) await new Promise((r) => setTimeout(r, int(3)));
  }
  await new Promise((r) => setTimeout(r, 50 + int(50)));
  if (chance(0.5)) sock.end(); else sock.destroy();
  await new Promise((r) => setTimeout(r, 20));
  return { sent: data, got: Buffer.concat(got), closed };
}

async function main() {
  const stats: Stats = { connections: 0, frames: 0, mutations: 0, responses: 0, responseMutations: 0, bytesUp: 0, bytesDown: 0, peakRssKiB: 0, idleRssKiB: 0, rounds: 0 };
  const broker: ScriptedBroker = await startScriptedBroker((f) => answer(f, stats));
  const upstream: RecordingUpstream = await startRecordingUpstream({ relayTo: broker.port });
  const envoy = await startEnvoy({ upstreamPort: upstream.port, wasm: args.wasm, pluginConfig: {}, concurrency: Number(args.concurrency), failurePolicy: 'FAIL_CLOSED' });
  const started = Date.now();
  try {
    await new Promise((r) => setTimeout(r, 300));
    stats.idleRssKiB = envoy.rssKiB();
    stats.peakRssKiB = stats.idleRssKiB;
    while (Date.now() - started < SECONDS * 1000) {
      stats.rounds++;
      const before = upstream.connections.length;
      const results = await Promise.all(Array.from({ length: 1 + int(4) }, () => connection(envoy, plan(stats))));
      stats.connections += results.length;
      // the relay has everything once Envoy closed its upstream connections
      for (let i = 0; i < 200 && (upstream.connections.length - before < results.length || upstream.connections.slice(before).some((c) => !c.closed)); i++) {
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.deepEqual(envoy.vmFailures(), [], `Envoy reported a VM failure (seed ${SEED}, round ${stats.rounds})`);
      // byte identity both ways, per connection (the relay records both directions)
      const conns = upstream.connections.slice(before);
      assert.equal(conns.length, results.length, 'every connection reached the upstream');
      const bySent = new Map(conns.map((c) => [Buffer.concat(c.received).toString('base64'), c]));
      for (const r of results) {
        const c = bySent.get(r.sent.toString('base64'));
        assert.ok(c, `a connection's bytes (${r.sent.length}) arrived upstream changed (seed ${SEED}, round ${stats.rounds})`);
        const brokerSent = Buffer.concat(c.sent);
        assert.ok(brokerSent.subarray(0, r.got.length).equals(r.got), `the client got bytes the broker did not send (seed ${SEED}, round ${stats.rounds})`);
        if (!r.closed) assert.ok(r.got.length <= brokerSent.length);
        stats.bytesUp += r.sent.length;
        stats.bytesDown += r.got.length;
      }
      upstream.connections.length = 0; // keep the recorder small
      inflight.clear();
      assert.deepEqual(envoy.vmFailures(), [], `Envoy reported a VM failure (seed ${SEED}, round ${stats.rounds})`);
      assert.ok(!envoy.logs.some((l) => l.includes(SECRET)), `a planted SASL secret reached a log line (seed ${SEED}, round ${stats.rounds})`);
      envoy.logs.length = 0;
      assert.equal(envoy.exited(), null, 'Envoy runs');
      const rss = envoy.rssKiB();
      stats.peakRssKiB = Math.max(stats.peakRssKiB, rss);
      assert.ok(rss - stats.idleRssKiB <= RSS_BOUND_KIB, `Envoy RSS ${((rss - stats.idleRssKiB) / 1024).toFixed(1)} MiB above idle (seed ${SEED}, round ${stats.rounds})`);
    }
    assert.ok(!(await envoy.prometheus()).includes(SECRET), 'a planted SASL secret reached a metric');
  } finally {
    await envoy.close();
    await upstream.close();
    await broker.close();
  }
  console.log(`fuzz: seed ${SEED}, ${SECONDS} s on Envoy ${envoy.version} (${args.concurrency} workers): ${stats.rounds} rounds, ${stats.connections} connections, ` +
    `${stats.frames} client frames (${stats.mutations} mutated), ${stats.responses} broker responses (${stats.responseMutations} mutated), ` +
    `${(stats.bytesUp / 1e6).toFixed(1)} MB up / ${(stats.bytesDown / 1e6).toFixed(1)} MB down, ` +
    `RSS idle ${(stats.idleRssKiB / 1024).toFixed(0)} MiB, peak +${((stats.peakRssKiB - stats.idleRssKiB) / 1024).toFixed(1)} MiB (bound ${RSS_BOUND_KIB / 1024} MiB); no VM failure, bytes identical both ways`);
}

main().catch((e) => { console.error(e); process.exit(1); });
