// Connections an enforced policy rule closes, closed from the root context's tick a little after
// the rule was broken. Envoy runs a close a filter asks for during proxy_on_downstream_data as soon
// as that callback returns: before tcp_proxy has written the frames the filter let through in the
// same callback, and tcp_proxy then drops its upstream connection without flushing it (a local
// close). Closing on a later event-loop turn lets those frames reach the broker first.
import { proxy_close_stream, proxy_set_effective_context, proxy_set_tick_period_milliseconds } from "@solo-io/proxy-runtime/assembly/imports";
import { StreamTypeValues } from "@solo-io/proxy-runtime/assembly/runtime";
import { nowNanos } from "../abi/host";

/** How long after the broken rule the connection is closed. */
export const CLOSE_DELAY_MS: u32 = 20;
const TICK_MS: u32 = 10;

const ids: u32[] = [];
const due: u64[] = [];
let ticking = false;

/** Closes the connection (its context id) CLOSE_DELAY_MS from now. */
export function scheduleClose(contextId: u32): void {
  ids.push(contextId);
  due.push(nowNanos() + <u64>CLOSE_DELAY_MS * 1000000);
  if (!ticking) {
    ticking = true;
    proxy_set_tick_period_milliseconds(TICK_MS);
  }
}

/** The connection is gone before its close was due. */
export function cancelClose(contextId: u32): void {
  const i = ids.indexOf(contextId);
  if (i < 0) return;
  ids.splice(i, 1);
  due.splice(i, 1);
}

/** Called from the root context's onTick: closes the connections whose time has come. */
export function closeDue(rootContextId: u32): void {
  const now = nowNanos();
  let i = 0;
  while (i < ids.length) {
    if (due[i] > now) {
      i++;
      continue;
    }
    // proxy_close_stream acts on the effective context: the connection's, for this call.
    if (proxy_set_effective_context(ids[i]) == 0) proxy_close_stream(StreamTypeValues.Downstream);
    ids.splice(i, 1);
    due.splice(i, 1);
  }
  proxy_set_effective_context(rootContextId);
  if (ids.length == 0 && ticking) {
    ticking = false;
    proxy_set_tick_period_milliseconds(0);
  }
}
