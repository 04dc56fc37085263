// A recording upstream for Envoy: every byte Envoy forwards is kept per connection, so a test can
// check that the filter forwarded exactly what the client sent. It either echoes what it gets
// (bad-input suites: the same bytes come back as "responses") or relays to a real broker, in which
// case it also writes Kafka capture files (conn-N-request.bin / conn-N-response.bin: the frames of
// each direction, as read) for tests/codec/replay.ts.
import net from 'node:net';
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

export interface RecordedConnection {
  id: number;
  /** bytes Envoy sent upstream on this connection (the client's requests, after the filter) */
  received: Buffer[];
  /** bytes sent back towards Envoy (the echo, or the broker's responses) */
  sent: Buffer[];
  closed: boolean;
}

export interface RecordingUpstream {
  port: number;
  connections: RecordedConnection[];
  /** every byte received upstream, all connections in order of arrival */
  receivedBytes(): Buffer;
  close(): Promise<void>;
}

export interface RecordingOptions {
  /** relay to this broker port; without it the upstream echoes */
  relayTo?: number;
  /** write capture files of each direction here (relay mode) */
  captureDir?: string;
}

/** Splits a byte stream into length-prefixed frames as they complete, appending them to a file. */
class FrameFile {
  private pending = Buffer.alloc(0);
  constructor(private path: string) {}
  push(chunk: Buffer) {
    this.pending = Buffer.concat([this.pending, chunk]);
    while (this.pending.length >= 4) {
      const len = this.pending.readInt32BE(0);
      if (len < 0 || this.pending.length < 4 + len) return;
      appendFileSync(this.path, this.pending.subarray(0, 4 + len));
      this.pending = this.pending.subarray(4 + len);
    }
  }
}

export async function startRecordingUpstream(o: RecordingOptions = {}): Promise<RecordingUpstream> {
  const connections: RecordedConnection[] = [];
  const sockets = new Set<net.Socket>();
  if (o.captureDir) mkdirSync(o.captureDir, { recursive: true });
  const server = net.createServer((down) => {
    const conn: RecordedConnection = { id: connections.length + 1, received: [], sent: [], closed: false };
    connections.push(conn);
    sockets.add(down);
    down.on('close', () => { conn.closed = true; sockets.delete(down); });
    down.on('error', () => {});
    if (o.relayTo === undefined) {
      down.on('data', (d) => { conn.received.push(d); conn.sent.push(d); down.write(d); });
      down.on('end', () => down.end());
      return;
    }
    const reqFile = o.captureDir ? new FrameFile(join(o.captureDir, `conn-${conn.id}-request.bin`)) : undefined;
    const respFile = o.captureDir ? new FrameFile(join(o.captureDir, `conn-${conn.id}-response.bin`)) : undefined;
    const up = net.connect(o.relayTo, '127.0.0.1');
    sockets.add(up);
    up.on('close', () => { sockets.delete(up); down.destroy(); });
    up.on('error', () => down.destroy());
    down.on('close', () => up.destroy());
    down.on('data', (d) => { conn.received.push(d); reqFile?.push(d); up.write(d); });
    up.on('data', (d) => { conn.sent.push(d); respFile?.push(d); down.write(d); });
    down.on('end', () => up.end());
    up.on('end', () => down.end());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as net.AddressInfo).port,
    connections,
    receivedBytes: () => Buffer.concat(connections.flatMap((c) => c.received)),
    close: () => new Promise<void>((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }),
  };
}
