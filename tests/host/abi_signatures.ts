// Signature tables of the Proxy-Wasm ABI as Envoy links it: the host functions a module may
// import (env + both WASI module names), the exports the host calls, and which imports may run
// while the VM starts or mallocs. Loading checks imports/exports against these (V8::link).

import type { ValType } from './wasm_binary.ts';

export type Sig = [ValType[], ValType[]];
// Shorthands: i = i32 (a Word on wasm32), I = i64, n(k) = k i32 parameters.
const i = 'i32' as const;
const I = 'i64' as const;
const n = (k: number): ValType[] => new Array(k).fill(i);

// Host function signatures exactly as proxy-wasm-cpp-host registers them for wasm32
// (Word -> i32, int64_t/uint64_t -> i64): src/exports.cc + include/proxy-wasm/exports.h.
export const ENV_SIGS: Record<string, Sig> = {
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

export const WASI_SIGS: Record<string, Sig> = {
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
export const START_ALLOWED = new Set<string>([
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
export const MALLOC_ALLOWED = new Set<string>([
  'env.proxy_log',
  ...['fd_write', 'clock_time_get', 'poll_oneoff'].flatMap((f) => [`wasi_unstable.${f}`, `wasi_snapshot_preview1.${f}`]),
]);

// Module exports the host calls, with the signatures V8::getFunction insists on.
export const MODULE_SIGS: Record<string, Sig> = {
  _initialize: [[], []], _start: [[], []], main: [n(2), [i]], __main_void: [[], [i]], malloc: [n(1), [i]],
  proxy_on_memory_allocate: [n(1), [i]],
  proxy_on_context_create: [n(2), []], proxy_on_vm_start: [n(2), [i]], proxy_on_configure: [n(2), [i]],
  proxy_on_tick: [n(1), []], proxy_on_new_connection: [n(1), [i]],
  proxy_on_downstream_data: [n(3), [i]], proxy_on_upstream_data: [n(3), [i]],
  proxy_on_downstream_connection_close: [n(2), []], proxy_on_upstream_connection_close: [n(2), []],
  proxy_on_done: [n(1), [i]], proxy_on_log: [n(1), []], proxy_on_delete: [n(1), []],
  proxy_on_queue_ready: [n(2), []], proxy_on_foreign_function: [n(3), []],
};

/** The signature the host registers for an import, or null when Envoy would not register it. */
export function registeredSignature(module: string, name: string, abi: '0_2_0' | '0_2_1'): Sig | null {
  if (module === 'env') {
    const s = ENV_SIGS[name];
    if (!s) return null;
    if (name === 'proxy_get_log_level' && abi !== '0_2_1') return null;
    return s;
  }
  if (module === 'wasi_snapshot_preview1' || module === 'wasi_unstable') return WASI_SIGS[name] ?? null;
  return null;
}
