// The Proxy-Wasm side of the host: one VM, one root context (one plugin), stream contexts per
// TCP connection, and every host call Envoy registers. Envoy semantics are cited inline as
// <repo> <file> <function>; see tests/host/README.md.

import { readFileSync } from 'node:fs';
import { randomFillSync } from 'node:crypto';
import {
  BufferType, CloseType, FilterStatus, LOG_LEVEL_NAMES, LogLevel, MetricType, RANDOM_GET_MAX,
  StreamType, WASI, WasmResult, type FailState,
} from './abi.ts';
import { type FuncType, type ValType, parseModule, sameSig, sigToString } from './wasm_binary.ts';
import { CUSTOM_STAT_NAMESPACE, type Counter, type Gauge, type Histogram, StatsStore } from './stats.ts';

export class HostStartError extends Error {}

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

export interface PluginOptions {
  wasm: Uint8Array | string;
  pluginConfig?: Uint8Array | string;
  vmConfig?: Uint8Array | string;
  pluginName?: string;
  rootId?: string;
  vmId?: string;
  failOpen?: boolean;
  logLevel?: number;
  stats?: StatsStore;
  log?: (level: number, line: string) => void;
  node?: { id?: string; cluster?: string; metadata?: Record<string, unknown> };
  env?: Record<string, string>;
  listenerDirection?: number;
}

type Sig = [ValType[], ValType[]];
const i = 'i32' as const;
const I = 'i64' as const;
const n = (k: number): ValType[] => new Array(k).fill(i);

// Host function signatures exactly as proxy-wasm-cpp-host registers them for wasm32
// (Word -> i32, int64_t/uint64_t -> i64): src/exports.cc + include/proxy-wasm/exports.h.
const ENV_SIGS: Record<string, Sig> = {
  proxy_log: [n(3), [i]],
  proxy_get_status: [n(3), [i]],
  proxy_set_property: [n(4), [i]],
  proxy_get_property: [n(4), [i]],
  proxy_send_local_response: [n(8), [i]],
  proxy_get_shared_data: [n(5), [i]],
  proxy_set_shared_data: [n(5), [i]],
  proxy_register_shared_queue: [n(3), [i]],
  proxy_resolve_shared_queue: [n(5), [i]],
  proxy_dequeue_shared_queue: [n(3), [i]],
  proxy_enqueue_shared_queue: [n(3), [i]],
  proxy_get_header_map_value: [n(5), [i]],
  proxy_add_header_map_value: [n(5), [i]],
  proxy_replace_header_map_value: [n(5), [i]],
  proxy_remove_header_map_value: [n(3), [i]],
  proxy_get_header_map_pairs: [n(3), [i]],
  proxy_set_header_map_pairs: [n(3), [i]],
  proxy_get_header_map_size: [n(2), [i]],
  proxy_get_buffer_status: [n(3), [i]],
  proxy_get_buffer_bytes: [n(5), [i]],
  proxy_set_buffer_bytes: [n(5), [i]],
  proxy_http_call: [n(10), [i]],
  proxy_grpc_call: [n(12), [i]],
  proxy_grpc_stream: [n(9), [i]],
  proxy_grpc_close: [n(1), [i]],
  proxy_grpc_cancel: [n(1), [i]],
  proxy_grpc_send: [n(4), [i]],
  proxy_set_tick_period_milliseconds: [n(1), [i]],
  proxy_get_current_time_nanoseconds: [n(1), [i]],
  proxy_define_metric: [n(4), [i]],
  proxy_increment_metric: [[i, I], [i]],
  proxy_record_metric: [[i, I], [i]],
  proxy_get_metric: [n(2), [i]],
  proxy_set_effective_context: [n(1), [i]],
  proxy_done: [[], [i]],
  proxy_call_foreign_function: [n(6), [i]],
  // ABI 0.2.x specific
  proxy_continue_stream: [n(1), [i]],
  proxy_close_stream: [n(1), [i]],
  // 0.2.1 only
  proxy_get_log_level: [n(1), [i]],
  // always registered by WasmBase::registerCallbacks / Envoy Wasm::registerCallbacks
  pthread_equal: [n(2), [i]],
  emscripten_notify_memory_growth: [n(1), []],
  envoy_resolve_dns: [n(3), [i]],
};

const WASI_SIGS: Record<string, Sig> = {
  fd_write: [n(4), [i]], fd_read: [n(4), [i]], fd_seek: [[i, I, i, i], [i]], fd_close: [n(1), [i]],
  fd_fdstat_get: [n(2), [i]], fd_fdstat_set_flags: [n(2), [i]], fd_fdstat_set_rights: [[i, I, I], [i]],
  environ_get: [n(2), [i]], environ_sizes_get: [n(2), [i]], args_get: [n(2), [i]], args_sizes_get: [n(2), [i]],
  clock_time_get: [[i, I, i], [i]], clock_res_get: [n(2), [i]], fd_advise: [[i, I, I, i], [i]],
  fd_allocate: [[i, I, I], [i]], fd_datasync: [n(1), [i]], fd_filestat_set_size: [[i, I], [i]],
  fd_filestat_set_times: [[i, I, I, i], [i]], fd_pread: [[i, i, i, I, i], [i]], fd_pwrite: [[i, i, i, I, i], [i]],
  fd_readdir: [[i, i, i, I, i], [i]], fd_renumber: [n(2), [i]], fd_sync: [n(1), [i]], fd_tell: [n(2), [i]],
  path_create_directory: [n(3), [i]], path_filestat_set_times: [[i, i, i, i, I, I, i], [i]],
  path_link: [n(6), [i]], path_readlink: [n(6), [i]], path_remove_directory: [n(3), [i]],
  path_rename: [n(6), [i]], path_symlink: [n(4), [i]], path_unlink_file: [n(3), [i]],
  sock_accept: [n(3), [i]], sock_recv: [n(6), [i]], sock_send: [n(5), [i]], sock_shutdown: [n(2), [i]],
  random_get: [n(2), [i]], sched_yield: [[], [i]], poll_oneoff: [n(4), [i]], proc_exit: [n(1), []],
  path_open: [[i, i, i, i, i, I, I, i, i], [i]], fd_prestat_get: [n(2), [i]], fd_prestat_dir_name: [n(3), [i]],
  path_filestat_get: [n(5), [i]], fd_filestat_get: [n(2), [i]],
};

// proxy-wasm-cpp-host src/wasm.cc WasmBase::startVm: callbacks allowed while _initialize/_start/main run.
const START_ALLOWED = new Set<string>([
  'env.emscripten_notify_memory_growth', 'env.proxy_log',
  ...[
    'fd_write', 'args_sizes_get', 'args_get', 'environ_sizes_get', 'environ_get', 'clock_time_get',
    'clock_res_get', 'random_get', 'poll_oneoff', 'fd_fdstat_get', 'fd_fdstat_set_flags', 'fd_advise',
    'fd_allocate', 'fd_datasync', 'fd_fdstat_set_rights', 'fd_filestat_get', 'fd_filestat_set_size',
    'fd_filestat_set_times', 'fd_pread', 'fd_prestat_dir_name', 'fd_prestat_get', 'fd_pwrite', 'fd_readdir',
    'fd_renumber', 'fd_sync', 'fd_tell', 'path_create_directory', 'path_filestat_get',
    'path_filestat_set_times', 'path_link', 'path_readlink', 'path_remove_directory', 'path_rename',
    'path_symlink', 'path_unlink_file', 'sock_accept', 'sock_recv', 'sock_send', 'sock_shutdown',
  ].flatMap((f) => [`wasi_unstable.${f}`, `wasi_snapshot_preview1.${f}`]),
]);
// include/proxy-wasm/wasm.h WasmBase::allocMemory
const MALLOC_ALLOWED = new Set<string>([
  'env.proxy_log',
  ...['fd_write', 'clock_time_get', 'poll_oneoff'].flatMap((f) => [`wasi_unstable.${f}`, `wasi_snapshot_preview1.${f}`]),
]);

