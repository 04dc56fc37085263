// Where the framer reads the bytes of the current data callback from. In Envoy this is the
// downstream/upstream buffer of the network filter; in unit tests it is plain memory.
// The framer only ever copies the bytes it needs (`copyTo`) and skips the rest by count.
export abstract class ByteSource {
  /** Bytes available in this callback. */
  abstract size(): i32;
  /** Copies [start, start + length) into `dest`; returns the number of bytes copied. */
  abstract copyTo(start: i32, length: i32, dest: usize): i32;
}

/** A ByteSource over VM memory, for tests and benchmarks. Counts bytes copied. */
export class MemorySource extends ByteSource {
  bytesCopied: i64 = 0;
  copies: i32 = 0;
  constructor(public ptr: usize, public length: i32) {
    super();
  }
  size(): i32 {
    return this.length;
  }
  copyTo(start: i32, length: i32, dest: usize): i32 {
    if (start < 0 || length <= 0 || start >= this.length) return 0;
    const n = min(length, this.length - start);
    memory.copy(dest, this.ptr + <usize>start, <usize>n);
    this.bytesCopied += n;
    this.copies++;
    return n;
  }
}
