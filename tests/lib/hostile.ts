// What the hostile-input suites (tests/e2e/hostile.test.ts, tests/fuzz) share: a byte writer for
// hand-built Kafka frames, a client that streams frames of any size through Envoy without holding
// them in memory and hashes what comes back, and a scripted broker that answers each request with
// frames a test builds (hostile responses), behind the recording upstream.
import net from 'node:net';
import { createHash, type Hash } from 'node:crypto';

/** Kafka's unsigned varint (protobuf base-128). */
export function uvarint(v: number): Buffer {
  const out: number[] = [];
  while (v >= 0x80) { out.push((v % 0x80) | 0x80); v = Math.floor(v / 0x80); }
  out.push(v);
  return Buffer.from(out);
}

export class W {
  private parts: Buffer[] = [];
  i8(v: number) { const b = Buffer.alloc(1); b.writeInt8(v); this.parts.push(b); return this; }
  i16(v: number) { const b = Buffer.alloc(2); b.writeInt16BE(v); this.parts.push(b); return this; }
  i32(v: number) { const b = Buffer.alloc(4); b.writeInt32BE(v); this.parts.push(b); return this; }
  u32(v: number) { const b = Buffer.alloc(4); b.writeUInt32BE(v >>> 0); this.parts.push(b); return this; }
  i64(v: bigint) { const b = Buffer.alloc(8); b.writeBigInt64BE(v); this.parts.push(b); return this; }
  uv(v: number) { this.parts.push(uvarint(v)); return this; }
  raw(b: Buffer | Uint8Array) { this.parts.push(Buffer.from(b)); return this; }
  str16(s: string | null) {
    if (s === null) return this.i16(-1);
    const b = Buffer.from(s, 'utf8');
    return this.i16(b.length).raw(b);
  }
  compactStr(s: string | null) {
    if (s === null) return this.uv(0);
    const b = Buffer.from(s, 'utf8');
    return this.uv(b.length + 1).raw(b);
  }
  /** a compact array count (n + 1), or null (0) */
  compactCount(n: number | null) { return this.uv(n === null ? 0 : n + 1); }
  tags() { return this.uv(0); }
  build() { return Buffer.concat(this.parts); }
}

export function frame(body: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeInt32BE(body.length);
  return Buffer.concat([len, body]);
}

/** Request header v1 (v2 with `flexible`: tagged fields after the client id). */
export function requestHeader(apiKey: number, version: number, correlationId: number, clientId: string | null, flexible = false): Buffer {
  const w = new W().i16(apiKey).i16(version).i32(correlationId).str16(clientId);
  if (flexible) w.tags();
  return w.build();
}

/** Response header v0 (v1 with `flexible`). */
export function responseHeader(correlationId: number, flexible = false): Buffer {
  const w = new W().i32(correlationId);
  if (flexible) w.tags();
  return w.build();
}

/**
 * A frame too big to build in memory: `head` (after the length prefix), then `count` copies of
 * `unit`, then `tail`. Streamed in chunks of about 1 MiB.
 */
export interface StreamedFrame {
  head: Buffer;
  unit: Buffer;
  count: number;
  tail: Buffer;
  /** offset in `unit` of an int32 written as the unit's index (0, 1, 2, …), e.g. a partition index */
  counterAt?: number;
}

export function streamedLength(f: StreamedFrame): number {
  return f.head.length + f.unit.length * f.count + f.tail.length;
}

/** The frame's bytes (length prefix included), chunk by chunk. */
export function* streamedChunks(f: StreamedFrame, chunkBytes = 1 << 20): Generator<Buffer> {
  const len = Buffer.alloc(4);
  len.writeInt32BE(streamedLength(f));
  yield Buffer.concat([len, f.head]);
  const perChunk = Math.max(1, Math.floor(chunkBytes / Math.max(1, f.unit.length)));
  const units = Math.min(perChunk, Math.max(1, f.count));
  const block = Buffer.concat(Array(units).fill(f.unit));
  for (let first = 0; first < f.count; first += perChunk) {
    const n = Math.min(perChunk, f.count - first);
    if (f.counterAt !== undefined) {
      // a fresh buffer: the previous one may still be queued in the socket
      const out = Buffer.from(block.subarray(0, n * f.unit.length));
      for (let i = 0; i < n; i++) out.writeInt32BE((first + i) | 0, i * f.unit.length + f.counterAt);
      yield out;
      continue;
    }
    yield n === units ? block : block.subarray(0, n * f.unit.length);
  }
  yield f.tail;
}