// Module exports the host calls, with the signatures V8::getFunction insists on.
const MODULE_SIGS: Record<string, Sig> = {
  _initialize: [[], []], _start: [[], []], main: [n(2), [i]], __main_void: [[], [i]], malloc: [n(1), [i]],
  proxy_on_memory_allocate: [n(1), [i]],
  proxy_on_context_create: [n(2), []], proxy_on_vm_start: [n(2), [i]], proxy_on_configure: [n(2), [i]],
  proxy_on_tick: [n(1), []], proxy_on_new_connection: [n(1), [i]],
  proxy_on_downstream_data: [n(3), [i]], proxy_on_upstream_data: [n(3), [i]],
  proxy_on_downstream_connection_close: [n(2), []], proxy_on_upstream_connection_close: [n(2), []],
  proxy_on_done: [n(1), [i]], proxy_on_log: [n(1), []], proxy_on_delete: [n(1), []],
  proxy_on_queue_ready: [n(2), []], proxy_on_foreign_function: [n(3), []],
};

class TrapError extends Error {}

// ---- process-wide shared state (Envoy: getGlobalSharedData / getGlobalSharedQueue) ----
let globalCas = 1;
function nextCas(): number {
  const r = globalCas;
  globalCas = (globalCas + 1) >>> 0;
  if (globalCas === 0) globalCas = 1;
  return r;
}
const sharedData = new Map<string, Map<string, { value: Buffer; cas: number }>>();
interface Queue { vmId: string; name: string; contextId: number; host: PluginHost; items: Buffer[] }
const queues = new Map<number, Queue>();
const queueByName = new Map<string, number>();
let nextQueueToken = 1;

