// The per-connection stream context (Envoy's network filter Context): turns connection events
// into proxy_on_* calls with Envoy's fail-open/fail-closed handling, and owns the data buffers
// that get/set_buffer_bytes see during those calls.

import { BufferType, CloseType, FilterStatus, WasmResult } from './abi.ts';
import type { PluginHost } from './plugin_host.ts';

export interface ConnectionInfo {
  connectionId: number;
  sourceAddress: string;
  sourcePort: number;
  destinationAddress: string;
  destinationPort: number;
  upstreamAddress?: string;
  upstreamPort?: number;
}

/** What a stream context may ask of its connection (Envoy's network filter callbacks). */
export interface ConnectionCallbacks {
  info(): ConnectionInfo;
  /** read_filter_callbacks->continueReading() */
  continueReading(): void;
  /** connection().close(FlushWrite, details) on the downstream connection */
  closeDownstream(details: string): void;
}

/** A mutable network data buffer (Envoy Buffer::Instance). */
export interface DataHolder {
  data: Buffer;
}

/** Buffer view handed to get/set_buffer_bytes (Envoy Context::getBuffer / Buffer). */
export interface BufferIf {
  size(): number;
  bytes(): Buffer;
  copyFrom(start: number, length: number, data: Buffer): number;
}
function constBuffer(b: Buffer): BufferIf {
  return { size: () => b.length, bytes: () => b, copyFrom: () => WasmResult.BadArgument };
}
function mutableBuffer(h: DataHolder): BufferIf {
  return {
    size: () => h.data.length,
    bytes: () => h.data,
    // Envoy source/extensions/common/wasm/context.cc Buffer::copyFrom
    copyFrom(start, length, data) {
      if (start === 0) {
        const drained = length !== 0 ? h.data.subarray(Math.min(length, h.data.length)) : h.data;
        h.data = Buffer.concat([data, drained]);
        return WasmResult.Ok;
      } else if (start >= h.data.length) {
        h.data = Buffer.concat([h.data, data]);
        return WasmResult.Ok;
      }
      return WasmResult.BadArgument;
    },
  };
}

export class StreamContext {
  inVmContextCreated = false;
  downstreamData: DataHolder | null = null;
  upstreamData: DataHolder | null = null;
  endOfStream = false;
  downstreamClosed = false;
  upstreamClosed = false;
  tcpClosed = false;
  streamFailed = false;
  filterState = new Map<string, Buffer>();
  constructor(
    readonly host: PluginHost,
    readonly id: number,
    readonly rootId: number,
    readonly conn: ConnectionCallbacks | null,
    /** false for the "empty" Context Envoy creates under fail-closed after a VM failure */
    readonly hasWasm: boolean,
  ) {}

  get isRoot() {
    return this.rootId === 0;
  }

  private isFailed() {
    return !this.hasWasm || this.host.failed !== null;
  }

  /** ContextBase CHECK_FAIL_NET: returns a status when the VM is failed, else null. */
  private checkFailNet(): number | null {
    if (!this.isFailed()) return null;
    if (this.host.failOpen) return FilterStatus.Continue;
    if (!this.streamFailed) {
      this.streamFailed = true;
      // Context::failStream(Downstream) and (Upstream) both close the downstream connection.
      this.conn?.closeDownstream('wasm_fail_stream');
    }
    return FilterStatus.StopIteration;
  }

  /** Envoy Context::onNewConnection -> onCreate + ContextBase::onNetworkNewConnection */
  onNewConnection(): number {
    if (!this.isFailed() && !this.inVmContextCreated) {
      this.host.callVoid(this, 'proxy_on_context_create', this.id, this.rootId);
    }
    this.inVmContextCreated = true;
    const f = this.checkFailNet();
    if (f !== null) return f;
    const r = this.host.callNum(this, 'proxy_on_new_connection', this.id);
    return this.checkFailNet() ?? toFilterStatus(r);
  }

