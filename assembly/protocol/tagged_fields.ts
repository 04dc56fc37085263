// Tagged-field sections (flexible versions): a varint count, then per field a varint tag, a varint
// size and `size` bytes. The readers here validate a section's count and each field's header the
// same way for the headers (TaggedFieldSkipper, below) and the body decoder (codec/decoder.ts).
import { readUnsignedVarint, varintValue, VARINT_NEED, VARINT_TRUNCATED } from "./primitives";
import { Stepper } from "./stepper";

/** readTaggedFieldCount / readTaggedFieldHeader: the count, or a field's size, exceeds the bytes left. */
export const TAGGED_TOO_LONG: i32 = -3;

/** What readTaggedFieldCount / readTaggedFieldHeader read last. */
export let taggedCount: i32 = 0;
export let taggedTag: u32 = 0;
export let taggedSize: i32 = 0;

/**
 * Reads a section's field count at p (`remaining` bytes left in the part): its length, or
 * VARINT_NEED / VARINT_MALFORMED / VARINT_TRUNCATED, or TAGGED_TOO_LONG when more fields are
 * announced than bytes are left.
 */
// @ts-ignore: decorator
@inline export function readTaggedFieldCount(p: usize, available: i32, remaining: i32): i32 {
  const r = readUnsignedVarint(p, available, remaining);
  if (r <= 0) return r;
  if (<i64>varintValue > <i64>(remaining - r)) return TAGGED_TOO_LONG;
  taggedCount = <i32>varintValue;
  return r;
}

/** Reads one field's tag and size at p: the header's length (then `taggedSize` bytes follow), or an error as above. */
export function readTaggedFieldHeader(p: usize, available: i32, remaining: i32): i32 {
  const r1 = readUnsignedVarint(p, available, remaining);
  if (r1 <= 0) return r1;
  const tag = varintValue;
  const r2 = readUnsignedVarint(p + <usize>r1, available - r1, remaining - r1);
  if (r2 <= 0) return r2;
  const h = r1 + r2;
  if (<i64>varintValue > <i64>(remaining - h)) return TAGGED_TOO_LONG;
  taggedTag = tag;
  taggedSize = <i32>varintValue;
  return h;
}

/** The failure reason of a reader's error code. */
export function taggedFieldError(code: i32, countRead: bool): string {
  if (code == TAGGED_TOO_LONG) return countRead ? "tagged field size exceeds remaining bytes" : "tagged field count exceeds remaining bytes";
  if (code == VARINT_TRUNCATED) return "truncated";
  return "malformed varint";
}

/** Skips a header's tagged-field section, one field per step (no header field is known). */
export class TaggedFieldSkipper {
  /** Fields left to read; -1 before the count is read. */
  remaining: i32 = -1;

  reset(): void {
    this.remaining = -1;
  }
}

/**
 * One step of a header's tagged-field section on behalf of `owner`. Returns the bytes consumed;
 * the owner returns to the framer when it then needs bytes, must skip, failed or is done.
 */
export function stepTaggedFields(owner: Stepper, tags: TaggedFieldSkipper, p: usize, available: i32, field: string): i32 {
  if (tags.remaining == 0) {
    owner.done = true;
    return 0;
  }
  const left = owner.limit - owner.position;
  const counting = tags.remaining < 0;
  const r = counting ? readTaggedFieldCount(p, available, left) : readTaggedFieldHeader(p, available, left);
  if (r == VARINT_NEED) {
    owner.need(min(10, left), field);
    return 0;
  }
  if (r < 0) {
    owner.fail(field, taggedFieldError(r, !counting));
    return 0;
  }
  if (counting) tags.remaining = taggedCount;
  else {
    tags.remaining--;
    if (taggedSize > 0) owner.skip(taggedSize, field, r);
  }
  return r;
}
