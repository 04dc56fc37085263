// One Envoy network-filter context per TCP connection: feeds each direction's bytes to its
// framer and lets them through unchanged. Only an enforced policy changes what flows: a request
// waiting for its verdict is held back, and the frames before one that breaks a rule are let
// through while it and everything after it are dropped (gate.ts decides, gate() below applies it).
import { Context, RootContext, FilterStatusValues, BufferTypeValues } from "@solo-io/proxy-runtime/assembly";
import { proxy_set_buffer_bytes } from "@solo-io/proxy-runtime/assembly/imports";
import { HostBufferSource } from "../abi/host_buffer";
import { enterCallback, exitCallback } from "../abi/callback_scope";
import { FrameAssembler } from "../framer/frame_assembler";
import { DIRECTION_REQUEST, DIRECTION_RESPONSE } from "../framer/frame_listener";
import { KafkaSession } from "./session";
import { VmState } from "./vm_state";
import { registry } from "../metrics/registry";
import * as names from "../metrics/names";
import { MODE_ENFORCE } from "../config/policy_config";
import { GateDecision, decide } from "./gate";
import { scheduleClose, cancelClose } from "./closer";

export class KafkaConnection extends Context {
  private session: KafkaSession;
  private requests: FrameAssembler;
  private responses: FrameAssembler;
  private closed: bool = false;
  private closing: bool = false;
  private downstream: HostBufferSource = new HostBufferSource(BufferTypeValues.NetworkDownstreamData);
  private upstream: HostBufferSource = new HostBufferSource(BufferTypeValues.NetworkUpstreamData);
  private enforcing: bool;
  private held: HeldBytes = new HeldBytes();
  private decision: GateDecision = new GateDecision();

  constructor(id: u32, root: RootContext, vm: VmState) {
    super(id, root);
    const session = new KafkaSession(id, vm.config, vm);
    const requests = new FrameAssembler(DIRECTION_REQUEST, session);
    const responses = new FrameAssembler(DIRECTION_RESPONSE, session);
    requests.maxFrameBytes = vm.config.maxFrameBytes;
    responses.maxFrameBytes = vm.config.maxFrameBytes;
    this.session = session;
    this.requests = requests;
    this.responses = responses;
    this.enforcing = vm.config.policy.enabled && vm.config.policy.mode == MODE_ENFORCE;
  }

  onNewConnection(): FilterStatusValues {
    registry.count(names.metricName(names.CONNECTIONS_TOTAL, []));
    registry.gaugeAdd(names.metricName(names.CONNECTIONS_ACTIVE, []), 1);
    return FilterStatusValues.Continue;
  }

  onDownstreamData(size: usize, end: bool): FilterStatusValues {
    // Closing (a rule was broken): nothing more goes upstream.
    if (this.closing) return FilterStatusValues.StopIteration;
    const n = <i32>size;
    this.downstream.length = n;
    if (n > 0) feed(this.requests, this.downstream);
    if (!this.enforcing) return FilterStatusValues.Continue;
    return this.gate(n, end);
  }

  /**
   * Enforce mode: forwards the frames whose verdict is known and allowed, holds a frame still
   * waiting for its verdict, and on a broken rule forwards exactly the frames before the
   * offending one, drops the rest and closes the connection.
   *
   * In Envoy, what a network filter returns from proxy_on_downstream_data and leaves in the
   * buffer decides what tcp_proxy forwards: the buffer is rewritten with proxy_set_buffer_bytes
   * (Envoy's Buffer::copyFrom replaces the whole buffer for start 0 and a length covering it, and
   * prepends for start 0 and length 0). The close is not made in the same callback: Envoy runs a
   * close requested during the callback as soon as the callback returns, before tcp_proxy has
   * written the released frames upstream, and tcp_proxy then drops its upstream connection
   * without flushing (a local close). The root context closes the connection on its next tick
   * (closer.ts), once the released bytes have gone out.
   */
  private gate(size: i32, end: bool): FilterStatusValues {
    const s = this.session;
    const logicalEnd = this.requests.streamOffset;
    const logicalStart = logicalEnd - <i64>size - <i64>this.held.length;
    let pending: i64 = -1;
    if (this.requests.inHeader() || s.requestVerdictPending()) pending = this.requests.pendingFrameStart();
    const d = decide(this.decision, logicalStart, logicalEnd, s.closeRequested ? this.requests.frameStart : -1, pending, end);
    this.apply(d, size);
    if (d.close) {
      this.closing = true;
      registry.count(names.metricName(names.POLICY_CLOSED_CONNECTIONS_TOTAL, [names.TAG_REASON, s.closeReason]));
      scheduleClose(this.context_id);
    }
    return FilterStatusValues.Continue;
  }

