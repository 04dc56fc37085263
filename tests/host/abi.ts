// Proxy-Wasm ABI constants (values from proxy-wasm-cpp-sdk proxy_wasm_common.h / proxy_wasm_enums.h,
// used verbatim by proxy-wasm-cpp-host and Envoy).

export const WasmResult = {
  Ok: 0,
  NotFound: 1,
  BadArgument: 2,
  SerializationFailure: 3,
  ParseFailure: 4,
  BadExpression: 5,
  InvalidMemoryAccess: 6,
  Empty: 7,
  CasMismatch: 8,
  ResultMismatch: 9,
  InternalFailure: 10,
  BrokenConnection: 11,
  Unimplemented: 12,
} as const;

export const BufferType = {
  HttpRequestBody: 0,
  HttpResponseBody: 1,
  NetworkDownstreamData: 2,
  NetworkUpstreamData: 3,
  HttpCallResponseBody: 4,
  GrpcReceiveBuffer: 5,
  VmConfiguration: 6,
  PluginConfiguration: 7,
  CallData: 8,
  MAX: 8,
} as const;

export const StreamType = { Request: 0, Response: 1, Downstream: 2, Upstream: 3, MAX: 3 } as const;

export const FilterStatus = { Continue: 0, StopIteration: 1 } as const;

export const MetricType = { Counter: 0, Gauge: 1, Histogram: 2, Max: 2 } as const;

/** proxy_wasm CloseType (a.k.a. PeerType in some SDKs). */
export const CloseType = { Unknown: 0, Local: 1, Remote: 2 } as const;

export const LogLevel = { trace: 0, debug: 1, info: 2, warn: 3, error: 4, critical: 5, off: 6 } as const;
export const LOG_LEVEL_NAMES = ['trace', 'debug', 'info', 'warn', 'error', 'critical', 'off'];

export function parseLogLevel(s: string): number {
  const v = (LogLevel as Record<string, number>)[s];
  if (v === undefined) throw new Error(`unknown log level "${s}" (trace|debug|info|warn|error|critical|off)`);
  return v;
}

/** FailState from proxy-wasm-cpp-host include/proxy-wasm/wasm_vm.h */
export type FailState =
  | 'UnableToCreateVm'
  | 'UnableToCloneVm'
  | 'MissingFunction'
  | 'UnableToInitializeCode'
  | 'StartFailed'
  | 'ConfigureFailed'
  | 'RuntimeError';

// WASI errno values used by proxy-wasm-cpp-host src/exports.cc
export const WASI = {
  ESUCCESS: 0,
  EBADF: 8,
  EFAULT: 21,
  ENOTDIR: 20,
  EINVAL: 28,
  NOENT: 44,
  ENOSYS: 52,
  ENOTSUP: 58,
  ENOTCAPABLE: 76,
} as const;

export const RANDOM_GET_MAX = 64 * 1024; // PROXY_WASM_HOST_WASI_RANDOM_GET_MAX_SIZE_BYTES
