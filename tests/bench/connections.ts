// Open Kafka connections for the memory benchmark: each one sends an ApiVersions v3 request and
// reads the broker's whole response through Envoy, so the filter's per-connection state exists
// (session, in-flight table, framer), then stays open and idle.
import net from 'node:net';
import { apiVersionsRequest } from './kafka_frames.ts';

/** Opens `n` more connections to 127.0.0.1:`port`, `parallel` at a time; resolves once each got its response. */
export async function openKafkaConnections(port: number, n: number, into: net.Socket[], parallel = 100): Promise<void> {
  let started = 0;
  const one = () =>
    new Promise<void>((resolve, reject) => {
      const id = into.length + 1;
      const s = net.connect({ host: '127.0.0.1', port });
      into.push(s);
      let buf = Buffer.alloc(0);
      const timer = setTimeout(() => reject(new Error(`connection ${id}: no ApiVersions response in 60 s`)), 60_000);
      const fail = (e: Error) => { clearTimeout(timer); reject(new Error(`connection ${id}: ${e.message}`)); };
      s.on('error', fail);
      s.on('close', () => fail(new Error('closed by the peer')));
      s.on('connect', () => s.write(apiVersionsRequest(id, 'bench-idle')));
      s.on('data', (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        if (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
          clearTimeout(timer);
          s.removeAllListeners('data');
          s.removeAllListeners('close');
          s.removeListener('error', fail);
          s.on('error', () => {});
          resolve();
        }
      });
    });
  const worker = async () => {
    while (started < n) {
      started++;
      await one();
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, n) }, worker));
}

export function closeAll(sockets: net.Socket[]): void {
  for (const s of sockets) s.destroy();
  sockets.length = 0;
}