/** Buffer view handed to get/set_buffer_bytes (Envoy Context::getBuffer / Buffer). */
interface BufferIf {
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
    const f2 = this.checkFailNet();
    if (f2 !== null) return f2;
    return r === undefined || r === 0 ? FilterStatus.Continue : FilterStatus.StopIteration;
  }

  /** Envoy Context::onData (read filter) */
  onDownstreamData(h: DataHolder, endStream: boolean): number {
    if (!this.inVmContextCreated) return FilterStatus.Continue;
    this.downstreamData = h;
    this.endOfStream = endStream;
    let result: number;
    const f = this.checkFailNet();
    if (f !== null) result = f;
    else {
      const r = this.host.callNum(this, 'proxy_on_downstream_data', this.id, h.data.length, endStream ? 1 : 0);
      const f2 = this.checkFailNet();
      result = f2 !== null ? f2 : r === undefined || r === 0 ? FilterStatus.Continue : FilterStatus.StopIteration;
    }
    if (result === FilterStatus.Continue) this.downstreamData = null;
    return result;
  }

  /** Envoy Context::onWrite (write filter): data from upstream on its way downstream */
  onUpstreamData(h: DataHolder, endStream: boolean): number {
    if (!this.inVmContextCreated) return FilterStatus.Continue;
    this.upstreamData = h;
    this.endOfStream = endStream;
    let result: number;
    const f = this.checkFailNet();
    if (f !== null) result = f;
    else {
      const r = this.host.callNum(this, 'proxy_on_upstream_data', this.id, h.data.length, endStream ? 1 : 0);
      const f2 = this.checkFailNet();
      result = f2 !== null ? f2 : r === undefined || r === 0 ? FilterStatus.Continue : FilterStatus.StopIteration;
    }
    if (result === FilterStatus.Continue) this.upstreamData = null;
    if (endStream) this.onUpstreamConnectionClose(CloseType.Unknown);
    return result;
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

export class PluginHost {
  failed: FailState | null = null;
  failMessage = '';
  readonly failOpen: boolean;
  readonly logLevel: number;
  readonly stats: StatsStore;
  readonly pluginName: string;
  readonly rootIdName: string;
  readonly vmId: string;
  readonly pluginConfig: Buffer;
  readonly vmConfig: Buffer;
  callData = Buffer.alloc(0);
  tempPlugin = false;
  readonly contexts = new Map<number, StreamContext>();
  root!: StreamContext;
  abi: '0_2_0' | '0_2_1' = '0_2_1';
  logs: string[] = [];

  private instance!: WebAssembly.Instance;
  private memory!: WebAssembly.Memory;
  private exportsFns: Record<string, (...a: unknown[]) => unknown> = {};
  private nextContextId = 1;
  private current: StreamContext | null = null;
  private effectiveId = 0;
  private restricted: Set<string> | null = null;
  private afterCall: Array<() => void> = [];
  private counters = new Map<number, Counter>();
  private gauges = new Map<number, Gauge>();
  private histograms = new Map<number, Histogram>();
  private nextMetric = [MetricType.Counter, MetricType.Gauge, MetricType.Histogram] as number[];
  private tickTimer: NodeJS.Timeout | null = null;
  private tickPeriod = 0;
  private readonly logSink: (level: number, line: string) => void;
  private readonly node: NonNullable<PluginOptions['node']>;
  private readonly env: Record<string, string>;
  private readonly listenerDirection: number;
  private closed = false;
  private pendingDone = false;
  private runtimeErrors: Counter;

  private constructor(opts: PluginOptions) {
    this.failOpen = opts.failOpen ?? true;
    this.logLevel = opts.logLevel ?? LogLevel.info;
    this.stats = opts.stats ?? new StatsStore();
    this.pluginName = opts.pluginName ?? 'kafka-filter';
    this.rootIdName = opts.rootId ?? '';
    this.vmId = opts.vmId ?? '';
    this.pluginConfig = toBuf(opts.pluginConfig);
    this.vmConfig = toBuf(opts.vmConfig);
    this.node = opts.node ?? {};
    this.env = opts.env ?? {};
    this.listenerDirection = opts.listenerDirection ?? 0;
    this.logSink = opts.log ?? ((_l, line) => process.stderr.write(line + '\n'));
    this.runtimeErrors = this.stats.counter('wasm_host.vm_runtime_errors');
  }

  static async create(opts: PluginOptions): Promise<PluginHost> {
    const h = new PluginHost(opts);
    const code = typeof opts.wasm === 'string' ? readFileSync(opts.wasm) : Buffer.from(opts.wasm);
    await h.load(code);
    return h;
  }

  // ------------------------------------------------------------------ logging
  envoyLog(level: number, msg: string) {
    if (level < this.logLevel) return;
    const line = `[${LOG_LEVEL_NAMES[level] ?? level}] ${msg}`;
    this.logs.push(line);
    if (this.logs.length > 10000) this.logs.splice(0, this.logs.length - 10000);
    this.logSink(level, line);
  }

  /** Envoy Context::log: "wasm log{prefix}: {message}" */
  private wasmLog(ctx: StreamContext | null, level: number, message: string) {
    let prefix = '';
    if (ctx && !ctx.isRoot && this.pluginName) prefix += ' ' + this.pluginName;
    if (this.rootIdName) prefix += ' ' + this.rootIdName;
    if (this.vmId) prefix += ' ' + this.vmId;
    this.envoyLog(level, `wasm log${prefix}: ${message}`);
  }

  private unimplemented(name: string) {
    this.envoyLog(LogLevel.error, `[host] ${name} was called but is not meaningfully implemented by this test host (network filter); returning what Envoy returns without HTTP/gRPC state`);
  }

  private fail(state: FailState, message: string) {
    // proxy-wasm WasmBase::fail -> Envoy Wasm::error: "Wasm VM failed {message}"
    this.envoyLog(LogLevel.error, `Wasm VM failed ${message}`);
    if (this.failed === null) {
      this.failed = state;
      this.failMessage = message;
    }
    if (state === 'RuntimeError') this.runtimeErrors.inc();
  }

  // ------------------------------------------------------------------ loading
  private async load(code: Buffer) {
    let info;
    try {
      info = parseModule(code);
    } catch (e) {
      throw new HostStartError(`Failed to parse corrupted Wasm module: ${(e as Error).message}`);
    }
    const exportNames = new Set(info.exports.map((e) => e.name));
    // proxy-wasm-cpp-host src/bytecode_util.cc getAbiVersion
    if (exportNames.has('proxy_abi_version_0_2_1')) this.abi = '0_2_1';
    else if (exportNames.has('proxy_abi_version_0_2_0')) this.abi = '0_2_0';
    else if (exportNames.has('proxy_abi_version_0_1_0'))
      throw new HostStartError('Wasm module uses Proxy-Wasm ABI 0.1.0, which this host does not support');
    else throw new HostStartError('Missing or unknown Proxy-Wasm ABI version');

    const hostFns = this.hostFunctions();
    // V8::link: every function import must be registered with an equal signature.
    const problems: string[] = [];
    const importObject: Record<string, Record<string, unknown>> = {};
    for (const imp of info.imports) {
      if (imp.kind === 'func') {
        const key = `${imp.module}.${imp.name}`;
        const reg = this.registered(imp.module, imp.name);
        if (!reg) {
          problems.push(`missing import: ${key} ${sigToString(imp.type)}`);
          continue;
        }
        const want: FuncType = { params: reg[0], results: reg[1] };
        if (!imp.type || !sameSig(imp.type, want)) {
          problems.push(`import type mismatch: ${key}, want: ${sigToString(imp.type)}, but host exports: ${sigToString(want)}`);
          continue;
        }
        (importObject[imp.module] ??= {})[imp.name] = this.wrapHost(key, hostFns[key]);
      } else if (imp.kind === 'memory') {
        problems.push(`imported memory ${imp.module}.${imp.name} is not supported by this host`);
      } else if (imp.kind === 'global' || imp.kind === 'tag') {
        problems.push(`missing import: ${imp.module}.${imp.name}`);
      } else {
        (importObject[imp.module] ??= {})[imp.name] = new WebAssembly.Table({ initial: 0, element: 'anyfunc' });
      }
    }
    if (problems.length) {
      throw new HostStartError(
        `Failed to load Wasm module due to ${problems.length} unresolvable import(s):\n  ` + problems.join('\n  '),
      );
    }
    for (const e of info.exports) {
      const want = MODULE_SIGS[e.name];
      if (want && e.kind === 'func' && e.type && !sameSig(e.type, { params: want[0], results: want[1] })) {
        throw new HostStartError(`Bad function signature for: ${e.name} ${sigToString(e.type)}`);
      }
    }
    let mod: WebAssembly.Module;
    try {
      mod = await WebAssembly.compile(new Uint8Array(code));
      this.instance = await WebAssembly.instantiate(mod, importObject as WebAssembly.Imports);
    } catch (e) {
      throw new HostStartError(`Failed to load Wasm bytecode: ${(e as Error).message}`);
    }
    const exps = this.instance.exports as Record<string, unknown>;
    const mem = Object.values(exps).find((v) => v instanceof WebAssembly.Memory) as WebAssembly.Memory | undefined;
    if (!mem) throw new HostStartError('Wasm module exports no memory');
    this.memory = (exps.memory as WebAssembly.Memory) ?? mem;
    for (const [k, v] of Object.entries(exps)) if (typeof v === 'function') this.exportsFns[k] = v as never;
    if (!this.exportsFns.malloc && this.exportsFns.proxy_on_memory_allocate) {
      this.exportsFns.malloc = this.exportsFns.proxy_on_memory_allocate;
    }
    if (!this.exportsFns.malloc) throw new HostStartError('Wasm module is missing malloc function.');

    // root context (id 1; 0 is the VM context)
    this.root = new StreamContext(this, this.allocContextId(), 0, null, true);
    this.contexts.set(this.root.id, this.root);

    // WasmBase::startVm
    this.restricted = START_ALLOWED;
    try {
      if (this.exportsFns._initialize) {
        this.invoke(this.root, '_initialize');
        if (this.exportsFns.main) this.invoke(this.root, 'main', 0, 0);
        else if (this.exportsFns.__main_void) this.invoke(this.root, '__main_void');
      } else if (this.exportsFns._start) {
        this.invoke(this.root, '_start');
      }
    } finally {
      this.restricted = null;
    }
    if (this.failed) throw new HostStartError(`Failed to initialize Wasm code: ${this.failMessage}`);

    // ContextBase::onStart
    this.tempPlugin = true;
    this.callVoid(this.root, 'proxy_on_context_create', this.root.id, 0);
    this.root.inVmContextCreated = true;
    this.tempPlugin = false;
    let ok = true;
    if (this.exportsFns.proxy_on_vm_start) {
      ok = (this.callNum(this.root, 'proxy_on_vm_start', this.root.id, this.vmConfig.length) ?? 0) !== 0;
    }
    if (this.failed) throw new HostStartError(`Failed to start base Wasm: ${this.failMessage}`);
    if (!ok) throw new HostStartError('Failed to start base Wasm (proxy_on_vm_start returned false)');
    // ContextBase::onConfigure
    this.tempPlugin = true;
    ok = true;
    if (this.exportsFns.proxy_on_configure) {
      ok = (this.callNum(this.root, 'proxy_on_configure', this.root.id, this.pluginConfig.length) ?? 0) !== 0;
    }
    this.tempPlugin = false;
    if (this.failed) throw new HostStartError(`Failed to configure base Wasm plugin: ${this.failMessage}`);
    if (!ok) throw new HostStartError('Failed to configure base Wasm plugin (proxy_on_configure returned false)');
  }

  private registered(module: string, name: string): Sig | null {
    if (module === 'env') {
      const s = ENV_SIGS[name];
      if (!s) return null;
      if (name === 'proxy_get_log_level' && this.abi !== '0_2_1') return null;
      return s;
    }
    if (module === 'wasi_snapshot_preview1' || module === 'wasi_unstable') return WASI_SIGS[name] ?? null;
    return null;
  }

  allocContextId(): number {
    while (this.contexts.has(this.nextContextId)) this.nextContextId++;
    return this.nextContextId++;
  }

  // ------------------------------------------------------------------ calls into the VM
  private invoke(ctx: StreamContext, fn: string, ...args: number[]): unknown {
    const f = this.exportsFns[fn];
    if (!f) return undefined;
    const savedCur = this.current;
    const savedEff = this.effectiveId;
    this.current = ctx;
    this.effectiveId = 0;
    try {
      return f(...args);
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      this.fail('RuntimeError', `Function: ${fn} failed: ${msg}`);
      return undefined;
    } finally {
      this.current = savedCur;
      this.effectiveId = savedEff;
    }
  }

  /** A ContextBase call with DeferAfterCallActions. */
  callNum(ctx: StreamContext, fn: string, ...args: number[]): number | undefined {
    if (this.failed) return undefined;
    const r = this.invoke(ctx, fn, ...args);
    this.runAfterCall();
    if (r === undefined) return undefined;
    return Number(r) >>> 0;
  }

  callVoid(ctx: StreamContext, fn: string, ...args: number[]): void {
    if (this.failed) return;
    this.invoke(ctx, fn, ...args);
    this.runAfterCall();
  }

  private runAfterCall() {
    if (this.current !== null) return; // nested: the outer call drains
    while (this.afterCall.length) this.afterCall.shift()!();
  }

  /** New stream context for a TCP connection, or null for fail-open after failure (no filter). */
  newConnectionContext(conn: ConnectionCallbacks): StreamContext | null {
    if (this.failed || this.closed) {
      // Envoy PluginConfig::createContext: FAIL_OPEN -> no filter; FAIL_CLOSED -> empty Context.
      if (this.failOpen) return null;
      return new StreamContext(this, 0, this.root.id, conn, false);
    }
    const ctx = new StreamContext(this, this.allocContextId(), this.root.id, conn, true);
    this.contexts.set(ctx.id, ctx);
    return ctx;
  }

  /** Shutdown of the root context (WasmBase::startShutdown + proxy_done handling). */
  shutdown() {
    if (this.closed) return;
    this.closed = true;
    if (this.tickTimer) clearTimeout(this.tickTimer);
    this.tickTimer = null;
    if (this.failed) return;
    const r = this.exportsFns.proxy_on_done ? this.callNum(this.root, 'proxy_on_done', this.root.id) : 1;
    if (r === undefined || r !== 0) {
      this.callVoid(this.root, 'proxy_on_delete', this.root.id);
    } else {
      this.pendingDone = true; // waits for proxy_done()
    }
  }

  // ------------------------------------------------------------------ memory helpers
  private u8(): Uint8Array {
    return new Uint8Array(this.memory.buffer);
  }
  private getMemory(ptr: number, size: number): Buffer | null {
    ptr >>>= 0;
    size >>>= 0;
    const m = this.u8();
    if (ptr + size > m.length) return null;
    return Buffer.from(m.subarray(ptr, ptr + size));
  }
  private setMemory(ptr: number, data: Uint8Array): boolean {
    ptr >>>= 0;
    const m = this.u8();
    if (ptr + data.length > m.length) return false;
    m.set(data, ptr);
    return true;
  }
  private setWord(ptr: number, v: number): boolean {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v >>> 0);
    return this.setMemory(ptr, b);
  }
  private setU64(ptr: number, v: bigint): boolean {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt.asUintN(64, v));
    return this.setMemory(ptr, b);
  }
  private allocMemory(size: number): number | null {
    const saved = this.restricted;
    this.restricted = MALLOC_ALLOWED;
    let a: number;
    try {
      a = Number(this.exportsFns.malloc(size)) >>> 0;
    } finally {
      this.restricted = saved;
    }
    if (!a) return null;
    if (a + size > this.u8().length) return null;
    return a;
  }
  private copyToPointerSize(data: Uint8Array, ptrPtr: number, sizePtr: number): boolean {
    let p = 0;
    if (data.length > 0) {
      const a = this.allocMemory(data.length);
      if (a === null) return false;
      this.setMemory(a, data);
      p = a;
    }
    return this.setWord(ptrPtr, p) && this.setWord(sizePtr, data.length);
  }

  // ------------------------------------------------------------------ host calls
  private ctx(): StreamContext {
    const cur = this.current ?? this.root;
    if (this.effectiveId !== 0) {
      const e = this.contexts.get(this.effectiveId);
      if (e) return e;
    }
    return cur;
  }

  private wrapHost(key: string, fn: ((...a: never[]) => unknown) | undefined) {
    if (!fn) {
      return () => {
        throw new TrapError(`host function ${key} has no implementation`);
      };
    }
    return (...args: never[]) => {
      if (this.restricted && !this.restricted.has(key)) {
        this.envoyLog(LogLevel.error, `Wasm VM: restricted_callback: ${key} is not allowed at this point`);
        throw new TrapError('restricted_callback');
      }
      return fn(...args);
    };
  }

  private hostFunctions(): Record<string, (...a: never[]) => unknown> {
    const R = WasmResult;
    const fns: Record<string, (...a: any[]) => unknown> = {};
    const env = (name: string, f: (...a: any[]) => unknown) => (fns[`env.${name}`] = f);

    env('proxy_log', (level: number, ptr: number, size: number) => {
      if (level >>> 0 > LogLevel.critical) return R.BadArgument;
      const m = this.getMemory(ptr, size);
      if (!m) return R.InvalidMemoryAccess;
      this.wasmLog(this.ctx(), level, m.toString('utf8'));
      return R.Ok;
    });
    env('proxy_get_log_level', (ptr: number) => (this.setWord(ptr, this.logLevel) ? R.Ok : R.InvalidMemoryAccess));
    env('proxy_get_status', (codePtr: number, ptrPtr: number, sizePtr: number) => {
      if (!this.setWord(codePtr, 0)) return R.InvalidMemoryAccess;
      return this.copyToPointerSize(Buffer.alloc(0), ptrPtr, sizePtr) ? R.Ok : R.InvalidMemoryAccess;
    });
    env('proxy_get_property', (pathPtr: number, pathSize: number, ptrPtr: number, sizePtr: number) => {
      const path = this.getMemory(pathPtr, pathSize);
      if (!path) return R.InvalidMemoryAccess;
      const r = this.getProperty(this.ctx(), path);
      if (typeof r === 'number') return r;
      return this.copyToPointerSize(r, ptrPtr, sizePtr) ? R.Ok : R.InvalidMemoryAccess;
    });
    env('proxy_set_property', (kp: number, ks: number, vp: number, vs: number) => {
      const k = this.getMemory(kp, ks);
      const v = this.getMemory(vp, vs);
      if (!k || !v) return R.InvalidMemoryAccess;
      const c = this.ctx();
      if (!c.conn) return R.NotFound; // no stream info on root contexts
      c.filterState.set(k.toString('latin1'), v);
      return R.Ok;
    });
    env('proxy_get_buffer_status', (type: number, lenPtr: number, flagsPtr: number) => {
      if (type >>> 0 > BufferType.MAX) return R.BadArgument;
      const b = this.ctx().getBuffer(type);
      if (!b) return R.NotFound;
      if (!this.setWord(lenPtr, b.size())) return R.InvalidMemoryAccess;
      return this.setWord(flagsPtr, 0) ? R.Ok : R.InvalidMemoryAccess;
    });
    // proxy-wasm-cpp-host src/exports.cc get_buffer_bytes
    env('proxy_get_buffer_bytes', (type: number, start: number, length: number, ptrPtr: number, sizePtr: number) => {
      if (type >>> 0 > BufferType.MAX) return R.BadArgument;
      const b = this.ctx().getBuffer(type);
      if (!b) return R.NotFound;
      start >>>= 0;
      length >>>= 0;
      const size = b.size();
      if (start > size) length = 0;
      else if (start + length > size) length = size - start;
      if (length === 0) return this.setWord(ptrPtr, 0) && this.setWord(sizePtr, 0) ? R.Ok : R.InvalidMemoryAccess;
      return this.copyToPointerSize(b.bytes().subarray(start, start + length), ptrPtr, sizePtr)
        ? R.Ok
        : R.InvalidMemoryAccess;
    });
    env('proxy_set_buffer_bytes', (type: number, start: number, length: number, dp: number, ds: number) => {
      if (type >>> 0 > BufferType.MAX) return R.BadArgument;
      const b = this.ctx().getBuffer(type);
      if (!b) return R.NotFound;
      const d = this.getMemory(dp, ds);
      if (!d) return R.InvalidMemoryAccess;
      return b.copyFrom(start >>> 0, length >>> 0, d);
    });
    env('proxy_continue_stream', (type: number) => {
      if (type >>> 0 > StreamType.MAX) return R.BadArgument;
      const c = this.ctx();
      // Envoy Context::continueStream
      switch (type) {
        case StreamType.Downstream:
          if (c.conn) this.afterCall.push(() => c.conn!.continueReading());
          return R.Ok;
        case StreamType.Upstream:
          return R.Unimplemented;
        default:
          return R.Ok; // Request/Response: no HTTP callbacks on a network filter
      }
    });
    env('proxy_close_stream', (type: number) => {
      if (type >>> 0 > StreamType.MAX) return R.BadArgument;
      const c = this.ctx();
      // Envoy Context::closeStream: both Downstream and Upstream close the downstream connection
      if (type === StreamType.Downstream && c.conn) {
        this.afterCall.push(() => c.conn!.closeDownstream('wasm_downstream_close'));
      } else if (type === StreamType.Upstream && c.conn) {
        this.afterCall.push(() => c.conn!.closeDownstream('wasm_upstream_close'));
      }
      return R.Ok;
    });
    env('proxy_get_current_time_nanoseconds', (ptr: number) =>
      this.setU64(ptr, nowNanos()) ? R.Ok : R.InvalidMemoryAccess);
    env('proxy_set_tick_period_milliseconds', (ms: number) => {
      this.setTickPeriod(ms >>> 0);
      return R.Ok;
    });
    env('proxy_set_effective_context', (id: number) => {
      id >>>= 0;
      if (!this.contexts.has(id)) return R.BadArgument;
      this.effectiveId = id;
      return R.Ok;
    });
    env('proxy_done', () => {
      if (!this.pendingDone) return R.NotFound;
      this.pendingDone = false;
      this.afterCall.push(() => this.callVoid(this.root, 'proxy_on_delete', this.root.id));
      return R.Ok;
    });
    // Shared data (proxy-wasm-cpp-host src/shared_data.cc)
    env('proxy_get_shared_data', (kp: number, ks: number, ptrPtr: number, sizePtr: number, casPtr: number) => {
      const k = this.getMemory(kp, ks);
      if (!k) return R.InvalidMemoryAccess;
      const e = sharedData.get(this.vmId)?.get(k.toString('latin1'));
      if (!e) return R.NotFound;
      if (!this.copyToPointerSize(e.value, ptrPtr, sizePtr)) return R.InvalidMemoryAccess;
      return this.setWord(casPtr, e.cas) ? R.Ok : R.InvalidMemoryAccess;
    });
    env('proxy_set_shared_data', (kp: number, ks: number, vp: number, vs: number, cas: number) => {
      const k = this.getMemory(kp, ks);
      const v = this.getMemory(vp, vs);
      if (!k || !v) return R.InvalidMemoryAccess;
      let m = sharedData.get(this.vmId);
      if (!m) sharedData.set(this.vmId, (m = new Map()));
      const key = k.toString('latin1');
      const e = m.get(key);
      cas >>>= 0;
      if (e && cas !== 0 && cas !== e.cas) return R.CasMismatch;
      m.set(key, { value: v, cas: nextCas() });
      return R.Ok;
    });
    // Shared queues (src/shared_queue.cc)
    env('proxy_register_shared_queue', (np: number, ns: number, tokenPtr: number) => {
      const name = this.getMemory(np, ns);
      if (!name) return R.InvalidMemoryAccess;
      const key = `${this.vmId}\u0000${name.toString('latin1')}`;
      const c = this.ctx();
      const contextId = c.isRoot ? c.id : c.rootId;
      let token = queueByName.get(key);
      if (token === undefined) {
        token = nextQueueToken++;
        queueByName.set(key, token);
        queues.set(token, { vmId: this.vmId, name: name.toString('latin1'), contextId, host: this, items: [] });
      } else {
        const q = queues.get(token)!;
        q.contextId = contextId;
        q.host = this;
      }
      return this.setWord(tokenPtr, token) ? R.Ok : R.InvalidMemoryAccess;
    });
    env('proxy_resolve_shared_queue', (vp: number, vs: number, np: number, ns: number, tokenPtr: number) => {
      const vm = this.getMemory(vp, vs);
      const name = this.getMemory(np, ns);
      if (!vm || !name) return R.InvalidMemoryAccess;
      const vmId = vm.length ? vm.toString('latin1') : this.vmId;
      const token = queueByName.get(`${vmId}\u0000${name.toString('latin1')}`);
      if (token === undefined || this.failed) return R.NotFound;
      return this.setWord(tokenPtr, token) ? R.Ok : R.InvalidMemoryAccess;
    });
    env('proxy_enqueue_shared_queue', (token: number, dp: number, ds: number) => {
      const d = this.getMemory(dp, ds);
      if (!d) return R.InvalidMemoryAccess;
      const q = queues.get(token >>> 0);
      if (!q) return R.NotFound;
      q.items.push(d);
      setImmediate(() => {
        const root = q.host.contexts.get(q.contextId);
        if (root) q.host.callVoid(root, 'proxy_on_queue_ready', root.id, token >>> 0);
      });
      return R.Ok;
    });
    env('proxy_dequeue_shared_queue', (token: number, ptrPtr: number, sizePtr: number) => {
      const q = queues.get(token >>> 0);
      if (!q) return R.NotFound;
      const d = q.items.shift();
      if (!d) return R.Empty;
      return this.copyToPointerSize(d, ptrPtr, sizePtr) ? R.Ok : R.InvalidMemoryAccess;
    });
    // Metrics (Envoy Context::defineMetric / incrementMetric / recordMetric / getMetric)
    env('proxy_define_metric', (type: number, np: number, ns: number, idPtr: number) => {
      const name = this.getMemory(np, ns);
      if (!name) return R.InvalidMemoryAccess;
      type >>>= 0;
      if (type > MetricType.Max) return R.BadArgument;
      const full = `${CUSTOM_STAT_NAMESPACE}.${name.toString('utf8')}`;
      const id = (this.nextMetric[type] += 4);
      if (type === MetricType.Counter) this.counters.set(id, this.stats.counter(full));
      else if (type === MetricType.Gauge) this.gauges.set(id, this.stats.gauge(full));
      else this.histograms.set(id, this.stats.histogram(full));
      return this.setWord(idPtr, id) ? R.Ok : R.InvalidMemoryAccess;
    });
    env('proxy_increment_metric', (id: number, offset: bigint) => {
      id >>>= 0;
      const t = id & 3;
      if (t === MetricType.Counter) {
        const c = this.counters.get(id);
        if (!c) return R.NotFound;
        if (offset > 0n) {
          c.add(offset);
          return R.Ok;
        }
        return R.BadArgument;
      } else if (t === MetricType.Gauge) {
        const g = this.gauges.get(id);
        if (!g) return R.NotFound;
        if (offset > 0n) g.add(offset);
        else g.sub(-offset);
        return R.Ok;
      }
      return R.BadArgument;
    });
    env('proxy_record_metric', (id: number, value: bigint) => {
      id >>>= 0;
      const v = BigInt.asUintN(64, value);
      const t = id & 3;
      if (t === MetricType.Counter) {
        const c = this.counters.get(id);
        if (c) return c.add(v), R.Ok;
      } else if (t === MetricType.Gauge) {
        const g = this.gauges.get(id);
        if (g) return g.set(v), R.Ok;
      } else if (t === MetricType.Histogram) {
        const h = this.histograms.get(id);
        if (h) return h.record(Number(v)), R.Ok;
      }
      return R.NotFound;
    });
    env('proxy_get_metric', (id: number, ptr: number) => {
      id >>>= 0;
      const t = id & 3;
      let v: bigint | undefined;
      if (t === MetricType.Counter) {
        const c = this.counters.get(id);
        if (!c) return R.NotFound;
        v = c.value;
      } else if (t === MetricType.Gauge) {
        const g = this.gauges.get(id);
        if (!g) return R.NotFound;
        v = g.value;
      } else return R.BadArgument;
      return this.setU64(ptr, v) ? R.Ok : R.InvalidMemoryAccess;
    });
    env('proxy_call_foreign_function', (np: number, ns: number) => {
      const name = this.getMemory(np, ns);
      this.envoyLog(LogLevel.error, `[host] proxy_call_foreign_function("${name?.toString() ?? '?'}"): no foreign functions are registered in this host`);
      return R.NotFound;
    });
    // HTTP / gRPC host calls: registered (Envoy registers them for every plugin) but there is no
    // HTTP stream or cluster on a TCP proxy; they log loudly and return Envoy's answer for that case.
    const loud = (name: string, ret: number | ((...a: any[]) => number)) =>
      env(name, (...a: any[]) => {
        this.unimplemented(name);
        return typeof ret === 'function' ? ret(...a) : ret;
      });
    loud('proxy_send_local_response', R.Ok);
    loud('proxy_get_header_map_value', R.BadArgument);
    loud('proxy_add_header_map_value', R.BadArgument);
    loud('proxy_replace_header_map_value', R.BadArgument);
    loud('proxy_remove_header_map_value', R.BadArgument);
    loud('proxy_get_header_map_pairs', (_t: number, pp: number, sp: number) =>
      this.copyToPointerSize(Buffer.alloc(0), pp, sp) ? R.Ok : R.InvalidMemoryAccess);
    loud('proxy_set_header_map_pairs', R.BadArgument);
    loud('proxy_get_header_map_size', R.BadArgument);
    loud('proxy_http_call', R.BadArgument);
    loud('proxy_grpc_call', R.ParseFailure);
    loud('proxy_grpc_stream', R.ParseFailure);
    loud('proxy_grpc_close', R.BadArgument);
    loud('proxy_grpc_cancel', R.BadArgument);
    loud('proxy_grpc_send', R.BadArgument);
    loud('envoy_resolve_dns', (_a: number, _s: number, tokenPtr: number) =>
      this.setWord(tokenPtr, 1) ? R.Ok : R.InvalidMemoryAccess);
    env('pthread_equal', (a: number, b: number) => (a === b ? 1 : 0));
    env('emscripten_notify_memory_growth', () => undefined);

    // ---- WASI (proxy-wasm-cpp-host src/exports.cc wasi_unstable_*), both module names
    const wasi: Record<string, (...a: any[]) => unknown> = {};
    wasi.fd_write = (fd: number, iovs: number, iovsLen: number, nwPtr: number) => {
      const r = this.writev(fd, iovs, iovsLen);
      if (typeof r !== 'object') return r;
      return this.setWord(nwPtr, r.written) ? WASI.ESUCCESS : WASI.EFAULT;
    };
    wasi.fd_pwrite = (fd: number, iovs: number, iovsLen: number, _off: bigint, nwPtr: number) => {
      if (fd !== 1 && fd !== 2) return WASI.EBADF;
      return wasi.fd_write(fd, iovs, iovsLen, nwPtr);
    };
    wasi.fd_read = () => WASI.ENOSYS;
    wasi.fd_seek = () => {
      this.envoyLog(LogLevel.trace, 'wasi_unstable fd_seek');
      return 0;
    };
    wasi.fd_close = () => {
      this.envoyLog(LogLevel.trace, 'wasi_unstable fd_close');
      return 0;
    };
    wasi.fd_fdstat_get = (fd: number, out: number) => {
      if (fd !== 1 && fd !== 2) return WASI.EBADF;
      const b = Buffer.alloc(24);
      b.writeBigUInt64LE(64n, 8);
      this.setMemory(out, b);
      return WASI.ESUCCESS;
    };
    wasi.fd_fdstat_set_flags = () => WASI.ENOSYS;
    const stdOnly = (fd: number) => (fd !== 1 && fd !== 2 ? WASI.EBADF : WASI.ESUCCESS);
    wasi.fd_fdstat_set_rights = stdOnly;
    wasi.fd_allocate = stdOnly;
    wasi.fd_datasync = stdOnly;
    wasi.fd_filestat_set_size = stdOnly;
    wasi.fd_filestat_set_times = stdOnly;
    wasi.fd_sync = stdOnly;
    wasi.fd_advise = () => WASI.ESUCCESS;
    wasi.fd_pread = () => WASI.ENOSYS;
    wasi.fd_readdir = (_fd: number, _b: number, _l: number, _c: bigint, nr: number) =>
      this.setWord(nr, 0) ? WASI.ENOTDIR : WASI.EFAULT;
    wasi.fd_renumber = (fd: number, to: number) =>
      (fd !== 1 && fd !== 2) || (to !== 1 && to !== 2) ? WASI.EBADF : WASI.ENOTSUP;
    wasi.fd_tell = (fd: number, ptr: number) => {
      if (fd !== 1 && fd !== 2) return WASI.EBADF;
      return this.setU64(ptr, 0n) ? WASI.ESUCCESS : WASI.EFAULT;
    };
    wasi.fd_prestat_get = () => WASI.EBADF;
    wasi.fd_prestat_dir_name = () => WASI.ENOSYS;
    wasi.fd_filestat_get = () => WASI.EBADF;
    wasi.path_open = () => WASI.NOENT;
    wasi.path_filestat_get = () => WASI.ENOTSUP;
    wasi.path_create_directory = () => WASI.ENOTSUP;
    wasi.path_filestat_set_times = () => WASI.ENOTSUP;
    wasi.path_link = () => WASI.ENOTSUP;
    wasi.path_readlink = (_fd: number, _p: number, _pl: number, _b: number, _bl: number, r0: number) =>
      this.setWord(r0, 0) ? WASI.ENOTSUP : WASI.EFAULT;
    wasi.path_remove_directory = () => WASI.ENOTSUP;
    wasi.path_rename = () => WASI.ENOTSUP;
    wasi.path_symlink = () => WASI.ENOTSUP;
    wasi.path_unlink_file = () => WASI.ENOTSUP;
    wasi.sock_accept = (_fd: number, _f: number, r0: number) => (this.setU64(r0, 0n) ? WASI.ENOTSUP : WASI.EFAULT);
    wasi.sock_recv = (_fd: number, _d: number, _l: number, _f: number, r0: number, r1: number) =>
      this.setWord(r0, 0) && this.setMemory(r1, Buffer.alloc(2)) ? WASI.ENOTSUP : WASI.EFAULT;
    wasi.sock_send = (_fd: number, _d: number, _l: number, _f: number, r0: number) =>
      this.setWord(r0, 0) ? WASI.ENOTSUP : WASI.EFAULT;
    wasi.sock_shutdown = () => WASI.ENOTSUP;
    wasi.environ_sizes_get = (countPtr: number, bufSizePtr: number) => {
      const es = Object.entries(this.env);
      const size = es.reduce((s, [k, v]) => s + Buffer.byteLength(k) + Buffer.byteLength(v) + 2, 0);
      return this.setWord(countPtr, es.length) && this.setWord(bufSizePtr, size) ? WASI.ESUCCESS : WASI.EFAULT;
    };
    wasi.environ_get = (arrPtr: number, buf: number) => {
      for (const [k, v] of Object.entries(this.env)) {
        if (!this.setWord(arrPtr, buf)) return WASI.EFAULT;
        const d = Buffer.from(`${k}=${v}\0`);
        if (!this.setMemory(buf, d)) return WASI.EFAULT;
        arrPtr += 4;
        buf += d.length;
      }
      return WASI.ESUCCESS;
    };
    wasi.args_get = () => WASI.ESUCCESS;
    wasi.args_sizes_get = (a: number, b: number) => (this.setWord(a, 0) && this.setWord(b, 0) ? WASI.ESUCCESS : WASI.EFAULT);
    wasi.clock_time_get = (id: number, _prec: bigint, ptr: number) => {
      let v: bigint;
      if (id === 0) v = nowNanos();
      else if (id === 1) v = process.hrtime.bigint();
      else return WASI.ENOTSUP;
      return this.setU64(ptr, v) ? WASI.ESUCCESS : WASI.EFAULT;
    };
    wasi.clock_res_get = (id: number, ptr: number) => {
      if (id !== 0 && id !== 1) return WASI.ENOTSUP;
      return this.setU64(ptr, 1n) ? WASI.ESUCCESS : WASI.EFAULT;
    };
    wasi.random_get = (ptr: number, len: number) => {
      len >>>= 0;
      if (len > RANDOM_GET_MAX) return WASI.EINVAL;
      if (len === 0) return WASI.ESUCCESS;
      const b = Buffer.alloc(len);
      randomFillSync(b);
      return this.setMemory(ptr, b) ? WASI.ESUCCESS : WASI.EFAULT;
    };
    wasi.sched_yield = () => WASI.ESUCCESS;
    wasi.poll_oneoff = (_in: number, _out: number, _n: number, nevPtr: number) =>
      this.setWord(nevPtr, 0) ? WASI.ESUCCESS : WASI.EFAULT;
    // Envoy only logs proc_exit (context->error -> trace); the module's own `unreachable`
    // right after it is what traps. Logged at error here so it is visible.
    wasi.proc_exit = (code: number) => {
      this.envoyLog(LogLevel.error, `wasi_unstable proc_exit(${code})`);
    };
    for (const [k, f] of Object.entries(wasi)) {
      fns[`wasi_snapshot_preview1.${k}`] = f;
      fns[`wasi_unstable.${k}`] = f;
    }
    return fns as Record<string, (...a: never[]) => unknown>;
  }

  private writev(fd: number, iovs: number, iovsLen: number): number | { written: number } {
    let level: number;
    if (fd === 1) level = LogLevel.info;
    else if (fd === 2) level = LogLevel.error;
    else return WASI.EBADF;
    const parts: Buffer[] = [];
    for (let k = 0; k < iovsLen >>> 0; k++) {
      const iov = this.getMemory(iovs + k * 8, 8);
      if (!iov) return WASI.EFAULT;
      const len = iov.readUInt32LE(4);
      if (len !== 0) {
        const d = this.getMemory(iov.readUInt32LE(0), len);
        if (!d) return WASI.EFAULT;
        parts.push(d);
      }
    }
    let s = Buffer.concat(parts).toString('utf8');
    const written = Buffer.concat(parts).length;
    if (written !== 0) {
      if (s.endsWith('\n')) s = s.slice(0, -1);
      this.wasmLog(this.ctx(), level, s);
    }
    return { written };
  }

  private setTickPeriod(ms: number) {
    // Envoy Wasm::setTimerPeriod / tickHandler: a one-shot timer re-armed after each tick.
    if (this.tickTimer) clearTimeout(this.tickTimer);
    this.tickTimer = null;
    this.tickPeriod = ms;
    if (ms > 0 && !this.closed) this.armTick();
  }
  private armTick() {
    this.tickTimer = setTimeout(() => {
      this.tickTimer = null;
      if (this.closed) return;
      if (this.exportsFns.proxy_on_tick && !this.failed) this.callVoid(this.root, 'proxy_on_tick', this.root.id);
      if (this.tickPeriod > 0 && !this.tickTimer && !this.closed) this.armTick();
    }, this.tickPeriod);
    this.tickTimer.unref?.();
  }

  // ------------------------------------------------------------------ properties
  /** Envoy Context::getProperty: path parts separated by \0; values serialized like CEL values. */
  private getProperty(ctx: StreamContext, path: Buffer): Buffer | number {
    const parts: string[] = [];
    let start = 0;
    while (start < path.length) {
      let end = path.indexOf(0, start);
      if (end === -1) end = path.length;
      parts.push(path.subarray(start, end).toString('latin1'));
      start = end + 1;
    }
    if (parts.length === 0) return WasmResult.NotFound;
    const info = ctx.conn?.info();
    const joined = parts.join('.');
    const str = (s: string | undefined) => (s === undefined ? WasmResult.NotFound : Buffer.from(s, 'utf8'));
    const i64 = (v: number | undefined) => {
      if (v === undefined) return WasmResult.NotFound;
      const b = Buffer.alloc(8);
      b.writeBigInt64LE(BigInt(v));
      return b;
    };
    const u64 = (v: number | undefined) => {
      if (v === undefined) return WasmResult.NotFound;
      const b = Buffer.alloc(8);
      b.writeBigUInt64LE(BigInt(v));
      return b;
    };
    switch (parts[0]) {
      case 'plugin_name':
        return parts.length === 1 ? str(this.pluginName) : WasmResult.NotFound;
      case 'plugin_root_id':
        return parts.length === 1 ? str(this.rootIdName) : WasmResult.NotFound;
      case 'plugin_vm_id':
        return parts.length === 1 ? str(this.vmId) : WasmResult.NotFound;
      case 'connection_id':
        return parts.length === 1 ? u64(info?.connectionId) : WasmResult.NotFound;
      case 'listener_direction':
        return parts.length === 1 ? i64(this.listenerDirection) : WasmResult.NotFound;
      case 'node':
        return this.nodeProperty(parts.slice(1));
    }
    if (info) {
      switch (joined) {
        case 'source.address':
          return str(`${info.sourceAddress}:${info.sourcePort}`);
        case 'source.port':
          return i64(info.sourcePort);
        case 'destination.address':
          return str(`${info.destinationAddress}:${info.destinationPort}`);
        case 'destination.port':
          return i64(info.destinationPort);
        case 'connection.id':
          return u64(info.connectionId);
        case 'connection.mtls':
          return Buffer.from([0]);
        case 'upstream.address':
          return info.upstreamAddress ? str(`${info.upstreamAddress}:${info.upstreamPort}`) : WasmResult.NotFound;
        case 'upstream.port':
          return info.upstreamPort !== undefined ? i64(info.upstreamPort) : WasmResult.NotFound;
      }
      // filter state written by proxy_set_property ("wasm." prefix, bytes prototype)
      const fs = ctx.filterState.get(parts[0]);
      if (fs && parts.length === 1) return fs;
    }
    return WasmResult.NotFound;
  }

  private nodeProperty(rest: string[]): Buffer | number {
    const node = this.node;
    if (rest.length === 0) return encodeNode(node);
    const field = rest[0];
    if (field === 'id') return rest.length === 1 ? Buffer.from(node.id ?? '') : WasmResult.NotFound;
    if (field === 'cluster') return rest.length === 1 ? Buffer.from(node.cluster ?? '') : WasmResult.NotFound;
    if (field === 'metadata') {
      let v: unknown = node.metadata ?? {};
      for (const k of rest.slice(1)) {
        if (v && typeof v === 'object' && !Array.isArray(v) && k in (v as object)) v = (v as Record<string, unknown>)[k];
        else if (Array.isArray(v) && /^\d+$/.test(k) && Number(k) < v.length) v = v[Number(k)];
        else return WasmResult.NotFound;
      }
      return serializeJsonValue(v);
    }
    return WasmResult.NotFound;
  }
}

