// Reassembles Kafka frames (int32 big-endian length + body) of one direction of a connection
// from TCP chunks of any size. It copies into the VM only the bytes its steppers ask for
// (length prefix, headers, the fields a decoder reads) and skips everything else by count, so the
// work per frame does not grow with the frame's size. Bytes are never modified: this is a
// read-only tap on the stream that Envoy forwards.
import { ByteSource } from "../bytes/byte_source";
import { Stepper } from "../protocol/stepper";
import { FrameListener, DIRECTION_REQUEST, FRAME_OPAQUE, FRAME_PEEK } from "./frame_listener";
import { readI32 } from "../protocol/primitives";
import { RequestHeader } from "../protocol/request_header";
import { ResponseHeader } from "../protocol/response_header";

/** Bytes fetched from the host per read when a stepper wants more (bounded by the chunk). */
const WINDOW: i32 = 4096;
/** Scratch space shared by all assemblers: the VM runs one callback at a time. */
const SCRATCH_SIZE: i32 = 16384;
const scratch = heap.alloc(<usize>SCRATCH_SIZE);

const PHASE_LENGTH: i32 = 0;
const PHASE_HEADER: i32 = 1;
const PHASE_BODY: i32 = 2;
const PHASE_LOST: i32 = 3;
const PHASE_PEEK: i32 = 4; // waiting for the frame's first byte (FRAME_PEEK)

export class FrameAssembler {
  /** Largest frame accepted; a longer length prefix means framing is lost. */
  maxFrameBytes: i32 = 256 * 1024 * 1024;

  streamOffset: i64 = 0; // bytes of this direction seen so far
  /** Stream offset of the current (or last) frame's length prefix. */
  frameStart: i64 = 0;
  bytesCopied: i64 = 0; // bytes copied into the VM (the unit tests bound it)

  private phase: i32 = PHASE_LENGTH;
  private frameLength: i32 = 0;
  private frameRead: i32 = 0; // bytes of the current frame (after the prefix) consumed
  private skipRemaining: i32 = 0;
  private stepper: Stepper | null = null;
  private bodyStepper: bool = false;
  private frameFailed: bool = false;
  // Bytes fetched but not yet consumed when a callback ended (part of one field at most).
  private carry: usize = 0;
  private carryLength: i32 = 0;
  private carryCapacity: i32 = 0;

  private requestHeader: RequestHeader | null = null;
  private responseHeader: ResponseHeader | null = null;

  constructor(public direction: i32, private listener: FrameListener) {
    if (direction == DIRECTION_REQUEST) this.requestHeader = new RequestHeader();
    else this.responseHeader = new ResponseHeader();
  }

  /** True while a frame is partly received (used to report truncation at close). */
  inFrame(): bool {
    return this.phase == PHASE_HEADER || this.phase == PHASE_BODY || this.phase == PHASE_PEEK || (this.phase == PHASE_LENGTH && this.carryLength > 0);
  }

  isLost(): bool {
    return this.phase == PHASE_LOST;
  }

  /** True while the frame in progress has not had its whole header yet (length prefix included). */
  inHeader(): bool {
    return this.phase == PHASE_HEADER || this.phase == PHASE_PEEK || (this.phase == PHASE_LENGTH && this.carryLength > 0);
  }

  /** Stream offset where the frame in progress began, or -1 between frames. */
  pendingFrameStart(): i64 {
    if (this.phase == PHASE_HEADER || this.phase == PHASE_BODY || this.phase == PHASE_PEEK) return this.frameStart;
    if (this.phase == PHASE_LENGTH && this.carryLength > 0) return this.streamOffset - <i64>this.carryLength;
    return -1;
  }

  /** Processes every byte of one data callback. */
  feed(source: ByteSource): void {
    const size = source.size();
    if (this.phase == PHASE_LOST) {
      this.streamOffset += size;
      return;
    }
    let pos = 0; // next unread byte of the chunk
    let start = 0; // staged bytes are scratch[start, end)
    let end = 0;
    if (this.carryLength > 0) {
      memory.copy(scratch, this.carry, <usize>this.carryLength);
      end = this.carryLength;
      this.carryLength = 0;
    }
    while (this.phase != PHASE_LOST) {
      // The listener decided the rest of the stream is not to be read (an enforced policy rule:
      // the connection closes, frameStart names the frame that broke it).
      if (this.listener.stopFeeding()) break;
      if (this.skipRemaining > 0) {
        const fromStage = min(this.skipRemaining, end - start);
        start += fromStage;
        const fromChunk = min(this.skipRemaining - fromStage, size - pos);
        pos += fromChunk;
        this.skipRemaining -= fromStage + fromChunk;
        this.frameRead += fromStage + fromChunk;
        if (this.skipRemaining > 0) break; // the chunk is used up
      }
      if (this.phase == PHASE_BODY && this.frameRead == this.frameLength) {
        if (this.stepper !== null) this.concludeBody();
        this.finishFrame();
        continue;
      }
      // How many contiguous bytes the next step needs, and how many it may see.
      let need = 4;
      let visibleLimit = SCRATCH_SIZE;
      const stepper = this.stepper;
      if (this.phase == PHASE_PEEK) {
        visibleLimit = 1;
        need = 1;
      } else if (this.phase != PHASE_LENGTH) {
        if (stepper === null) {
          // Body without a decoder: skip the rest of the frame.
          this.skipRemaining = this.frameLength - this.frameRead;
          continue;
        }
        visibleLimit = this.frameLength - this.frameRead;
        need = min(max(1, stepper.needBytes), visibleLimit);
      }
      let staged = end - start;
      if (need > 0 && staged < need) {
        if (pos >= size) break; // wait for the next chunk
        if (start > 0) {
          memory.copy(scratch, scratch + <usize>start, <usize>staged);
          start = 0;
          end = staged;
        }
        const want = min(SCRATCH_SIZE - end, max(need - staged, WINDOW));
        const got = source.copyTo(pos, min(want, size - pos), scratch + <usize>end);
        if (got <= 0) break;
        this.bytesCopied += got;
        pos += got;
        end += got;
        staged = end - start;
        if (staged < need) continue;
      }
      if (this.phase == PHASE_LENGTH) {
        this.frameStart = this.streamOffset + <i64>pos - <i64>staged;
        this.beginFrame(readI32(scratch + <usize>start));
        start += 4;
        continue;
      }
      if (this.phase == PHASE_PEEK) {
        // Nothing consumed: a frame to decode starts with its header, one to skip is skipped whole.
        if (this.listener.onFramePeek(this.direction, this.frameLength, load<u8>(scratch + <usize>start))) this.beginHeader();
        else this.phase = PHASE_BODY;
        continue;
      }
      const s = stepper as Stepper;
      const consumed = s.step(scratch + <usize>start, min(staged, visibleLimit));
      start += consumed;
      this.frameRead += consumed;
      this.afterStep(s);
    }
    this.streamOffset += size;
    this.keepCarry(start, end);
  }

