// Skips a tagged-field section of a flexible header: varint count, then per field a varint tag,
// a varint size and `size` bytes, skipped by count. Resumable like a Stepper.
import { readUnsignedVarint, Varint } from "./primitives";
import { Stepper } from "./stepper";

const varint = new Varint();

export const TAGS_DONE: i32 = -1;
export const TAGS_NEED_MORE: i32 = -2;
export const TAGS_MALFORMED: i32 = -3;

export class TaggedFieldSkipper {
  /** Fields left to read; -1 before the count is read. */
  remaining: i32 = -1;
  lastTag: i64 = -1;
  skipBytes: i32 = 0;
  error: string = "";

  reset(): void {
    this.remaining = -1;
    this.lastTag = -1;
    this.skipBytes = 0;
    this.error = "";
  }

  /**
   * Reads from [ptr, ptr+available). Returns bytes consumed (>= 0) with `skipBytes` set when a
   * field body must be skipped, or TAGS_DONE / TAGS_NEED_MORE / TAGS_MALFORMED.
   * `frameLeft` bounds what the section may claim.
   */
  advance(ptr: usize, available: i32, frameLeft: i32): i32 {
    this.skipBytes = 0;
    if (this.remaining == 0) return TAGS_DONE;
    if (this.remaining < 0) {
      readUnsignedVarint(ptr, available, varint);
      if (varint.length == 0) return TAGS_NEED_MORE;
      if (varint.length < 0 || varint.value > <u32>frameLeft) {
        this.error = "bad tagged field count";
        return TAGS_MALFORMED;
      }
      this.remaining = <i32>varint.value;
      return varint.length;
    }
    readUnsignedVarint(ptr, available, varint);
    if (varint.length == 0) return TAGS_NEED_MORE;
    if (varint.length < 0) {
      this.error = "bad tag varint";
      return TAGS_MALFORMED;
    }
    const tag = <i64>varint.value;
    const tagLength = varint.length;
    if (tag <= this.lastTag) {
      this.error = "tags out of order";
      return TAGS_MALFORMED;
    }
    readUnsignedVarint(ptr + <usize>tagLength, available - tagLength, varint);
    if (varint.length == 0) return TAGS_NEED_MORE;
    if (varint.length < 0) {
      this.error = "bad tagged field size varint";
      return TAGS_MALFORMED;
    }
    const consumed = tagLength + varint.length;
    if (<i64>varint.value > <i64>(frameLeft - consumed)) {
      this.error = "tagged field size runs past the end of the frame";
      return TAGS_MALFORMED;
    }
    this.lastTag = tag;
    this.remaining--;
    this.skipBytes = <i32>varint.value;
    return consumed;
  }
}

/**
 * One step of a header's tagged-field section on behalf of `owner`. Returns the bytes consumed;
 * the owner returns to the framer when it then needs bytes, must skip, failed or is done.
 */
export function stepTaggedFields(owner: Stepper, tags: TaggedFieldSkipper, ptr: usize, available: i32, field: string): i32 {
  const r = tags.advance(ptr, available, owner.limit - owner.position);
  if (r == TAGS_DONE) {
    owner.done = true;
    return 0;
  }
  if (r == TAGS_NEED_MORE) {
    const want = min(10, owner.limit - owner.position);
    if (want <= available) owner.fail(field, "truncated varint");
    else owner.need(want, field);
    return 0;
  }
  if (r == TAGS_MALFORMED) {
    owner.fail(field, tags.error);
    return 0;
  }
  if (tags.skipBytes > 0) owner.skip(tags.skipBytes, field, r);
  return r;
}