function nowNanos(): bigint {
  return BigInt(Date.now()) * 1_000_000n + (process.hrtime.bigint() % 1_000_000n);
}

function toBuf(v: Uint8Array | string | undefined): Buffer {
  if (v === undefined) return Buffer.alloc(0);
  return typeof v === 'string' ? Buffer.from(v, 'utf8') : Buffer.from(v);
}

/** Proxy-Wasm pairs encoding (proxy-wasm-cpp-host src/pairs_util.cc marshalPairs). */
export function marshalPairs(pairs: Array<[Buffer, Buffer]>): Buffer {
  const head = Buffer.alloc(4 + pairs.length * 8);
  head.writeUInt32LE(pairs.length, 0);
  pairs.forEach(([k, v], idx) => {
    head.writeUInt32LE(k.length, 4 + idx * 8);
    head.writeUInt32LE(v.length, 8 + idx * 8);
  });
  const body: Buffer[] = [];
  for (const [k, v] of pairs) body.push(k, Buffer.from([0]), v, Buffer.from([0]));
  return Buffer.concat([head, ...body]);
}

/** google.protobuf.Value as a CEL value, serialized like Envoy serializeValue. */
function serializeJsonValue(v: unknown): Buffer | number {
  if (v === null || v === undefined) return WasmResult.SerializationFailure;
  if (typeof v === 'string') return Buffer.from(v, 'utf8');
  if (typeof v === 'number') {
    const b = Buffer.alloc(8);
    b.writeDoubleLE(v);
    return b;
  }
  if (typeof v === 'boolean') return Buffer.from([v ? 1 : 0]);
  if (Array.isArray(v)) {
    const ps: Array<[Buffer, Buffer]> = [];
    for (const x of v) {
      const s = serializeJsonValue(x);
      if (typeof s === 'number') return WasmResult.SerializationFailure;
      ps.push([s, Buffer.alloc(0)]);
    }
    return marshalPairs(ps);
  }
  const ps: Array<[Buffer, Buffer]> = [];
  for (const [k, x] of Object.entries(v as object)) {
    const s = serializeJsonValue(x);
    if (typeof s === 'number') return WasmResult.SerializationFailure;
    ps.push([Buffer.from(k), s]);
  }
  return marshalPairs(ps);
}

