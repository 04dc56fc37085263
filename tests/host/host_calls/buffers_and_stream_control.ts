// Host calls on data buffers and on the stream/context being served: buffer status and bytes,
// continue/close stream, effective context, and proxy_done.

import { BufferType, StreamType, WasmResult as R } from '../abi.ts';
import type { PluginHost } from '../plugin_host.ts';
import { envModule, type HostFns } from './types.ts';

export function bufferAndStreamCalls(h: PluginHost): HostFns {
  return envModule({
    proxy_get_buffer_status: (type: number, lenPtr: number, flagsPtr: number) => {
      if (type >>> 0 > BufferType.MAX) return R.BadArgument;
      const b = h.effectiveContext().getBuffer(type);
      if (!b) return R.NotFound;
      if (!h.mem.setWord(lenPtr, b.size())) return R.InvalidMemoryAccess;
      return h.mem.setWord(flagsPtr, 0) ? R.Ok : R.InvalidMemoryAccess;
    },
    // proxy-wasm-cpp-host src/exports.cc get_buffer_bytes
    proxy_get_buffer_bytes: (type: number, start: number, length: number, ptrPtr: number, sizePtr: number) => {
      if (type >>> 0 > BufferType.MAX) return R.BadArgument;
      const b = h.effectiveContext().getBuffer(type);
      if (!b) return R.NotFound;
      start >>>= 0;
      length >>>= 0;
      const size = b.size();
      if (start > size) length = 0;
      else if (start + length > size) length = size - start;
      if (length === 0) return h.mem.setWord(ptrPtr, 0) && h.mem.setWord(sizePtr, 0) ? R.Ok : R.InvalidMemoryAccess;
      return h.mem.copyToPointerSize(b.bytes().subarray(start, start + length), ptrPtr, sizePtr)
        ? R.Ok
        : R.InvalidMemoryAccess;
    },
    proxy_set_buffer_bytes: (type: number, start: number, length: number, dp: number, ds: number) => {
      if (type >>> 0 > BufferType.MAX) return R.BadArgument;
      const b = h.effectiveContext().getBuffer(type);
      if (!b) return R.NotFound;
      const d = h.mem.get(dp, ds);
      if (!d) return R.InvalidMemoryAccess;
      return b.copyFrom(start >>> 0, length >>> 0, d);
    },
    // Envoy Context::continueStream. Connection actions run after the VM call returns
    // (DeferAfterCallActions), never re-entering the module.
    proxy_continue_stream: (type: number) => {
      if (type >>> 0 > StreamType.MAX) return R.BadArgument;
      const c = h.effectiveContext();
      switch (type) {
        case StreamType.Downstream:
          if (c.conn) h.deferAfterCall(() => c.conn!.continueReading());
          return R.Ok;
        case StreamType.Upstream:
          return R.Unimplemented;
        default:
          return R.Ok; // Request/Response: no HTTP callbacks on a network filter
      }
    },
    proxy_close_stream: (type: number) => {
      if (type >>> 0 > StreamType.MAX) return R.BadArgument;
      const c = h.effectiveContext();
      // Envoy Context::closeStream: both Downstream and Upstream close the downstream connection
      if (type === StreamType.Downstream && c.conn) {
        h.deferAfterCall(() => c.conn!.closeDownstream('wasm_downstream_close'));
      } else if (type === StreamType.Upstream && c.conn) {
        h.deferAfterCall(() => c.conn!.closeDownstream('wasm_upstream_close'));
      }
      return R.Ok;
    },
    proxy_set_effective_context: (id: number) => (h.setEffectiveContext(id >>> 0) ? R.Ok : R.BadArgument),
    // Completes a shutdown the root context deferred by returning false from proxy_on_done.
    proxy_done: () => (h.completePendingDone() ? R.Ok : R.NotFound),
  });
}
