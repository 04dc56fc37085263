// TCP proxy (Envoy tcp_proxy + the Wasm network filter in front of it), admin server, capture.

import net from 'node:net';
import http from 'node:http';
import { mkdirSync, appendFileSync } from 'node:fs';
import path from 'node:path';
import { CloseType, FilterStatus, LogLevel } from './abi.ts';
import type { PluginHost } from './plugin_host.ts';
import type { ConnectionCallbacks, DataHolder, StreamContext } from './stream_context.ts';
import type { StatsStore } from './stats.ts';

export interface ProxyOptions {
  listenHost: string;
  listenPort: number;
  upstreamHost: string;
  upstreamPort: number;
  captureDir?: string;
  statPrefix?: string;
}

/** Splits a byte stream into Kafka frames (int32 big-endian length + body), independent of the VM. */
class FrameCapture {
  private buf = Buffer.alloc(0);
  private seq = 0;
  constructor(private dir: string, private connId: number, private direction: 'request' | 'response') {}
  push(chunk: Buffer) {
    this.buf = Buffer.concat([this.buf, chunk]);
    for (;;) {
      if (this.buf.length < 4) return;
      const len = this.buf.readInt32BE(0);
      if (len < 0) {
        // not Kafka; dump the rest raw and stop framing
        appendFileSync(path.join(this.dir, `conn-${this.connId}-${this.direction}.unframed.bin`), this.buf);
        this.buf = Buffer.alloc(0);
        return;
      }
      if (this.buf.length < 4 + len) return;
      const frame = this.buf.subarray(0, 4 + len);
      appendFileSync(path.join(this.dir, `conn-${this.connId}-${this.direction}.bin`), frame);
      const seq = String(this.seq++).padStart(6, '0');
      appendFileSync(path.join(this.dir, `conn-${this.connId}-${this.direction}-${seq}.bin`), frame);
      this.buf = this.buf.subarray(4 + len);
    }
  }
}

let nextConnectionId = 1;

class Connection implements ConnectionCallbacks {
  readonly id = nextConnectionId++;
  private upstream: net.Socket | null = null;
  private upstreamConnected = false;
  private ctx: StreamContext | null = null;
  private down: DataHolder = { data: Buffer.alloc(0) };
  private up: DataHolder = { data: Buffer.alloc(0) };
  private downEos = false;
  private upEos = false;
  private upstreamEndSent = false;
  private downstreamEndSent = false;
  private chainContinued = false;
  private closed = false;
  private localClose = false;
  private pendingToUpstream: Array<Buffer | null> = [];
  private capReq?: FrameCapture;
  private capResp?: FrameCapture;
  /** the VM of the worker this connection was assigned to, for the connection's whole life */
  private readonly plugin: PluginHost;

  constructor(private proxy: TcpProxy, private downstream: net.Socket) {
    this.plugin = proxy.assignWorker();
    const s = proxy.stats;
    s.counter(`tcp.${proxy.statPrefix}.downstream_cx_total`).inc();
    s.gauge(`tcp.${proxy.statPrefix}.downstream_cx_active`).add(1n);
    if (proxy.opts.captureDir) {
      this.capReq = new FrameCapture(proxy.opts.captureDir, this.id, 'request');
      this.capResp = new FrameCapture(proxy.opts.captureDir, this.id, 'response');
    }
    downstream.setNoDelay(true);
    downstream.on('data', (d: Buffer) => this.onDownstreamRead(d, false));
    downstream.on('end', () => this.onDownstreamRead(Buffer.alloc(0), true));
    downstream.on('error', () => this.closeAll(CloseType.Remote));
    downstream.on('close', () => this.closeAll(this.localClose ? CloseType.Local : CloseType.Remote));
    downstream.on('drain', () => this.upstream?.resume());

    this.ctx = this.plugin.newConnectionContext(this);
    const st = this.ctx ? this.ctx.onNewConnection() : FilterStatus.Continue;
    if (st === FilterStatus.Continue && !this.closed) this.continueChain();
  }

  info() {
    return {
      connectionId: this.id,
      sourceAddress: this.downstream.remoteAddress ?? '',
      sourcePort: this.downstream.remotePort ?? 0,
      destinationAddress: this.downstream.localAddress ?? '',
      destinationPort: this.downstream.localPort ?? 0,
      upstreamAddress: this.upstreamConnected ? this.upstream?.remoteAddress : undefined,
      upstreamPort: this.upstreamConnected ? this.upstream?.remotePort : undefined,
    };
  }