// --- minimal protobuf encoding of envoy.config.core.v3.Node {id=1, cluster=2, metadata=3}
function varint(n: number): Buffer {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return Buffer.from(out);
}
function ld(field: number, b: Buffer): Buffer {
  return Buffer.concat([varint((field << 3) | 2), varint(b.length), b]);
}
function pbValue(v: unknown): Buffer {
  if (v === null || v === undefined) return Buffer.concat([varint((1 << 3) | 0), varint(0)]);
  if (typeof v === 'number') {
    const d = Buffer.alloc(8);
    d.writeDoubleLE(v);
    return Buffer.concat([varint((2 << 3) | 1), d]);
  }
  if (typeof v === 'string') return ld(3, Buffer.from(v));
  if (typeof v === 'boolean') return Buffer.concat([varint((4 << 3) | 0), varint(v ? 1 : 0)]);
  if (Array.isArray(v)) return ld(6, Buffer.concat(v.map((x) => ld(1, pbValue(x)))));
  return ld(5, pbStruct(v as Record<string, unknown>));
}
function pbStruct(o: Record<string, unknown>): Buffer {
  return Buffer.concat(Object.entries(o).map(([k, v]) => ld(1, Buffer.concat([ld(1, Buffer.from(k)), ld(2, pbValue(v))]))));
}
function encodeNode(node: NonNullable<PluginOptions['node']>): Buffer {
  const parts: Buffer[] = [];
  if (node.id) parts.push(ld(1, Buffer.from(node.id)));
  if (node.cluster) parts.push(ld(2, Buffer.from(node.cluster)));
  if (node.metadata) parts.push(ld(3, pbStruct(node.metadata)));
  return Buffer.concat(parts);
}
