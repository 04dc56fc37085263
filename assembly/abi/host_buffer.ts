// ByteSource over an Envoy buffer (downstream or upstream data of a network filter), read with
// proxy_get_buffer_bytes(start, length): the host copies just that range into VM memory.
import { proxy_get_buffer_bytes } from "@solo-io/proxy-runtime/assembly/imports";
import { ByteSource } from "../bytes/byte_source";

// Out-parameters for proxy_get_buffer_bytes (pointer and size written by the host).
const outPtr = memory.data(8);
const outSize = memory.data(8);

export class HostBufferSource extends ByteSource {
  /** Bytes in the current callback's buffer; set before each feed (one source per direction). */
  length: i32 = 0;
  constructor(public bufferType: i32) {
    super();
  }
  size(): i32 {
    return this.length;
  }
  copyTo(start: i32, length: i32, dest: usize): i32 {
    if (start < 0 || length <= 0 || start >= this.length) return 0;
    store<usize>(outPtr, 0);
    store<usize>(outSize, 0);
    const result = proxy_get_buffer_bytes(this.bufferType, <u32>start, <u32>length, outPtr, outSize);
    if (result != 0) return 0;
    const ptr = load<usize>(outPtr);
    const n = <i32>min(<usize>length, load<usize>(outSize));
    if (ptr == 0) return 0;
    memory.copy(dest, ptr, <usize>n);
    heap.free(ptr); // allocated by our malloc export (raw heap)
    return n;
  }
}
