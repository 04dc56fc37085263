// Kafka requests built byte by byte, and a raw client connection, for the suites that need exact
// control over what is on the wire (versions no client sends, chunk boundaries, empty client ids).
import net from 'node:net';
import { crc32c } from '../lib/crc32c.ts';

export function frame(body: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeInt32BE(body.length);
  return Buffer.concat([len, body]);
}

function uvarint(v: number): Buffer {
  const out: number[] = [];
  while (v >= 0x80) { out.push((v & 0x7f) | 0x80); v >>>= 7; }
  out.push(v);
  return Buffer.from(out);
}

/** A compact (flexible) string: uvarint length + 1, then the bytes; null is 0. */
export function compactString(s: string | null): Buffer {
  if (s === null) return uvarint(0);
  const b = Buffer.from(s, 'utf8');
  return Buffer.concat([uvarint(b.length + 1), b]);
}

/**
 * Request header v1 (or v2 with `flexible`: an empty tagged-field section after the client id).
 * `clientId` "" is an empty id (length 0), null a null one (length -1).
 */
export function requestHeader(apiKey: number, version: number, correlationId: number, clientId: string | null, flexible: boolean): Buffer {
  const id = clientId === null ? Buffer.alloc(0) : Buffer.from(clientId, 'utf8');
  const b = Buffer.alloc(10);
  b.writeInt16BE(apiKey, 0);
  b.writeInt16BE(version, 2);
  b.writeInt32BE(correlationId, 4);
  b.writeInt16BE(clientId === null ? -1 : id.length, 8);
  return Buffer.concat([b, id, flexible ? Buffer.from([0]) : Buffer.alloc(0)]);
}

/** ApiVersions request: header v2 and the v3+ body (client software name and version) from v3 on. */
export function apiVersionsRequest(version: number, correlationId: number, clientId: string | null, software = 'e2e-raw', softwareVersion = '1.0'): Buffer {
  const flexible = version >= 3;
  const body = flexible ? Buffer.concat([compactString(software), compactString(softwareVersion), Buffer.from([0])]) : Buffer.alloc(0);
  return frame(Buffer.concat([requestHeader(18, version, correlationId, clientId, flexible), body]));
}

/** Metadata v12 request for these topics (null: all topics). */
export function metadataRequest(correlationId: number, clientId: string | null, topics: string[] | null): Buffer {
  const parts: Buffer[] = [requestHeader(3, 12, correlationId, clientId, true)];
  if (topics === null) parts.push(uvarint(0));
  else {
    parts.push(uvarint(topics.length + 1));
    for (const t of topics) parts.push(Buffer.alloc(16), compactString(t), Buffer.from([0])); // topic id, name, tags
  }
  parts.push(Buffer.from([1, 0])); // allow_auto_topic_creation, include_topic_authorized_operations
  parts.push(Buffer.from([0])); // tags
  return frame(Buffer.concat(parts));
}

/** A v2 record batch header (61 bytes) with `count` records, `codec` (0 none .. 4 zstd), then `payload` bytes. */
export function recordBatch(count: number, codec: number, payload = 10): Buffer {
  const b = Buffer.alloc(61 + payload);
  b.writeBigInt64BE(0n, 0); // base offset
  b.writeInt32BE(49 + payload, 8); // batch length (after this field)
  b.writeInt32BE(0, 12); // partition leader epoch
  b.writeInt8(2, 16); // magic
  b.writeInt32BE(0, 17); // crc (not checked by the filter)
  b.writeInt16BE(codec & 7, 21); // attributes
  b.writeInt32BE(count - 1, 23); // last offset delta
  b.writeBigInt64BE(1700000000000n, 27);
  b.writeBigInt64BE(1700000000000n, 35);
  b.writeBigInt64BE(-1n, 43); // producer id
  b.writeInt16BE(-1, 51); // producer epoch
  b.writeInt32BE(-1, 53); // base sequence
  b.writeInt32BE(count, 57);
  return b;
}

function zigzag(v: number): Buffer {
  return uvarint(((v << 1) ^ (v >> 31)) >>> 0);
}

/** A valid (CRC-checked) uncompressed v2 record batch of these values, as a broker accepts it. */
export function validBatch(values: string[]): Buffer {
  const records = values.map((v, i) => {
    const value = Buffer.from(v, 'utf8');
    const body = Buffer.concat([Buffer.from([0]), zigzag(0), zigzag(i), zigzag(-1), zigzag(value.length), value, zigzag(0)]);
    return Buffer.concat([zigzag(body.length), body]);
  });
  const afterCrc = Buffer.alloc(40);
  afterCrc.writeInt16BE(0, 0); // attributes: no compression
  afterCrc.writeInt32BE(values.length - 1, 2); // last offset delta
  const now = BigInt(Date.now());
  afterCrc.writeBigInt64BE(now, 6);
  afterCrc.writeBigInt64BE(now, 14);
  afterCrc.writeBigInt64BE(-1n, 22); // producer id
  afterCrc.writeInt16BE(-1, 30); // producer epoch
  afterCrc.writeInt32BE(-1, 32); // base sequence
  afterCrc.writeInt32BE(values.length, 36);
  const tail = Buffer.concat([afterCrc, ...records]);
  const head = Buffer.alloc(21);
  head.writeBigInt64BE(0n, 0);
  head.writeInt32BE(9 + tail.length, 8); // batch length: epoch, magic, crc, then the rest
  head.writeInt32BE(-1, 12);
  head.writeInt8(2, 16);
  head.writeUInt32BE(crc32c(tail), 17);
  return Buffer.concat([head, tail]);
}