  /** Filters after the Wasm filter (tcp_proxy) run: connect upstream if needed, flush held data. */
  private continueChain() {
    if (this.closed) return;
    if (!this.chainContinued) {
      this.chainContinued = true;
      this.connectUpstream();
    }
    if (this.down.data.length > 0 || (this.downEos && !this.upstreamEndSent)) {
      const data = this.down.data;
      this.down.data = Buffer.alloc(0);
      this.sendUpstream(data, this.downEos);
    }
  }

  continueReading() {
    // read_filter_callbacks->continueReading(): resume the chain after the Wasm filter with
    // whatever is held in the read buffer.
    this.continueChain();
  }

  closeDownstream(details: string) {
    if (this.closed) return;
    this.plugin.envoyLog(LogLevel.debug, `[C${this.id}] closing downstream: ${details}`);
    this.localClose = true;
    // FlushWrite: write what is pending, then close.
    this.downstream.end(() => this.downstream.destroy());
    setTimeout(() => this.downstream.destroy(), 1000).unref();
  }

  /** tcp_proxy byte counters (tcp.<stat_prefix>.<name>). */
  private countBytes(name: string, n: number) {
    this.proxy.stats.counter(`tcp.${this.proxy.statPrefix}.${name}`).add(BigInt(n));
  }

  /** A socket read: counted and captured as received (before the filter), then appended to the filter's buffer. */
  private bufferRead(holder: DataHolder, chunk: Buffer, rxStat: string, capture: FrameCapture | undefined) {
    if (!chunk.length) return;
    this.countBytes(rxStat, chunk.length);
    capture?.push(chunk);
    holder.data = Buffer.concat([holder.data, chunk]);
  }

  private onDownstreamRead(chunk: Buffer, eos: boolean) {
    if (this.closed) return;
    this.bufferRead(this.down, chunk, 'downstream_cx_rx_bytes_total', this.capReq);
    if (eos) this.downEos = true;
    const st = this.ctx ? this.ctx.onDownstreamData(this.down, this.downEos) : FilterStatus.Continue;
    if (st === FilterStatus.Continue) this.continueChain();
  }

  private sendUpstream(data: Buffer, eos: boolean) {
    if (!this.upstreamConnected) {
      if (data.length) this.pendingToUpstream.push(data);
      if (eos) this.pendingToUpstream.push(null);
      // tcp_proxy readDisable()s downstream until the upstream connects
      this.downstream.pause();
      return;
    }
    if (data.length) {
      this.countBytes('upstream_cx_tx_bytes_total', data.length);
      if (!this.upstream!.write(data)) this.downstream.pause();
    }
    if (eos && !this.upstreamEndSent) {
      this.upstreamEndSent = true;
      this.upstream!.end();
    }
  }

  private connectUpstream() {
    const u = net.connect({ host: this.proxy.opts.upstreamHost, port: this.proxy.opts.upstreamPort, allowHalfOpen: true });
    this.upstream = u;
    u.setNoDelay(true);
    u.on('connect', () => {
      this.upstreamConnected = true;
      const q = this.pendingToUpstream;
      this.pendingToUpstream = [];
      for (const d of q) {
        if (d === null) {
          if (!this.upstreamEndSent) {
            this.upstreamEndSent = true;
            u.end();
          }
        } else {
          this.countBytes('upstream_cx_tx_bytes_total', d.length);
          u.write(d);
        }
      }
      if (!this.closed) this.downstream.resume();
    });
    u.on('data', (d: Buffer) => this.onUpstreamRead(d, false));
    u.on('end', () => this.onUpstreamRead(Buffer.alloc(0), true));
    u.on('drain', () => this.downstream.resume());
    u.on('error', (e) => {
      if (!this.upstreamConnected) {
        this.proxy.stats.counter(`cluster.upstream.upstream_cx_connect_fail`).inc();
        this.plugin.envoyLog(LogLevel.debug, `[C${this.id}] upstream connect failed: ${e.message}`);
      }
      this.closeDownstreamNow();
    });
    u.on('close', () => {
      if (!this.upEos || !this.downstreamEndSent) this.closeDownstreamNow();
      else this.maybeFinish();
    });
  }

  private onUpstreamRead(chunk: Buffer, eos: boolean) {
    if (this.closed) return;
    this.bufferRead(this.up, chunk, 'upstream_cx_rx_bytes_total', this.capResp);
    if (eos) this.upEos = true;
    const st = this.ctx ? this.ctx.onUpstreamData(this.up, this.upEos) : FilterStatus.Continue;
    if (st !== FilterStatus.Continue || this.closed) return;
    const data = this.up.data;
    this.up.data = Buffer.alloc(0);
    if (data.length) {
      this.countBytes('downstream_cx_tx_bytes_total', data.length);
      if (!this.downstream.write(data)) this.upstream?.pause();
    }
    if (this.upEos && !this.downstreamEndSent) {
      this.downstreamEndSent = true;
      this.downstream.end();
      this.maybeFinish();
    }
  }

