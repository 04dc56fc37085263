// Kafka clients on a raw socket for what the real clients in tests/clients cannot send: a client
// of the Kafka 0.10 era (Produce v2 with a magic-1 message set, Fetch v3; a Kafka 4 broker closes
// the connection on them), many client ids on one connection (the label cap), and a misbehaving
// client (invalid UTF-8 client id, a pipelined burst past max_in_flight_per_connection, a frame cut
// off by close, TLS bytes on the Kafka port).
import net from 'node:net';
import { crc32 } from 'node:zlib';

const int16 = (v: number) => { const b = Buffer.alloc(2); b.writeInt16BE(v); return b; };
const int32 = (v: number) => { const b = Buffer.alloc(4); b.writeInt32BE(v); return b; };
const int64 = (v: bigint) => { const b = Buffer.alloc(8); b.writeBigInt64BE(v); return b; };
const str = (s: string) => Buffer.concat([int16(Buffer.byteLength(s)), Buffer.from(s)]);
const bytes = (b: Buffer) => Buffer.concat([int32(b.length), b]);

/** Length-prefixed request with header v1 (api key, version, correlation id, client id). */
export function request(apiKey: number, version: number, correlationId: number, clientId: string | Buffer, body: Buffer = Buffer.alloc(0)): Buffer {
  const id = typeof clientId === 'string' ? Buffer.from(clientId) : clientId;
  const msg = Buffer.concat([int16(apiKey), int16(version), int32(correlationId), int16(id.length), id, body]);
  return Buffer.concat([int32(msg.length), msg]);
}

/** One magic-1 message (Kafka 0.10's format) in a message set. */
function messageSetV1(key: string, value: string): Buffer {
  const inner = Buffer.concat([Buffer.from([1, 0]), int64(BigInt(Date.now())), bytes(Buffer.from(key)), bytes(Buffer.from(value))]);
  const message = Buffer.concat([int32(crc32(inner) | 0), inner]);
  return Buffer.concat([int64(0n), int32(message.length), message]);
}

export const produceV2 = (correlationId: number, clientId: string, topic: string) =>
  request(0, 2, correlationId, clientId, Buffer.concat([
    int16(1), int32(5000), int32(1), str(topic), int32(1), int32(0), bytes(messageSetV1('k', 'legacy')),
  ]));

export const fetchV3 = (correlationId: number, clientId: string, topic: string) =>
  request(1, 3, correlationId, clientId, Buffer.concat([
    int32(-1), int32(100), int32(1), int32(1 << 20), int32(1), str(topic), int32(1), int32(0), int64(0n), int32(1 << 20),
  ]));

export const metadataV0 = (correlationId: number, clientId: string, topics: string[]) =>
  request(3, 0, correlationId, clientId, Buffer.concat([int32(topics.length), ...topics.map(str)]));

export const apiVersionsV0 = (correlationId: number, clientId: string | Buffer) => request(18, 0, correlationId, clientId);

export interface Exchange {
  /** complete response frames received */
  responses: number;
  /** the peer closed the connection */
  closedByPeer: boolean;
}

/**
 * Connects, writes `frames` one at a time (or all in one write with `pipeline`), waiting for a
 * response after each unless pipelined, and ends with `expectResponses` responses, the peer
 * closing, or `timeoutMs`. `tail` is written last without waiting (e.g. a cut-off frame).
 */
