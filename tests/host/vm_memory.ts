// Access to the VM's linear memory for host calls: bounds-checked reads and writes (a failed
// check is the caller's InvalidMemoryAccess / EFAULT) and copies into memory the module mallocs.

export class VmMemory {
  /**
   * @param memory the module's exported memory
   * @param malloc the module's allocator (already restricted to the callbacks Envoy allows in malloc)
   */
  constructor(
    private readonly memory: WebAssembly.Memory,
    private readonly malloc: (size: number) => number,
  ) {}

  /** Current size of linear memory in bytes. */
  get byteLength(): number {
    return this.memory.buffer.byteLength;
  }

  // A fresh view per access: memory.grow() detaches the previous ArrayBuffer.
  private u8(): Uint8Array {
    return new Uint8Array(this.memory.buffer);
  }

  /** A copy of [ptr, ptr+size), or null when out of bounds. */
  get(ptr: number, size: number): Buffer | null {
    ptr >>>= 0;
    size >>>= 0;
    const m = this.u8();
    if (ptr + size > m.length) return null;
    return Buffer.from(m.subarray(ptr, ptr + size));
  }

  set(ptr: number, data: Uint8Array): boolean {
    ptr >>>= 0;
    const m = this.u8();
    if (ptr + data.length > m.length) return false;
    m.set(data, ptr);
    return true;
  }

  /** Writes a 32-bit little-endian Word. */
  setWord(ptr: number, v: number): boolean {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v >>> 0);
    return this.set(ptr, b);
  }

  setU64(ptr: number, v: bigint): boolean {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt.asUintN(64, v));
    return this.set(ptr, b);
  }

  /** include/proxy-wasm/wasm.h WasmBase::allocMemory: null when malloc fails or returns out of bounds. */
  alloc(size: number): number | null {
    const a = this.malloc(size);
    if (!a) return null;
    if (a + size > this.u8().length) return null;
    return a;
  }

  /** WasmBase::copyToPointerSize: malloc'd copy of data, its address and size written out (0,0 when empty). */
  copyToPointerSize(data: Uint8Array, ptrPtr: number, sizePtr: number): boolean {
    let p = 0;
    if (data.length > 0) {
      const a = this.alloc(data.length);
      if (a === null) return false;
      this.set(a, data);
      p = a;
    }
    return this.setWord(ptrPtr, p) && this.setWord(sizePtr, data.length);
  }
}