  private maybeFinish() {
    // Both directions half-closed: Envoy closes the connection.
    if (this.downEos && this.downstreamEndSent && this.upstreamEndSent) {
      this.localClose = true;
      this.downstream.destroy();
    }
  }

  private closeDownstreamNow() {
    if (this.closed) return;
    this.localClose = true;
    this.downstream.end(() => this.downstream.destroy());
    setTimeout(() => this.downstream.destroy(), 1000).unref();
  }

  private closeAll(type: number) {
    if (this.closed) return;
    this.closed = true;
    const s = this.proxy.stats;
    s.gauge(`tcp.${this.proxy.statPrefix}.downstream_cx_active`).sub(1n);
    this.proxy.connections.delete(this);
    this.upstream?.destroy();
    this.downstream.destroy();
    this.ctx?.onDownstreamConnectionClose(type);
  }

  destroy() {
    this.closeDownstreamNow();
    this.downstream.destroy();
  }
}

export class TcpProxy {
  server!: net.Server;
  readonly connections = new Set<Connection>();
  readonly statPrefix: string;
  /** one VM per Envoy worker */
  readonly plugins: PluginHost[];
  /** connections assigned to each worker so far */
  readonly connectionsPerWorker: number[];
  private nextWorker = 0;
  constructor(plugins: PluginHost | PluginHost[], readonly stats: StatsStore, readonly opts: ProxyOptions) {
    this.plugins = Array.isArray(plugins) ? plugins : [plugins];
    if (this.plugins.length === 0) throw new Error('TcpProxy needs at least one VM');
    this.connectionsPerWorker = this.plugins.map(() => 0);
    this.statPrefix = opts.statPrefix ?? 'kafka';
    if (opts.captureDir) mkdirSync(opts.captureDir, { recursive: true });
  }
  /** The VM of worker 0. */
  get plugin(): PluginHost {
    return this.plugins[0];
  }
  /**
   * The worker a new connection is handed to: round-robin. (Envoy leaves the choice to the kernel
   * by default, or balances with `connection_balance_config`; round-robin makes the spread
   * deterministic. Either way a connection stays on one worker for its whole life.)
   */
  assignWorker(): PluginHost {
    const w = this.nextWorker;
    this.nextWorker = (w + 1) % this.plugins.length;
    this.connectionsPerWorker[w]++;
    return this.plugins[w];
  }
  listen(): Promise<number> {
    this.server = net.createServer({ allowHalfOpen: true, pauseOnConnect: false }, (sock) => {
      this.connections.add(new Connection(this, sock));
    });
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.opts.listenPort, this.opts.listenHost, () => {
        resolve((this.server.address() as net.AddressInfo).port);
      });
    });
  }
  async close() {
    for (const c of [...this.connections]) c.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

export class AdminServer {
  server!: http.Server;
  constructor(private stats: StatsStore, private ready: () => boolean) {}
  listen(host: string, port: number): Promise<number> {
    this.server = http.createServer((req, res) => {
      const u = new URL(req.url ?? '/', 'http://x');
      const usedOnly = u.searchParams.has('usedonly');
      const filterS = u.searchParams.get('filter');
      let filter: RegExp | undefined;
      try {
        filter = filterS ? new RegExp(filterS) : undefined;
      } catch {
        res.writeHead(400).end('Invalid re2 regex\n');
        return;
      }
      if (u.pathname === '/stats/prometheus') {
        res.writeHead(200, { 'content-type': 'text/plain; charset=UTF-8' });
        res.end(this.stats.renderPrometheus(usedOnly));
      } else if (u.pathname === '/stats') {
        if (u.searchParams.get('format') === 'json') {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(this.stats.renderJson(usedOnly, filter));
        } else if (u.searchParams.get('format') === 'prometheus') {
          res.writeHead(200, { 'content-type': 'text/plain; charset=UTF-8' });
          res.end(this.stats.renderPrometheus(usedOnly));
        } else {
          res.writeHead(200, { 'content-type': 'text/plain; charset=UTF-8' });
          res.end(this.stats.renderText(usedOnly, filter));
        }
      } else if (u.pathname === '/ready') {
        const ok = this.ready();
        res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain; charset=UTF-8' });
        res.end(ok ? 'LIVE\n' : 'PRE_INITIALIZING\n');
      } else {
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end('invalid path. admin commands are: /ready /stats /stats?format=json /stats/prometheus\n');
      }
    });
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => resolve((this.server.address() as net.AddressInfo).port));
    });
  }
  close(): Promise<void> {
    return new Promise((r) => {
      this.server.closeAllConnections?.();
      this.server.close(() => r());
    });
  }
}
