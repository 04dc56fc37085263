// Host calls Envoy registers for every plugin but that have nothing to act on in a TCP proxy
// (HTTP headers/local replies, HTTP/gRPC callouts, foreign functions, DNS). They log an error
// line, so a module relying on them is noticed, and return Envoy's answer for a connection
// without HTTP state. Also the two emscripten/pthread helpers Envoy always registers.

import { LogLevel, WasmResult as R } from '../abi.ts';
import type { PluginHost } from '../plugin_host.ts';
import { envModule, type HostFn, type HostFns } from './types.ts';

export function httpGrpcStubCalls(h: PluginHost): HostFns {
  const loud = (name: string, ret: number | ((...a: any[]) => number)): HostFn =>
    (...a: any[]) => {
      h.unimplemented(name);
      return typeof ret === 'function' ? ret(...a) : ret;
    };
  const stubs: Record<string, number | ((...a: any[]) => number)> = {
    proxy_send_local_response: R.Ok,
    proxy_get_header_map_value: R.BadArgument,
    proxy_add_header_map_value: R.BadArgument,
    proxy_replace_header_map_value: R.BadArgument,
    proxy_remove_header_map_value: R.BadArgument,
    proxy_get_header_map_pairs: (_t: number, pp: number, sp: number) =>
      h.mem.copyToPointerSize(Buffer.alloc(0), pp, sp) ? R.Ok : R.InvalidMemoryAccess,
    proxy_set_header_map_pairs: R.BadArgument,
    proxy_get_header_map_size: R.BadArgument,
    proxy_http_call: R.BadArgument,
    proxy_grpc_call: R.ParseFailure,
    proxy_grpc_stream: R.ParseFailure,
    proxy_grpc_close: R.BadArgument,
    proxy_grpc_cancel: R.BadArgument,
    proxy_grpc_send: R.BadArgument,
    envoy_resolve_dns: (_a: number, _s: number, tokenPtr: number) =>
      h.mem.setWord(tokenPtr, 1) ? R.Ok : R.InvalidMemoryAccess,
  };
  return envModule({
    ...Object.fromEntries(Object.entries(stubs).map(([name, ret]) => [name, loud(name, ret)])),
    proxy_call_foreign_function: (np: number, ns: number) => {
      const name = h.mem.get(np, ns);
      h.envoyLog(LogLevel.error, `[host] proxy_call_foreign_function("${name?.toString() ?? '?'}"): no foreign functions are registered in this host`);
      return R.NotFound;
    },
    pthread_equal: (a: number, b: number) => (a === b ? 1 : 0),
    emscripten_notify_memory_growth: () => undefined,
  });
}
