// One Envoy network-filter context per TCP connection: feeds each direction's bytes to its
// framer and always lets them through unchanged (the filter observes; it never holds data).
import { Context, RootContext, FilterStatusValues, BufferTypeValues } from "@solo-io/proxy-runtime/assembly";
import { StreamTypeValues } from "@solo-io/proxy-runtime/assembly/runtime";
import { proxy_close_stream } from "@solo-io/proxy-runtime/assembly/imports";
import { HostBufferSource } from "../abi/host_buffer";
import { FrameAssembler } from "../framer/frame_assembler";
import { DIRECTION_REQUEST, DIRECTION_RESPONSE } from "../framer/frame_listener";
import { KafkaSession } from "./session";
import { VmState } from "./vm_state";
import { registry } from "../metrics/registry";
import * as names from "../metrics/names";

export class KafkaConnection extends Context {
  private session: KafkaSession;
  private requests: FrameAssembler;
  private responses: FrameAssembler;
  private closed: bool = false;
  private closing: bool = false;
  private downstream: HostBufferSource = new HostBufferSource(BufferTypeValues.NetworkDownstreamData);
  private upstream: HostBufferSource = new HostBufferSource(BufferTypeValues.NetworkUpstreamData);

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
  }

  onNewConnection(): FilterStatusValues {
    registry.count(names.metricName(names.CONNECTIONS_TOTAL, []));
    registry.gaugeAdd(names.metricName(names.CONNECTIONS_ACTIVE, []), 1);
    return FilterStatusValues.Continue;
  }

  onDownstreamData(size: usize, end: bool): FilterStatusValues {
    if (this.closing) return FilterStatusValues.StopIteration;
    if (size > 0) {
      this.downstream.length = <i32>size;
      this.requests.feed(this.downstream);
    }
    if (this.session.closeRequested) {
      // Enforced policy: hold this chunk (the offending request never reaches the broker whole)
      // and close the client connection.
      this.closing = true;
      registry.count(names.metricName(names.POLICY_CLOSED_CONNECTIONS_TOTAL, [names.TAG_REASON, this.session.closeReason]));
      proxy_close_stream(StreamTypeValues.Downstream);
      return FilterStatusValues.StopIteration;
    }
    return FilterStatusValues.Continue;
  }

  onUpstreamData(size: usize, end: bool): FilterStatusValues {
    if (size > 0) {
      this.upstream.length = <i32>size;
      this.responses.feed(this.upstream);
    }
    return FilterStatusValues.Continue;
  }

  onDelete(): void {
    if (!this.closed) {
      this.closed = true;
      this.session.close(this.requests.inFrame(), this.responses.inFrame());
      this.requests.release();
      this.responses.release();
      registry.gaugeAdd(names.metricName(names.CONNECTIONS_ACTIVE, []), -1);
    }
  }
}
