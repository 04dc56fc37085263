// The resumable parser contract of every part of a frame: the request and response headers
// (protocol/) and the message bodies (codec/BodyDecoder) implement it, the framer drives it. The
// framer hands a stepper the bytes it has fetched so far and the stepper consumes whole fields
// only. After each step exactly one of these holds:
//   done          the part is parsed;
//   failed        the bytes are malformed (errorField/errorReason/errorOffset say where and why);
//   skipPending>0 the framer skips that many bytes by count, without copying them into the VM;
//   needBytes>0   the framer calls again with at least that many contiguous bytes (or all that is left).
export abstract class Stepper {
  needBytes: i32 = 0;
  skipPending: i32 = 0;
  done: bool = false;
  failed: bool = false;
  errorField: string = "";
  errorReason: string = "";
  /** Byte offset of the failure, relative to the start of the part being parsed. */
  errorOffset: i32 = 0;
  /** Bytes of the part consumed so far (including skipped ones). */
  position: i32 = 0;
  /** Bytes this part may use at most (the rest of the frame). */
  limit: i32 = 0;

  protected resetState(limit: i32): void {
    this.needBytes = 0;
    this.skipPending = 0;
    this.done = false;
    this.failed = false;
    this.errorField = "";
    this.errorReason = "";
    this.errorOffset = 0;
    this.position = 0;
    this.limit = limit;
  }

  /**
   * Consumes whole fields from [ptr, ptr + length); returns the bytes consumed. The default runs
   * field() until the part is done or failed, or field() asks for bytes or a skip; the body
   * decoder, which has its own interpreter loop, overrides this.
   */
  step(ptr: usize, length: i32): i32 {
    this.needBytes = 0;
    this.skipPending = 0;
    let at = 0;
    while (!this.done && !this.failed && this.needBytes == 0 && this.skipPending == 0) {
      const before = this.position;
      const consumed = this.field(ptr + <usize>at, length - at);
      at += consumed;
      this.position += consumed;
      // A field that neither consumed, moved on, nor asked for anything would loop forever.
      if (consumed == 0 && this.position == before && !this.done && !this.failed && this.needBytes == 0 && this.skipPending == 0) {
        this.fail("parser", "no progress (internal error)");
      }
    }
    return at;
  }

  /**
   * Parses the next field from [p, p + available): returns the bytes it consumed, or asks for
   * more with need(), skips with skip(), or stops with fail() / done.
   */
  protected field(p: usize, available: i32): i32 {
    this.fail("parser", "field() not implemented");
    return 0;
  }

  /** Asks for `count` contiguous bytes; fails as truncated when the frame has fewer left. */
  need(count: i32, field: string): void {
    if (count > this.limit - this.position) {
      this.fail(field, "truncated: needs " + count.toString() + " bytes, " + (this.limit - this.position).toString() + " left in frame");
    } else {
      this.needBytes = count;
    }
  }

  /**
   * Asks the framer to skip `count` bytes by count. `consumedFirst` is what the current field()
   * consumed before the skipped bytes (step() adds it to `position` afterwards).
   */
  skip(count: i32, field: string, consumedFirst: i32 = 0): bool {
    const left = this.limit - this.position - consumedFirst;
    if (count > left) {
      this.fail(field, "length " + count.toString() + " runs past the end of the frame (" + left.toString() + " bytes left)");
      return false;
    }
    this.position += count;
    this.skipPending = count;
    return true;
  }

  fail(field: string, reason: string): void {
    this.failed = true;
    this.errorField = field;
    this.errorReason = reason;
    this.errorOffset = this.position;
  }
}
