// A resumable parser of part of a frame. The framer hands it the bytes it has fetched so far and
// the stepper consumes whole fields only. After each step exactly one of these holds:
//   done          the part is parsed;
//   failed        the bytes are malformed (errorField/errorReason/errorOffset say where and why);
//   skipPending>0 the framer skips that many bytes by count, without copying them into the VM;
//   needBytes>0   the framer calls again with at least that many contiguous bytes (or all that is left).
// The message-body decoder in assembly/codec follows the same contract.
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

  /** Consumes whole fields from [ptr, ptr + length); returns the bytes consumed. */
  abstract step(ptr: usize, length: i32): i32;

  /** Asks for `count` contiguous bytes; fails as truncated when the frame has fewer left. */
  need(count: i32, field: string): void {
    if (count > this.limit - this.position) {
      this.fail(field, "truncated: needs " + count.toString() + " bytes, " + (this.limit - this.position).toString() + " left in frame");
    } else {
      this.needBytes = count;
    }
  }

  skip(count: i32, field: string): bool {
    if (count > this.limit - this.position) {
      this.fail(field, "length " + count.toString() + " runs past the end of the frame (" + (this.limit - this.position).toString() + " bytes left)");
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