export function exchange(port: number, frames: Buffer[], o: { pipeline?: boolean; expectResponses?: number; tail?: Buffer; timeoutMs?: number } = {}): Promise<Exchange> {
  const expect = o.expectResponses ?? frames.length;
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    let buf = Buffer.alloc(0);
    let responses = 0;
    let sent = 0;
    let done = false;
    const finish = (closedByPeer: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve({ responses, closedByPeer });
    };
    const timer = setTimeout(() => finish(false), o.timeoutMs ?? 10_000);
    const next = () => {
      if (o.pipeline) {
        sock.write(Buffer.concat(frames));
        sent = frames.length;
      } else if (sent < frames.length) sock.write(frames[sent++]);
      if (sent === frames.length && o.tail) sock.write(o.tail);
      if (sent === frames.length && (expect === 0 || responses >= expect)) setTimeout(() => finish(false), 200);
    };
    sock.on('connect', next);
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
        buf = buf.subarray(4 + buf.readInt32BE(0));
        responses++;
        if (!o.pipeline) next();
      }
      if (o.pipeline && responses >= expect) finish(false);
    });
    sock.on('end', () => finish(true));
    sock.on('close', () => finish(true));
    sock.on('error', (e: NodeJS.ErrnoException) => (e.code === 'ECONNRESET' || e.code === 'EPIPE' ? finish(true) : reject(e)));
  });
}

/**
 * A Kafka 0.10-era producer and consumer: ApiVersions v0, Metadata v0, then Produce v2 (and on a
 * second connection Fetch v3). Kafka 4 removed both versions (KIP-896), so the broker closes each
 * connection at the old request, as it would for the real old client.
 */
export async function legacyClient(port: number, clientId: string, topic: string): Promise<{ produceClosed: boolean; fetchClosed: boolean }> {
  const p = await exchange(port, [apiVersionsV0(1, clientId), metadataV0(2, clientId, [topic]), produceV2(3, clientId, topic)], { expectResponses: 3 });
  const f = await exchange(port, [apiVersionsV0(1, clientId), fetchV3(2, clientId, topic)], { expectResponses: 2 });
  return { produceClosed: p.closedByPeer, fetchClosed: f.closedByPeer };
}

/** One connection, one ApiVersions v0 request per client id (answered in order). */
export async function clientIds(port: number, ids: string[]): Promise<number> {
  const r = await exchange(port, ids.map((id, i) => apiVersionsV0(i + 1, id)));
  return r.responses;
}

/**
 * What a broken client sends: a client id that is not UTF-8, `burst` requests pipelined in one
 * write (past the filter's max_in_flight_per_connection), a frame cut off by closing the
 * connection, and a TLS ClientHello's first bytes on the Kafka port.
 */
export async function misbehavingClient(port: number, burst: number): Promise<void> {
  await exchange(port, [apiVersionsV0(1, Buffer.from([0x62, 0x61, 0x64, 0xff, 0xfe]))]);
  await exchange(port, Array.from({ length: burst }, (_, i) => apiVersionsV0(i + 1, 'pipelining-client')), { pipeline: true });
  const whole = apiVersionsV0(7, 'truncating-client');
  await exchange(port, [], { expectResponses: 0, tail: whole.subarray(0, whole.length - 3), timeoutMs: 1000 });
  // TLS record header (handshake, TLS 1.0) + ClientHello start: read as a 369 MB length prefix
  await exchange(port, [], { expectResponses: 0, tail: Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]), timeoutMs: 1000 });
}

/**
 * Sets client-id quotas (AlterClientQuotas v0, what `kafka-configs --alter --entity-type clients`
 * sends) on the broker at `port`; resolves with the response's error code (0: done).
 */
export async function setClientQuota(port: number, clientId: string, quotas: Record<string, number>): Promise<number> {
  const f64 = (v: number) => { const b = Buffer.alloc(8); b.writeDoubleBE(v); return b; };
  const ops = Object.entries(quotas).map(([k, v]) => Buffer.concat([str(k), f64(v), Buffer.from([0])]));
  const body = Buffer.concat([int32(1), int32(1), str('client-id'), str(clientId), int32(ops.length), ...ops, Buffer.from([0])]);
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1', () => sock.write(request(49, 0, 1, 'quota-setup', body)));
    let buf = Buffer.alloc(0);
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length < 4 || buf.length < 4 + buf.readInt32BE(0)) return;
      sock.destroy();
      // length, correlation id, throttle_time_ms, entries: [error_code, error_message, entity…]
      resolve(buf.readInt32BE(12) === 1 ? buf.readInt16BE(16) : -1);
    });
    sock.on('error', reject);
  });
}