  /** Envoy Context::onData (read filter) */
  onDownstreamData(h: DataHolder, endStream: boolean): number {
    if (!this.inVmContextCreated) return FilterStatus.Continue;
    this.downstreamData = h;
    const result = this.callOnData('proxy_on_downstream_data', h, endStream);
    if (result === FilterStatus.Continue) this.downstreamData = null;
    return result;
  }

  /** Envoy Context::onWrite (write filter): data from upstream on its way downstream */
  onUpstreamData(h: DataHolder, endStream: boolean): number {
    if (!this.inVmContextCreated) return FilterStatus.Continue;
    this.upstreamData = h;
    const result = this.callOnData('proxy_on_upstream_data', h, endStream);
    if (result === FilterStatus.Continue) this.upstreamData = null;
    if (endStream) this.onUpstreamConnectionClose(CloseType.Unknown);
    return result;
  }

  /** ContextBase::onDownstreamData / onUpstreamData: the VM call between two CHECK_FAIL_NETs. */
  private callOnData(fn: 'proxy_on_downstream_data' | 'proxy_on_upstream_data', h: DataHolder, endStream: boolean): number {
    this.endOfStream = endStream;
    const f = this.checkFailNet();
    if (f !== null) return f;
    const r = this.host.callNum(this, fn, this.id, h.data.length, endStream ? 1 : 0);
    return this.checkFailNet() ?? toFilterStatus(r);
  }

  /** Envoy Context::onEvent(LocalClose|RemoteClose) -> onDownstreamConnectionClose */
  onDownstreamConnectionClose(closeType: number) {
    if (!this.inVmContextCreated) return;
    if (!this.isFailed()) this.host.callVoid(this, 'proxy_on_downstream_connection_close', this.id, closeType);
    this.downstreamClosed = true;
    this.onCloseTCP();
  }

  onUpstreamConnectionClose(closeType: number) {
    if (!this.isFailed()) this.host.callVoid(this, 'proxy_on_upstream_connection_close', this.id, closeType);
    this.upstreamClosed = true;
    if (this.downstreamClosed) this.onCloseTCP();
  }

  /** Envoy Context::onCloseTCP: onDone, onLog, onDelete */
  private onCloseTCP() {
    if (this.tcpClosed || !this.inVmContextCreated) return;
    this.tcpClosed = true;
    if (!this.isFailed()) this.host.callNum(this, 'proxy_on_done', this.id);
    if (!this.isFailed()) this.host.callVoid(this, 'proxy_on_log', this.id);
    if (!this.isFailed()) this.host.callVoid(this, 'proxy_on_delete', this.id);
    this.host.contexts.delete(this.id);
  }

  getBuffer(type: number): BufferIf | null {
    switch (type) {
      case BufferType.CallData:
        return constBuffer(this.host.callData);
      case BufferType.VmConfiguration:
        return constBuffer(this.host.vmConfig);
      case BufferType.PluginConfiguration:
        return this.host.tempPlugin ? constBuffer(this.host.pluginConfig) : null;
      case BufferType.NetworkDownstreamData:
        return this.downstreamData ? mutableBuffer(this.downstreamData) : constBuffer(Buffer.alloc(0));
      case BufferType.NetworkUpstreamData:
        return this.upstreamData ? mutableBuffer(this.upstreamData) : constBuffer(Buffer.alloc(0));
      case BufferType.HttpRequestBody:
      case BufferType.HttpResponseBody:
      case BufferType.GrpcReceiveBuffer:
        return constBuffer(Buffer.alloc(0));
      case BufferType.HttpCallResponseBody:
      default:
        return null;
    }
  }
}

/** A filter callback's return value (undefined when the VM failed or lacks the export): 0 = Continue. */
function toFilterStatus(r: number | undefined): number {
  return r === undefined || r === 0 ? FilterStatus.Continue : FilterStatus.StopIteration;
}
