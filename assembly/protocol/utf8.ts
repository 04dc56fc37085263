// UTF-8 validation of captured strings (client ids, topic names, texts), without allocating.

/**
 * Validates [p, p+len) as UTF-8 (no overlongs, no surrogates, <= U+10FFFF).
 * Returns the number of bytes forming complete valid characters: len when fully valid;
 * when allowCut is set, a character cut by the end of the range is dropped (returns its start).
 * Returns -1 when invalid.
 */
export function validUtf8Prefix(p: usize, len: i32, allowCut: bool): i32 {
  let i = 0;
  while (i < len) {
    const b0 = <u32>load<u8>(p + <usize>i);
    if (b0 < 0x80) { i++; continue; }
    let n = 0; let min: u32 = 0; let cp: u32 = 0;
    if (b0 >= 0xc2 && b0 <= 0xdf) { n = 1; cp = b0 & 0x1f; min = 0x80; }
    else if (b0 >= 0xe0 && b0 <= 0xef) { n = 2; cp = b0 & 0x0f; min = 0x800; }
    else if (b0 >= 0xf0 && b0 <= 0xf4) { n = 3; cp = b0 & 0x07; min = 0x10000; }
    else return -1;
    if (i + n >= len) {
      // sequence does not fit: check the bytes that are present, then cut or fail
      for (let k = 1; i + k < len; k++) {
        if ((<u32>load<u8>(p + <usize>(i + k)) & 0xc0) != 0x80) return -1;
      }
      return allowCut ? i : -1;
    }
    for (let k = 1; k <= n; k++) {
      const b = <u32>load<u8>(p + <usize>(i + k));
      if ((b & 0xc0) != 0x80) return -1;
      cp = (cp << 6) | (b & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return -1;
    i += n + 1;
  }
  return len;
}
