// Envoy's shared data: a key/value store shared by every VM with the same vm_id (one VM per
// worker thread), so what one worker learns (topic id -> name) the others can read.
// @ts-ignore: decorator
@external("env", "proxy_get_shared_data")
declare function proxy_get_shared_data(keyPtr: usize, keySize: usize, valuePtrPtr: usize, valueSizePtr: usize, casPtr: usize): u32;
// @ts-ignore: decorator
@external("env", "proxy_set_shared_data")
declare function proxy_set_shared_data(keyPtr: usize, keySize: usize, valuePtr: usize, valueSize: usize, cas: u32): u32;

const outPtr = memory.data(8);
const outSize = memory.data(8);
const outCas = memory.data(8);

/** The value stored under `key`, or "" when absent. */
export function getSharedString(key: string): string {
  const k = String.UTF8.encode(key);
  store<usize>(outPtr, 0);
  store<usize>(outSize, 0);
  if (proxy_get_shared_data(changetype<usize>(k), k.byteLength, outPtr, outSize, outCas) != 0) return "";
  const ptr = load<usize>(outPtr);
  const size = load<usize>(outSize);
  if (ptr == 0) return "";
  const value = String.UTF8.decodeUnsafe(ptr, size);
  heap.free(ptr); // allocated by our malloc export (raw heap)
  return value;
}

/** Stores `value` under `key` (last writer wins). */
export function setSharedString(key: string, value: string): void {
  const k = String.UTF8.encode(key);
  const v = String.UTF8.encode(value);
  proxy_set_shared_data(changetype<usize>(k), k.byteLength, changetype<usize>(v), v.byteLength, 0);
}

/**
 * A CAS value no key is expected to have: proxy-wasm-cpp-host hands out CAS values from one
 * counter (1, 2, 3, ..., skipping 0 on wrap-around) shared by every key of the process, so a key
 * carries this one only after some 4 billion shared-data writes, and then only one key at a time.
 */
const NEVER_CAS: u32 = 0xffffffff;

/**
 * Stores `value` under `key` unless the key exists; true when this call created it. The host
 * (proxy-wasm-cpp-host SharedData::set) creates a missing key whatever the CAS, and refuses to
 * change an existing one whose CAS differs: so among VMs racing to create the same key, exactly
 * one gets true.
 */
export function createSharedString(key: string, value: string): bool {
  const k = String.UTF8.encode(key);
  const v = String.UTF8.encode(value);
  return proxy_set_shared_data(changetype<usize>(k), k.byteLength, changetype<usize>(v), v.byteLength, NEVER_CAS) == 0;
}
