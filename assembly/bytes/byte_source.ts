// Where the framer reads the bytes of the current data callback from: in Envoy the network
// filter's downstream/upstream buffer (abi/host_buffer.ts), in unit tests plain memory.
// The framer only ever copies the bytes it needs (`copyTo`) and skips the rest by count.
export abstract class ByteSource {
  /** Bytes available in this callback. */
  abstract size(): i32;
  /** Copies [start, start + length) into `dest`; returns the number of bytes copied. */
  abstract copyTo(start: i32, length: i32, dest: usize): i32;
}
