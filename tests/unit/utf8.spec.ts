import { validUtf8Prefix } from "../../assembly/protocol/utf8";

function isValidUtf8(ptr: usize, length: i32): bool {
  return validUtf8Prefix(ptr, length, false) == length;
}

describe("UTF-8 validation", () => {
  it("accepts valid and rejects invalid sequences", () => {
    const ok = String.UTF8.encode("héllo π 😀");
    expect(isValidUtf8(changetype<usize>(ok), ok.byteLength)).toBe(true);
    const bad: u8[] = [0x61, 0xc3]; // truncated 2-byte sequence
    const b = new Uint8Array(2);
    b[0] = bad[0];
    b[1] = bad[1];
    expect(isValidUtf8(b.dataStart, 2)).toBe(false);
    const overlong = new Uint8Array(2);
    overlong[0] = 0xc0;
    overlong[1] = 0x80;
    expect(isValidUtf8(overlong.dataStart, 2)).toBe(false);
    const surrogate = new Uint8Array(3);
    surrogate[0] = 0xed;
    surrogate[1] = 0xa0;
    surrogate[2] = 0x80;
    expect(isValidUtf8(surrogate.dataStart, 3)).toBe(false);
  });
});
