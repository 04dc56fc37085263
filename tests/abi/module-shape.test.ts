// The built module must load in a stock Envoy: it may import only what Envoy's Proxy-Wasm host
// (proxy-wasm-cpp-host, ABI 0.2.1) provides, and must export what Envoy looks for.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, statSync } from "node:fs";

// Host functions registered for ABI 0.2.x by proxy-wasm-cpp-host (src/wasm.cc, exports.cc).
const ENVOY_ENV = new Set([
  "proxy_log", "proxy_get_log_level", "proxy_set_tick_period_milliseconds", "proxy_get_current_time_nanoseconds",
  "proxy_get_status", "proxy_get_property", "proxy_set_property", "proxy_continue_stream", "proxy_close_stream",
  "proxy_send_local_response", "proxy_clear_route_cache", "proxy_get_shared_data", "proxy_set_shared_data",
  "proxy_register_shared_queue", "proxy_resolve_shared_queue", "proxy_dequeue_shared_queue", "proxy_enqueue_shared_queue",
  "proxy_add_header_map_value", "proxy_get_header_map_value", "proxy_get_header_map_pairs", "proxy_set_header_map_pairs",
  "proxy_replace_header_map_value", "proxy_remove_header_map_value", "proxy_get_header_map_size",
  "proxy_get_buffer_status", "proxy_get_buffer_bytes", "proxy_set_buffer_bytes", "proxy_http_call",
  "proxy_grpc_call", "proxy_grpc_stream", "proxy_grpc_send", "proxy_grpc_cancel", "proxy_grpc_close",
  "proxy_define_metric", "proxy_increment_metric", "proxy_record_metric", "proxy_get_metric", "proxy_done",
  "proxy_call_foreign_function", "proxy_set_effective_context",
]);
// WASI functions Envoy's host implements (the rest would fail instantiation).
const ENVOY_WASI = new Set([
  "fd_write", "fd_read", "fd_seek", "fd_close", "fd_fdstat_get", "fd_fdstat_set_flags", "fd_prestat_get",
  "fd_prestat_dir_name", "environ_get", "environ_sizes_get", "args_get", "args_sizes_get", "clock_time_get",
  "random_get", "proc_exit", "path_open", "poll_oneoff", "sched_yield",
]);
const REQUIRED_EXPORTS = [
  "memory", "_initialize", "malloc", "proxy_abi_version_0_2_1", "proxy_on_context_create", "proxy_on_vm_start",
  "proxy_on_configure", "proxy_on_new_connection", "proxy_on_downstream_data", "proxy_on_upstream_data",
  "proxy_on_downstream_connection_close", "proxy_on_upstream_connection_close", "proxy_on_done", "proxy_on_log",
  "proxy_on_delete", "proxy_on_tick",
];

for (const file of ["build/kafka-filter.wasm", "build/kafka-filter.debug.wasm"]) {
  test(`${file}: imports only what Envoy provides`, () => {
    const module = new WebAssembly.Module(readFileSync(file));
    const imports = WebAssembly.Module.imports(module);
    for (const i of imports) {
      assert.equal(i.kind, "function", `${i.module}.${i.name} must be a function import`);
      if (i.module === "env") assert.ok(ENVOY_ENV.has(i.name), `env.${i.name} is not provided by Envoy`);
      else if (i.module === "wasi_snapshot_preview1") assert.ok(ENVOY_WASI.has(i.name), `wasi ${i.name} is not provided by Envoy`);
      else assert.fail(`import from unknown module ${i.module}.${i.name}`);
    }
    assert.ok(!imports.some((i) => i.name === "abort"), "env.abort must not be imported (build with --use abort=...)");
    assert.ok(imports.some((i) => i.name === "proxy_get_buffer_bytes"), "reads buffers with proxy_get_buffer_bytes");
  });

  test(`${file}: exports the ABI 0.2.1 network-filter entry points`, () => {
    const module = new WebAssembly.Module(readFileSync(file));
    const exports = new Set(WebAssembly.Module.exports(module).map((e) => e.name));
    for (const name of REQUIRED_EXPORTS) assert.ok(exports.has(name), `missing export ${name}`);
    assert.ok(!exports.has("proxy_abi_version_0_2_0"), "only one ABI version marker");
  });
}

test("release module is optimised and small", () => {
  const release = statSync("build/kafka-filter.wasm").size;
  const debug = statSync("build/kafka-filter.debug.wasm").size;
  assert.ok(release < debug, `release (${release}) smaller than debug (${debug})`);
  assert.ok(release < 512 * 1024, `release module is ${release} bytes`);
});
