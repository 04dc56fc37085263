// Shared data and shared queue host calls (proxy-wasm-cpp-host src/shared_data.cc,
// src/shared_queue.cc). Like Envoy's getGlobalSharedData / getGlobalSharedQueue the state is
// process-wide, keyed by vm_id, so every PluginHost of this process sees it.

import { WasmResult as R } from '../abi.ts';
import type { PluginHost } from '../plugin_host.ts';
import { envModule, type HostFns } from './types.ts';

// CAS values start at 1 and skip 0 on wrap-around (0 means "no CAS check" in set_shared_data).
let globalCas = 1;
function nextCas(): number {
  const r = globalCas;
  globalCas = (globalCas + 1) >>> 0;
  if (globalCas === 0) globalCas = 1;
  return r;
}
/** vm_id -> key -> value, CAS, and the VM that wrote it (for PluginHost.sharedDataReadsFromOtherVms) */
const sharedData = new Map<string, Map<string, { value: Buffer; cas: number; writer: PluginHost }>>();

interface Queue { vmId: string; name: string; contextId: number; host: PluginHost; items: Buffer[] }
const queues = new Map<number, Queue>();
const queueByName = new Map<string, number>();
let nextQueueToken = 1;

export function sharedDataAndQueueCalls(h: PluginHost): HostFns {
  return envModule({
    proxy_get_shared_data: (kp: number, ks: number, ptrPtr: number, sizePtr: number, casPtr: number) => {
      const k = h.mem.get(kp, ks);
      if (!k) return R.InvalidMemoryAccess;
      const e = sharedData.get(h.vmId)?.get(k.toString('latin1'));
      if (!e) return R.NotFound;
      if (!h.mem.copyToPointerSize(e.value, ptrPtr, sizePtr)) return R.InvalidMemoryAccess;
      if (e.writer !== h) h.sharedDataReadsFromOtherVms++;
      return h.mem.setWord(casPtr, e.cas) ? R.Ok : R.InvalidMemoryAccess;
    },
    proxy_set_shared_data: (kp: number, ks: number, vp: number, vs: number, cas: number) => {
      const k = h.mem.get(kp, ks);
      const v = h.mem.get(vp, vs);
      if (!k || !v) return R.InvalidMemoryAccess;
      let m = sharedData.get(h.vmId);
      if (!m) sharedData.set(h.vmId, (m = new Map()));
      const key = k.toString('latin1');
      const e = m.get(key);
      cas >>>= 0;
      if (e && cas !== 0 && cas !== e.cas) return R.CasMismatch;
      m.set(key, { value: v, cas: nextCas(), writer: h });
      return R.Ok;
    },
    proxy_register_shared_queue: (np: number, ns: number, tokenPtr: number) => {
      const name = h.mem.get(np, ns);
      if (!name) return R.InvalidMemoryAccess;
      const key = `${h.vmId}\u0000${name.toString('latin1')}`;
      const c = h.effectiveContext();
      const contextId = c.isRoot ? c.id : c.rootId;
      let token = queueByName.get(key);
      if (token === undefined) {
        token = nextQueueToken++;
        queueByName.set(key, token);
        queues.set(token, { vmId: h.vmId, name: name.toString('latin1'), contextId, host: h, items: [] });
      } else {
        // Re-registering moves the queue to the registering root context (and VM).
        const q = queues.get(token)!;
        q.contextId = contextId;
        q.host = h;
      }
      return h.mem.setWord(tokenPtr, token) ? R.Ok : R.InvalidMemoryAccess;
    },
    proxy_resolve_shared_queue: (vp: number, vs: number, np: number, ns: number, tokenPtr: number) => {
      const vm = h.mem.get(vp, vs);
      const name = h.mem.get(np, ns);
      if (!vm || !name) return R.InvalidMemoryAccess;
      const vmId = vm.length ? vm.toString('latin1') : h.vmId;
      const token = queueByName.get(`${vmId}\u0000${name.toString('latin1')}`);
      if (token === undefined || h.failed) return R.NotFound;
      return h.mem.setWord(tokenPtr, token) ? R.Ok : R.InvalidMemoryAccess;
    },
    proxy_enqueue_shared_queue: (token: number, dp: number, ds: number) => {
      const d = h.mem.get(dp, ds);
      if (!d) return R.InvalidMemoryAccess;
      const q = queues.get(token >>> 0);
      if (!q) return R.NotFound;
      q.items.push(d);
      // Envoy posts on_queue_ready to the owning worker; here: the next turn of the event loop.
      setImmediate(() => {
        const root = q.host.contexts.get(q.contextId);
        if (root) q.host.callVoid(root, 'proxy_on_queue_ready', root.id, token >>> 0);
      });
      return R.Ok;
    },
    proxy_dequeue_shared_queue: (token: number, ptrPtr: number, sizePtr: number) => {
      const q = queues.get(token >>> 0);
      if (!q) return R.NotFound;
      const d = q.items.shift();
      if (!d) return R.Empty;
      return h.mem.copyToPointerSize(d, ptrPtr, sizePtr) ? R.Ok : R.InvalidMemoryAccess;
    },
  });
}
