// WASI host functions as proxy-wasm-cpp-host registers them (src/exports.cc wasi_unstable_*),
// under both module names: stdout/stderr go to the log, there is no filesystem or socket.

import { randomFillSync } from 'node:crypto';
import { LogLevel, RANDOM_GET_MAX, WASI } from '../abi.ts';
import type { PluginHost } from '../plugin_host.ts';
import { nowNanos } from './log_time_properties.ts';
import type { HostFns } from './types.ts';

export function wasiCalls(h: PluginHost): HostFns {
  const wasi: HostFns = {};
  wasi.fd_write = (fd: number, iovs: number, iovsLen: number, nwPtr: number) => {
    const r = writev(h, fd, iovs, iovsLen);
    if (typeof r !== 'object') return r;
    return h.mem.setWord(nwPtr, r.written) ? WASI.ESUCCESS : WASI.EFAULT;
  };
  wasi.fd_pwrite = (fd: number, iovs: number, iovsLen: number, _off: bigint, nwPtr: number) => {
    if (fd !== 1 && fd !== 2) return WASI.EBADF;
    return wasi.fd_write(fd, iovs, iovsLen, nwPtr);
  };
  wasi.fd_read = () => WASI.ENOSYS;
  wasi.fd_seek = () => {
    h.envoyLog(LogLevel.trace, 'wasi_unstable fd_seek');
    return 0;
  };
  wasi.fd_close = () => {
    h.envoyLog(LogLevel.trace, 'wasi_unstable fd_close');
    return 0;
  };
  wasi.fd_fdstat_get = (fd: number, out: number) => {
    if (fd !== 1 && fd !== 2) return WASI.EBADF;
    const b = Buffer.alloc(24);
    b.writeBigUInt64LE(64n, 8);
    h.mem.set(out, b);
    return WASI.ESUCCESS;
  };
  wasi.fd_fdstat_set_flags = () => WASI.ENOSYS;
  const stdOnly = (fd: number) => (fd !== 1 && fd !== 2 ? WASI.EBADF : WASI.ESUCCESS);
  wasi.fd_fdstat_set_rights = stdOnly;
  wasi.fd_allocate = stdOnly;
  wasi.fd_datasync = stdOnly;
  wasi.fd_filestat_set_size = stdOnly;
  wasi.fd_filestat_set_times = stdOnly;
  wasi.fd_sync = stdOnly;
  wasi.fd_advise = () => WASI.ESUCCESS;
  wasi.fd_pread = () => WASI.ENOSYS;
  wasi.fd_readdir = (_fd: number, _b: number, _l: number, _c: bigint, nr: number) =>
    h.mem.setWord(nr, 0) ? WASI.ENOTDIR : WASI.EFAULT;
  wasi.fd_renumber = (fd: number, to: number) =>
    (fd !== 1 && fd !== 2) || (to !== 1 && to !== 2) ? WASI.EBADF : WASI.ENOTSUP;
  wasi.fd_tell = (fd: number, ptr: number) => {
    if (fd !== 1 && fd !== 2) return WASI.EBADF;
    return h.mem.setU64(ptr, 0n) ? WASI.ESUCCESS : WASI.EFAULT;
  };
  wasi.fd_prestat_get = () => WASI.EBADF;
  wasi.fd_prestat_dir_name = () => WASI.ENOSYS;
  wasi.fd_filestat_get = () => WASI.EBADF;
  wasi.path_open = () => WASI.NOENT;
  wasi.path_filestat_get = () => WASI.ENOTSUP;
  wasi.path_create_directory = () => WASI.ENOTSUP;
  wasi.path_filestat_set_times = () => WASI.ENOTSUP;
  wasi.path_link = () => WASI.ENOTSUP;
  wasi.path_readlink = (_fd: number, _p: number, _pl: number, _b: number, _bl: number, r0: number) =>
    h.mem.setWord(r0, 0) ? WASI.ENOTSUP : WASI.EFAULT;
  wasi.path_remove_directory = () => WASI.ENOTSUP;
  wasi.path_rename = () => WASI.ENOTSUP;
  wasi.path_symlink = () => WASI.ENOTSUP;
  wasi.path_unlink_file = () => WASI.ENOTSUP;
  wasi.sock_accept = (_fd: number, _f: number, r0: number) => (h.mem.setU64(r0, 0n) ? WASI.ENOTSUP : WASI.EFAULT);
  wasi.sock_recv = (_fd: number, _d: number, _l: number, _f: number, r0: number, r1: number) =>
    h.mem.setWord(r0, 0) && h.mem.set(r1, Buffer.alloc(2)) ? WASI.ENOTSUP : WASI.EFAULT;
  wasi.sock_send = (_fd: number, _d: number, _l: number, _f: number, r0: number) =>
    h.mem.setWord(r0, 0) ? WASI.ENOTSUP : WASI.EFAULT;
  wasi.sock_shutdown = () => WASI.ENOTSUP;
  wasi.environ_sizes_get = (countPtr: number, bufSizePtr: number) => {
    const es = Object.entries(h.env);
    const size = es.reduce((s, [k, v]) => s + Buffer.byteLength(k) + Buffer.byteLength(v) + 2, 0);
    return h.mem.setWord(countPtr, es.length) && h.mem.setWord(bufSizePtr, size) ? WASI.ESUCCESS : WASI.EFAULT;
  };
  wasi.environ_get = (arrPtr: number, buf: number) => {
    for (const [k, v] of Object.entries(h.env)) {
      if (!h.mem.setWord(arrPtr, buf)) return WASI.EFAULT;
      const d = Buffer.from(`${k}=${v}\0`);
      if (!h.mem.set(buf, d)) return WASI.EFAULT;
      arrPtr += 4;
      buf += d.length;
    }
    return WASI.ESUCCESS;
  };
  wasi.args_get = () => WASI.ESUCCESS;
  wasi.args_sizes_get = (a: number, b: number) => (h.mem.setWord(a, 0) && h.mem.setWord(b, 0) ? WASI.ESUCCESS : WASI.EFAULT);
  wasi.clock_time_get = (id: number, _prec: bigint, ptr: number) => {
    let v: bigint;
    if (id === 0) v = nowNanos();
    else if (id === 1) v = process.hrtime.bigint();
    else return WASI.ENOTSUP;
    return h.mem.setU64(ptr, v) ? WASI.ESUCCESS : WASI.EFAULT;
  };
  wasi.clock_res_get = (id: number, ptr: number) => {
    if (id !== 0 && id !== 1) return WASI.ENOTSUP;
    return h.mem.setU64(ptr, 1n) ? WASI.ESUCCESS : WASI.EFAULT;
  };
  wasi.random_get = (ptr: number, len: number) => {
    len >>>= 0;
    if (len > RANDOM_GET_MAX) return WASI.EINVAL;
    if (len === 0) return WASI.ESUCCESS;
    const b = Buffer.alloc(len);
    randomFillSync(b);
    return h.mem.set(ptr, b) ? WASI.ESUCCESS : WASI.EFAULT;
  };
  wasi.sched_yield = () => WASI.ESUCCESS;
  wasi.poll_oneoff = (_in: number, _out: number, _n: number, nevPtr: number) =>
    h.mem.setWord(nevPtr, 0) ? WASI.ESUCCESS : WASI.EFAULT;
  // Envoy only logs proc_exit (context->error -> trace); the module's own `unreachable`
  // right after it is what traps. Logged at error here so it is visible.
  wasi.proc_exit = (code: number) => {
    h.envoyLog(LogLevel.error, `wasi_unstable proc_exit(${code})`);
  };  const fns: HostFns = {};
  for (const [k, f] of Object.entries(wasi)) {
    fns[`wasi_snapshot_preview1.${k}`] = f;
    fns[`wasi_unstable.${k}`] = f;
  }
  return fns;
}

/** fd_write to stdout (info) / stderr (error): one log line per call, trailing newline stripped. */
function writev(h: PluginHost, fd: number, iovs: number, iovsLen: number): number | { written: number } {
  let level: number;
  if (fd === 1) level = LogLevel.info;
  else if (fd === 2) level = LogLevel.error;
  else return WASI.EBADF;
  const parts: Buffer[] = [];
  for (let k = 0; k < iovsLen >>> 0; k++) {
    const iov = h.mem.get(iovs + k * 8, 8);
    if (!iov) return WASI.EFAULT;
    const len = iov.readUInt32LE(4);
    if (len !== 0) {
      const d = h.mem.get(iov.readUInt32LE(0), len);
      if (!d) return WASI.EFAULT;
      parts.push(d);
    }
  }
  let s = Buffer.concat(parts).toString('utf8');
  const written = Buffer.concat(parts).length;
  if (written !== 0) {
    if (s.endsWith('\n')) s = s.slice(0, -1);
    h.wasmLog(h.effectiveContext(), level, s);
  }
  return { written };
}
