// Shared by the host tests: a TCP echo server as the upstream, a host in front of it for the
// duration of one test body, and a small HTTP GET for the admin endpoint.
import { before, after } from 'node:test';
import net from 'node:net';
import http from 'node:http';
import { startHost, type HostOptions, type RunningHost } from '../index.ts';

let echo: net.Server;
let echoPort = 0;

/** The echo server's address, as a host `upstream`. */
export function echoUpstream(): string {
  return `127.0.0.1:${echoPort}`;
}

/** Registers before/after hooks that run the echo server for the calling test file. */
export function useEchoServer(): void {
  before(async () => {
    echo = net.createServer({ allowHalfOpen: true }, (s) => {
      s.on('data', (d) => s.write(d));
      s.on('end', () => s.end());
      s.on('error', () => {});
    });
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', () => r()));
    echoPort = (echo.address() as net.AddressInfo).port;
  });
  after(() => new Promise<void>((r) => echo.close(() => r())));
}

/** Runs `body` against a host in front of the echo server, closing the host afterwards. */
export async function withEchoHost(opts: Omit<HostOptions, 'upstream'>, body: (h: RunningHost) => Promise<void>): Promise<void> {
  const h = await startHost({ ...opts, upstream: echoUpstream() });
  try {
    await body(h);
  } finally {
    await h.close();
  }
}

export function get(port: number, p: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: p }, (res) => {
      let b = '';
      res.on('data', (d) => (b += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: b }));
    }).on('error', reject);
  });
}