/** Fetch v12 request (flexible, topics by name): one partition from `offset`. */
export function fetchRequest(correlationId: number, clientId: string | null, topic: string, offset: bigint): Buffer {
  const fixed = Buffer.alloc(25);
  fixed.writeInt32BE(-1, 0); // replica id
  fixed.writeInt32BE(500, 4); // max wait ms
  fixed.writeInt32BE(1, 8); // min bytes
  fixed.writeInt32BE(1 << 20, 12); // max bytes
  fixed.writeInt8(0, 16); // isolation level
  fixed.writeInt32BE(0, 17); // session id
  fixed.writeInt32BE(-1, 21); // session epoch: no session
  const partition = Buffer.alloc(32);
  partition.writeInt32BE(0, 0); // partition
  partition.writeInt32BE(-1, 4); // current leader epoch
  partition.writeBigInt64BE(offset, 8);
  partition.writeInt32BE(-1, 16); // last fetched epoch
  partition.writeBigInt64BE(-1n, 20); // log start offset
  partition.writeInt32BE(1 << 20, 28); // partition max bytes
  return frame(Buffer.concat([
    requestHeader(1, 12, correlationId, clientId, true), fixed,
    uvarint(2), compactString(topic), uvarint(2), partition, Buffer.from([0]), Buffer.from([0]), // topics
    uvarint(1), // forgotten topics: none
    compactString(''), // rack id
    Buffer.from([0]),
  ]));
}

/** The error code of the first partition of a Produce v9 response (header v1). */
export function produceError(response: Buffer): number {
  let at = 5; // correlation id, empty header tags
  at += 1; // one topic
  at += response[at] ; // compact string: length + 1, so this skips the length byte and the name
  at += 1; // one partition
  return response.readInt16BE(at + 4);
}

/** Produce v9 request (flexible): one topic, one partition, these record batches. */
export function produceRequest(correlationId: number, clientId: string | null, topic: string, batches: Buffer[], acks = -1): Buffer {
  const records = Buffer.concat(batches);
  const acksTimeout = Buffer.alloc(6);
  acksTimeout.writeInt16BE(acks, 0);
  acksTimeout.writeInt32BE(30000, 2);
  const partition = Buffer.alloc(4); // index 0
  return frame(Buffer.concat([
    requestHeader(0, 9, correlationId, clientId, true),
    uvarint(0), // transactional id: null
    acksTimeout,
    uvarint(2), compactString(topic), // one topic
    uvarint(2), partition, uvarint(records.length + 1), records, Buffer.from([0]), // one partition, its tags
    Buffer.from([0]), // topic tags
    Buffer.from([0]), // body tags
  ]));
}

/** A raw client connection that collects every byte received and notices the close. */
export class RawConnection {
  readonly socket: net.Socket;
  private chunks: Buffer[] = [];
  private waiters: Array<() => void> = [];
  closed = false;
  reset = false;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on('data', (d) => { this.chunks.push(d); this.wake(); });
    socket.on('error', (e: NodeJS.ErrnoException) => { if (e.code === 'ECONNRESET') this.reset = true; });
    socket.on('close', () => { this.closed = true; this.wake(); });
  }

  static open(port: number): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => resolve(new RawConnection(s)));
      s.once('error', reject);
    });
  }

  private wake() { for (const w of this.waiters.splice(0)) w(); }

  received(): Buffer { return Buffer.concat(this.chunks); }

  write(data: Buffer): Promise<void> {
    return new Promise((resolve, reject) => this.socket.write(data, (e) => (e ? reject(e) : resolve())));
  }

  /** Waits until `cond` holds (checked on every arrival and on close) or `ms` pass; returns cond(). */
  async until(cond: () => boolean, ms = 10_000): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (!cond()) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await new Promise<void>((r) => { this.waiters.push(r); setTimeout(r, Math.min(left, 100)); });
    }
    return true;
  }

  /** The complete frames received so far (length prefix stripped). */
  frames(): Buffer[] {
    const out: Buffer[] = [];
    let b = this.received();
    while (b.length >= 4 && b.length >= 4 + b.readInt32BE(0)) {
      out.push(b.subarray(4, 4 + b.readInt32BE(0)));
      b = b.subarray(4 + b.readInt32BE(0));
    }
    return out;
  }

  /** Waits for `n` complete frames; throws when they do not arrive. */
  async readFrames(n: number, ms = 10_000): Promise<Buffer[]> {
    if (!(await this.until(() => this.frames().length >= n || this.closed, ms)) || this.frames().length < n) {
      throw new Error(`expected ${n} frames, got ${this.frames().length} (closed: ${this.closed})`);
    }
    return this.frames();
  }

  close() { this.socket.destroy(); }
}
