// The Proxy-Wasm VM of the host: loads one module as Envoy does (ABI detection, import linking
// with signature checks, start, root context configure), runs the calls into it with Envoy's
// failure handling, creates a StreamContext per TCP connection, and shuts it down.
// Envoy semantics are cited inline as <repo> <file> <function>; see tests/host/README.md.

import { readFileSync } from 'node:fs';
import { LOG_LEVEL_NAMES, LogLevel, type FailState } from './abi.ts';
import { MALLOC_ALLOWED, MODULE_SIGS, START_ALLOWED, registeredSignature } from './abi_signatures.ts';
import { bufferAndStreamCalls } from './host_calls/buffers_and_stream_control.ts';
import { httpGrpcStubCalls } from './host_calls/http_grpc_stubs.ts';
import { logTimePropertyCalls } from './host_calls/log_time_properties.ts';
import { metricCalls } from './host_calls/metrics.ts';
import { sharedDataAndQueueCalls } from './host_calls/shared_data_queues.ts';
import type { HostFn, HostFns } from './host_calls/types.ts';
import { wasiCalls } from './host_calls/wasi.ts';
import type { NodeInfo } from './properties.ts';
import { type Counter, StatsStore } from './stats.ts';
import { type ConnectionCallbacks, StreamContext } from './stream_context.ts';
import { VmMemory } from './vm_memory.ts';
import { type FuncType, parseModule, sameSig, sigToString } from './wasm_binary.ts';

/** The module or its configuration is one Envoy would refuse (the listener is rejected). */
export class HostStartError extends Error {}

/** A trap raised by the host itself (a restricted or unimplemented callback). */
class TrapError extends Error {}

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
  node?: NodeInfo;
  env?: Record<string, string>;
  listenerDirection?: number;
  /** the Envoy worker this VM belongs to (0-based; only for diagnostics) */
  worker?: number;
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

  // Read by the host calls (host_calls/*, properties.ts):
  /** the module's linear memory (set once the module is instantiated) */
  mem!: VmMemory;
  readonly node: NodeInfo;
  /** WASI environment */
  readonly env: Record<string, string>;
  readonly listenerDirection: number;
  /** the Envoy worker (thread) this VM belongs to */
  readonly worker: number;
  /** diagnostics: proxy_get_shared_data hits on a value another VM wrote last */
  sharedDataReadsFromOtherVms = 0;

  private instance!: WebAssembly.Instance;
  private exportsFns: Record<string, (...a: unknown[]) => unknown> = {};
  private nextContextId = 1;
  /** context of the VM call in progress (null between calls) */
  private current: StreamContext | null = null;
  /** proxy_set_effective_context for the rest of the current call (0 = none) */
  private effectiveId = 0;
  /** host calls allowed right now (during start and malloc), null = all */
  private restricted: Set<string> | null = null;
  private afterCall: Array<() => void> = [];
  private tickTimer: NodeJS.Timeout | null = null;
  private tickPeriod = 0;
  private readonly logSink: (level: number, line: string) => void;
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
    this.worker = opts.worker ?? 0;
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
  wasmLog(ctx: StreamContext | null, level: number, message: string) {
    let prefix = '';
    if (ctx && !ctx.isRoot && this.pluginName) prefix += ' ' + this.pluginName;
    if (this.rootIdName) prefix += ' ' + this.rootIdName;
    if (this.vmId) prefix += ' ' + this.vmId;
    this.envoyLog(level, `wasm log${prefix}: ${message}`);
  }

  unimplemented(name: string) {
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
        const reg = registeredSignature(imp.module, imp.name, this.abi);
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
    for (const [k, v] of Object.entries(exps)) if (typeof v === 'function') this.exportsFns[k] = v as never;
    if (!this.exportsFns.malloc && this.exportsFns.proxy_on_memory_allocate) {
      this.exportsFns.malloc = this.exportsFns.proxy_on_memory_allocate;
    }
    if (!this.exportsFns.malloc) throw new HostStartError('Wasm module is missing malloc function.');
    this.mem = new VmMemory((exps.memory as WebAssembly.Memory) ?? mem, (size) => this.malloc(size));

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

  /** The module's malloc, restricted to the callbacks Envoy allows during allocMemory. */
  private malloc(size: number): number {
    const saved = this.restricted;
    this.restricted = MALLOC_ALLOWED;
    try {
      return Number(this.exportsFns.malloc(size)) >>> 0;
    } finally {
      this.restricted = saved;
    }
  }

  // ------------------------------------------------------------------ host calls
  /** All host functions, keyed "<module>.<name>" (one closure set per VM). */
  private hostFunctions(): HostFns {
    return {
      ...logTimePropertyCalls(this),
      ...bufferAndStreamCalls(this),
      ...metricCalls(this),
      ...sharedDataAndQueueCalls(this),
      ...httpGrpcStubCalls(this),
      ...wasiCalls(this),
    };
  }

  /** Traps on calls that are not allowed at this point (startVm / malloc restrictions). */
  private wrapHost(key: string, fn: HostFn | undefined) {
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

  /** The context a host call acts on: the effective context if one was set, else the caller's. */
  effectiveContext(): StreamContext {
    const cur = this.current ?? this.root;
    if (this.effectiveId !== 0) {
      const e = this.contexts.get(this.effectiveId);
      if (e) return e;
    }
    return cur;
  }

  setEffectiveContext(id: number): boolean {
    if (!this.contexts.has(id)) return false;
    this.effectiveId = id;
    return true;
  }

  /** Runs `action` once the outermost VM call returns (Envoy DeferAfterCallActions). */
  deferAfterCall(action: () => void) {
    this.afterCall.push(action);
  }

  /** proxy_done: finishes a shutdown deferred by the root's proxy_on_done; false if none is pending. */
  completePendingDone(): boolean {
    if (!this.pendingDone) return false;
    this.pendingDone = false;
    this.afterCall.push(() => this.callVoid(this.root, 'proxy_on_delete', this.root.id));
    return true;
  }

  // ------------------------------------------------------------------ tick timer
  setTickPeriod(ms: number) {
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

}

function toBuf(v: Uint8Array | string | undefined): Buffer {
  if (v === undefined) return Buffer.alloc(0);
  return typeof v === 'string' ? Buffer.from(v, 'utf8') : Buffer.from(v);
}