  private afterStep(s: Stepper): void {
    if (s.failed) {
      this.frameFailed = true;
      this.listener.onMalformed(this.direction, this.phase == PHASE_HEADER ? "header" : "body", s.errorField, s.errorReason, s.errorOffset);
      this.stepper = null;
      this.phase = PHASE_BODY;
    } else if (s.skipPending > 0) {
      this.skipRemaining = s.skipPending;
    } else if (s.done) {
      if (this.phase == PHASE_HEADER) this.headerDone();
      else this.stepper = null; // body decoded; trailing-byte checks are the decoder's
    }
  }

  /** The frame's bytes are all consumed: let a body decoder that is not done yet conclude. */
  private concludeBody(): void {
    const s = this.stepper as Stepper;
    if (!s.done && !s.failed) {
      s.step(scratch, 0);
      if (!s.done && !s.failed) s.fail("body", "decoder did not finish at the end of the frame");
      this.afterStep(s);
    }
  }

  private beginFrame(length: i32): void {
    if (length < 0 || length > this.maxFrameBytes) {
      this.phase = PHASE_LOST;
      const reason = length < 0 ? "negative frame length " + length.toString() : "frame length " + length.toString() + " exceeds the limit of " + this.maxFrameBytes.toString() + " bytes (not Kafka, or TLS?)";
      this.listener.onFramingLost(this.direction, reason, this.streamOffset);
      return;
    }
    this.frameLength = length;
    this.frameRead = 0;
    this.frameFailed = false;
    this.bodyStepper = false;
    this.stepper = null;
    const mode = this.listener.frameMode(this.direction, length);
    if (mode == FRAME_OPAQUE || (mode == FRAME_PEEK && length == 0)) {
      this.phase = PHASE_BODY; // no stepper: the frame is skipped by count, never read
      return;
    }
    if (mode == FRAME_PEEK) {
      this.phase = PHASE_PEEK;
      return;
    }
    this.beginHeader();
  }

  private beginHeader(): void {
    const length = this.frameLength;
    this.phase = PHASE_HEADER;
    if (this.requestHeader !== null) {
      (this.requestHeader as RequestHeader).reset(length);
      this.stepper = this.requestHeader;
    } else {
      (this.responseHeader as ResponseHeader).reset(length);
      this.stepper = this.responseHeader;
    }
  }

  private headerDone(): void {
    let body: Stepper | null = null;
    if (this.requestHeader !== null) body = this.listener.onRequestHeader(this.requestHeader as RequestHeader, this.frameLength);
    else {
      const h = this.responseHeader as ResponseHeader;
      if (!h.versionKnown) {
        // The correlation id is read: whoever owns correlation knows the header's version.
        h.setVersion(this.listener.onResponseCorrelation(h.correlationId));
        if (!h.done) return; // tagged fields follow
      }
      body = this.listener.onResponseHeader(h, this.frameLength);
    }
    this.phase = PHASE_BODY;
    this.stepper = body;
    this.bodyStepper = body !== null;
  }

  private finishFrame(): void {
    const decoded = this.bodyStepper && !this.frameFailed;
    this.phase = PHASE_LENGTH;
    this.stepper = null;
    this.listener.onFrameEnd(this.direction, this.frameLength, decoded);
  }

  private keepCarry(start: i32, end: i32): void {
    const n = end - start;
    if (n <= 0 || this.phase == PHASE_LOST) return;
    if (n > this.carryCapacity) {
      if (this.carry != 0) heap.free(this.carry);
      this.carryCapacity = max(n, 64);
      this.carry = heap.alloc(<usize>this.carryCapacity);
    }
    memory.copy(this.carry, scratch + <usize>start, <usize>n);
    this.carryLength = n;
  }

  /** Frees the carry buffer (connection closed). */
  release(): void {
    if (this.carry != 0) heap.free(this.carry);
    this.carry = 0;
    this.carryCapacity = 0;
    this.carryLength = 0;
  }
}