/** A client connection that writes with back-pressure and hashes (and counts) what comes back. */
export class HashingClient {
  readonly sentHash: Hash = createHash('sha256');
  readonly backHash: Hash = createHash('sha256');
  sent = 0;
  back = 0;
  closed = false;
  error: Error | null = null;
  private waiters: (() => void)[] = [];

  private constructor(readonly sock: net.Socket) {
    sock.on('data', (d) => { this.back += d.length; this.backHash.update(d); this.wake(); });
    sock.on('error', (e) => { this.error = e; });
    sock.on('close', () => { this.closed = true; this.wake(); });
  }

  static async connect(port: number): Promise<HashingClient> {
    const sock = net.connect(port, '127.0.0.1');
    sock.setNoDelay(true);
    await new Promise<void>((resolve, reject) => { sock.once('connect', () => resolve()); sock.once('error', reject); });
    return new HashingClient(sock);
  }

  private wake() { const w = this.waiters; this.waiters = []; for (const f of w) f(); }

  async write(b: Buffer): Promise<void> {
    if (this.closed) throw new Error(`connection closed after ${this.sent} bytes sent (${this.error?.message ?? 'by the peer'})`);
    this.sent += b.length;
    this.sentHash.update(b);
    if (!this.sock.write(b)) {
      await new Promise<void>((r) => {
        const done = () => { this.sock.off('drain', done); this.sock.off('close', done); r(); };
        this.sock.on('drain', done);
        this.sock.on('close', done);
      });
    }
  }

  async writeAll(chunks: Iterable<Buffer>): Promise<void> {
    for (const c of chunks) await this.write(c);
  }

  /** Waits until `bytes` came back (or the connection closed, or `ms` passed). */
  async waitBack(bytes: number, ms = 60_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (this.back < bytes && !this.closed && Date.now() < deadline) {
      await new Promise<void>((r) => { this.waiters.push(r); setTimeout(r, 200); });
    }
  }

  end(): void { this.sock.destroy(); }
}

export function sha256(chunks: Buffer[]): string {
  const h = createHash('sha256');
  for (const c of chunks) h.update(c);
  return h.digest('hex');
}

/**
 * A broker stand-in: splits each connection's bytes into frames and writes back whatever
 * `respond(frame, connectionIndex)` returns for it (frames including their length prefix, or
 * nothing). Frames over `maxFrame` bytes are drained, not buffered.
 */
export interface ScriptedBroker {
  port: number;
  close(): Promise<void>;
}

export async function startScriptedBroker(respond: (frame: Buffer, conn: number) => Buffer[] | Buffer | null): Promise<ScriptedBroker> {
  const sockets = new Set<net.Socket>();
  let conns = 0;
  const server = net.createServer((s) => {
    const conn = conns++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    let pending = Buffer.alloc(0);
    s.on('data', (d) => {
      pending = pending.length ? Buffer.concat([pending, d]) : d;
      while (pending.length >= 4) {
        const len = pending.readInt32BE(0);
        if (len < 0 || pending.length < 4 + len) break;
        const f = pending.subarray(0, 4 + len);
        pending = pending.subarray(4 + len);
        const out = respond(f, conn);
        if (out === null) continue;
        for (const b of Array.isArray(out) ? out : [out]) s.write(b);
      }
    });
    s.on('end', () => s.end());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () => new Promise<void>((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }),
  };
}

/** Correlation id, api key and version of a request frame (length prefix included). */
export function requestKey(f: Buffer): { apiKey: number; version: number; correlationId: number } {
  return { apiKey: f.readInt16BE(4), version: f.readInt16BE(6), correlationId: f.readInt32BE(8) };
}

/** Sends `data` on a fresh connection and waits for the echo (or close); returns the bytes back. */
export async function echoRoundTrip(port: number, data: Buffer, chunk = 64 * 1024): Promise<Buffer> {
  const sock = net.connect(port, '127.0.0.1');
  await new Promise<void>((r, j) => { sock.once('connect', () => r()); sock.once('error', j); });
  const got: Buffer[] = [];
  let n = 0;
  const done = new Promise<void>((resolve) => {
    sock.on('data', (d) => { got.push(d); n += d.length; if (n >= data.length) resolve(); });
    sock.on('close', () => resolve());
    sock.on('error', () => resolve());
  });
  for (let i = 0; i < data.length; i += chunk) sock.write(data.subarray(i, i + chunk));
  await Promise.race([done, new Promise((r) => setTimeout(r, 20_000))]);
  sock.destroy();
  return Buffer.concat(got);
}