  /** Rewrites Envoy's buffer to the released bytes and keeps (or drops) the rest. */
  private apply(d: GateDecision, size: i32): void {
    const h = this.held;
    const heldLength = h.length;
    const all = heldLength + size;
    if (d.release == all && heldLength == 0) return; // everything goes, as it is
    if (d.release == all) {
      // The held frame's verdict came: put its bytes back in front of this callback's.
      setDownstream(0, 0, h.ptr, heldLength);
      h.clear();
      return;
    }
    // Forward logical[0, release): the held bytes (all of them, or none: they are one frame)
    // and the first bytes of this callback's.
    const fromBuffer = d.release - min(d.release, heldLength);
    let out: usize = 0;
    if (d.release > 0) {
      out = heap.alloc(<usize>d.release);
      if (heldLength > 0) memory.copy(out, h.ptr, <usize>min(d.release, heldLength));
      if (fromBuffer > 0) this.downstream.copyTo(0, fromBuffer, out + <usize>min(d.release, heldLength));
    }
    // Keep logical[release, all) for the next callback, or drop it.
    if (!d.keepRest) h.clear();
    else if (d.release == 0) h.append(this.downstream, 0, size);
    else {
      h.clear();
      h.append(this.downstream, fromBuffer, size - fromBuffer);
    }
    if (size > 0 || d.release > 0) setDownstream(0, size, out, d.release);
    if (out != 0) heap.free(out);
  }

  onUpstreamData(size: usize, end: bool): FilterStatusValues {
    if (size > 0) {
      this.upstream.length = <i32>size;
      feed(this.responses, this.upstream);
    }
    return FilterStatusValues.Continue;
  }

  onDelete(): void {
    if (!this.closed) {
      this.closed = true;
      if (this.closing) cancelClose(this.context_id);
      this.held.release();
      this.session.close(this.requests.inFrame(), this.responses.inFrame());
      this.requests.release();
      this.responses.release();
      registry.gaugeAdd(names.metricName(names.CONNECTIONS_ACTIVE, []), -1);
    }
  }
}

/** One data callback's bytes through one direction's framer; deferred metric updates go to the host at its end. */
function feed(framer: FrameAssembler, source: HostBufferSource): void {
  enterCallback();
  framer.feed(source);
  exitCallback();
}

/** Replaces [start, start + length) of the downstream buffer (see gate()) with `size` bytes at `ptr`. */
function setDownstream(start: u32, length: u32, ptr: usize, size: i32): void {
  proxy_set_buffer_bytes(BufferTypeValues.NetworkDownstreamData, start, length, ptr, <usize>size);
}

/** Request bytes held back in the VM while a frame's verdict is pending (at most HOLD_LIMIT). */
class HeldBytes {
  ptr: usize = 0;
  length: i32 = 0;
  private capacity: i32 = 0;

  append(source: HostBufferSource, start: i32, count: i32): void {
    if (count <= 0) return;
    const need = this.length + count;
    if (need > this.capacity) {
      const capacity = max(need, max(this.capacity * 2, 256));
      const grown = heap.alloc(<usize>capacity);
      if (this.length > 0) memory.copy(grown, this.ptr, <usize>this.length);
      if (this.ptr != 0) heap.free(this.ptr);
      this.ptr = grown;
      this.capacity = capacity;
    }
    this.length += source.copyTo(start, count, this.ptr + <usize>this.length);
  }

  clear(): void {
    this.length = 0;
  }

  release(): void {
    if (this.ptr != 0) heap.free(this.ptr);
    this.ptr = 0;
    this.length = 0;
    this.capacity = 0;
  }
}
