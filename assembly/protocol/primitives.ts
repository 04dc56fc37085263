// The big-endian and varint readers of the filter (headers, bodies, the framer's length prefix)
// over VM memory. Callers check bounds for the fixed-size readers; the varint reader reports "not
// enough bytes", "runs past the part" or "too long" instead of reading past either.

// @ts-ignore: decorator
@inline export function readI16(ptr: usize): i16 {
  return bswap<i16>(load<i16>(ptr));
}
// @ts-ignore: decorator
@inline export function readI32(ptr: usize): i32 {
  return bswap<i32>(load<i32>(ptr));
}
// @ts-ignore: decorator
@inline export function readI64(ptr: usize): i64 {
  return bswap<i64>(load<i64>(ptr));
}

/** readUnsignedVarint: [p, p+available) ends before the varint does (step again with more bytes). */
export const VARINT_NEED: i32 = 0;
/** readUnsignedVarint: more than 5 bytes, or more than 32 bits. */
export const VARINT_MALFORMED: i32 = -1;
/** readUnsignedVarint: the varint runs past the `remaining` bytes of the part being parsed. */
export const VARINT_TRUNCATED: i32 = -2;

/** The value of the varint readUnsignedVarint read last. */
export let varintValue: u32 = 0;

/**
 * Reads an unsigned varint (at most 5 bytes, as Kafka's ByteUtils.readUnsignedVarint) from
 * [p, p+available), of a part with `remaining` bytes left from p. Returns its length (the value
 * is in varintValue), or VARINT_NEED / VARINT_MALFORMED / VARINT_TRUNCATED.
 */
// @ts-ignore: decorator
@inline export function readUnsignedVarint(p: usize, available: i32, remaining: i32): i32 {
  let v: u32 = 0;
  for (let i = 0; i < 5; i++) {
    if (i >= remaining) return VARINT_TRUNCATED;
    if (i >= available) return VARINT_NEED;
    const b = <u32>load<u8>(p + <usize>i);
    if (i == 4 && b > 0x0f) return VARINT_MALFORMED;
    v |= (b & 0x7f) << (<u32>(7 * i));
    if ((b & 0x80) == 0) {
      varintValue = v;
      return i + 1;
    }
  }
  return VARINT_MALFORMED;
}

/**
 * True when [ptr, ptr+length) is ASCII and spells `s` (what String.UTF8.decode would return):
 * lets a decoder hand out a string it already has instead of allocating an equal one.
 */
export function sameAscii(ptr: usize, length: i32, s: string): bool {
  if (s.length != length) return false;
  const chars = changetype<usize>(s);
  for (let i = 0; i < length; i++) {
    const b = <u32>load<u8>(ptr + <usize>i);
    if (b >= 0x80 || b != <u32>load<u16>(chars + (<usize>i << 1))) return false;
  }
  return true;
}
