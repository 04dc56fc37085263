// Big-endian and varint readers over VM memory. Callers check bounds first; the varint readers
// report "not enough bytes" or "too long" instead of reading past `end`.

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

/** Result of an unsigned varint read: value and byte length (0 = need more bytes, -1 = malformed). */
export class Varint {
  value: u32 = 0;
  length: i32 = 0;
}

/** Reads an unsigned varint (at most 5 bytes, as Kafka's ByteUtils.readUnsignedVarint). */
export function readUnsignedVarint(ptr: usize, available: i32, out: Varint): void {
  let value: u32 = 0;
  let shift: u32 = 0;
  for (let i = 0; i < 5; i++) {
    if (i >= available) {
      out.length = 0;
      return;
    }
    const b = <u32>load<u8>(ptr + <usize>i);
    value |= (b & 0x7f) << shift;
    if ((b & 0x80) == 0) {
      if (i == 4 && b > 0x0f) break; // more than 32 bits
      out.value = value;
      out.length = i + 1;
      return;
    }
    shift += 7;
  }
  out.length = -1;
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
