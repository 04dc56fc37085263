// Small Proxy-Wasm test modules written in WAT, assembled with binaryen's wasm-as.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const WASM_AS = path.resolve(process.cwd(), 'node_modules/.bin/wasm-as');

export function assemble(wat: string): Buffer {
  const dir = mkdtempSync(path.join(tmpdir(), 'wat-'));
  const src = path.join(dir, 'm.wat');
  const out = path.join(dir, 'm.wasm');
  writeFileSync(src, wat);
  execFileSync(WASM_AS, [src, '-o', out], { stdio: 'pipe' });
  return readFileSync(out);
}

/** Collects string constants into a data segment at 1024+ and returns (ptr len) WAT fragments. */
export class Strings {
  private off = 1024;
  private segs: string[] = [];
  private map = new Map<string, [number, number]>();
  s(str: string): string {
    let e = this.map.get(str);
    if (!e) {
      const b = Buffer.from(str, 'latin1');
      e = [this.off, b.length];
      this.map.set(str, e);
      const esc = [...b].map((c) => '\\' + c.toString(16).padStart(2, '0')).join('');
      this.segs.push(`(data (i32.const ${this.off}) "${esc}")`);
      this.off += b.length + 1;
    }
    return `(i32.const ${e[0]}) (i32.const ${e[1]})`;
  }
  log(str: string, level = 2): string {
    return `(drop (call $proxy_log (i32.const ${level}) ${this.s(str)}))`;
  }
  data(): string {
    return this.segs.join('\n');
  }
}

/** Common skeleton: memory, bump malloc, ABI export, _initialize, logging of every callback. */
export function skeleton(opts: {
  imports?: string;
  globals?: string;
  funcs: Record<string, string>;
  strings: Strings;
  abi?: string | null;
  extraExports?: string;
}): string {
  const S = opts.strings;
  const defaults: Record<string, string> = {
    proxy_on_context_create: `(func (export "proxy_on_context_create") (param $id i32) (param $root i32)
      ${S.log('on_context_create')})`,
    proxy_on_vm_start: `(func (export "proxy_on_vm_start") (param i32 i32) (result i32) ${S.log('on_vm_start')} (i32.const 1))`,
    proxy_on_configure: `(func (export "proxy_on_configure") (param i32 i32) (result i32) ${S.log('on_configure')} (i32.const 1))`,
    proxy_on_new_connection: `(func (export "proxy_on_new_connection") (param i32) (result i32) ${S.log('on_new_connection')} (i32.const 0))`,
    proxy_on_downstream_data: `(func (export "proxy_on_downstream_data") (param i32 i32 i32) (result i32) (i32.const 0))`,
    proxy_on_upstream_data: `(func (export "proxy_on_upstream_data") (param i32 i32 i32) (result i32) (i32.const 0))`,
    proxy_on_downstream_connection_close: `(func (export "proxy_on_downstream_connection_close") (param i32 i32) ${S.log('on_downstream_connection_close')})`,
    proxy_on_upstream_connection_close: `(func (export "proxy_on_upstream_connection_close") (param i32 i32) ${S.log('on_upstream_connection_close')})`,
    proxy_on_done: `(func (export "proxy_on_done") (param i32) (result i32) ${S.log('on_done')} (i32.const 1))`,
    proxy_on_log: `(func (export "proxy_on_log") (param i32) ${S.log('on_log')})`,
    proxy_on_delete: `(func (export "proxy_on_delete") (param i32) ${S.log('on_delete')})`,
  };
  const funcs = { ...defaults, ...opts.funcs };
  const body = Object.values(funcs).join('\n');
  const abi = opts.abi === undefined ? 'proxy_abi_version_0_2_1' : opts.abi;
  return `(module
  (import "env" "proxy_log" (func $proxy_log (param i32 i32 i32) (result i32)))
  ${opts.imports ?? ''}
  (memory (export "memory") 4)
  (global $heap (mut i32) (i32.const 65536))
  ${opts.globals ?? ''}
  ${abi ? `(func (export "${abi}"))` : ''}
  (func (export "_initialize"))
  (func $malloc (export "malloc") (param $n i32) (result i32)
    (local $r i32)
    (local.set $r (global.get $heap))
    (global.set $heap (i32.and (i32.add (i32.add (global.get $heap) (local.get $n)) (i32.const 7)) (i32.const -8)))
    (if (i32.gt_u (global.get $heap) (i32.mul (memory.size) (i32.const 65536)))
      (then (drop (memory.grow (i32.add (i32.div_u (local.get $n) (i32.const 65536)) (i32.const 1))))))
    (local.get $r))
  ${opts.extraExports ?? ''}
  ${body}
  ${S.data()}
)`;
}

type SkeletonOptions = Parameters<typeof skeleton>[0];

/** Assembles a skeleton module; `make` receives the module's string table for its WAT fragments. */
function buildModule(make: (S: Strings) => Omit<SkeletonOptions, 'strings'>): Buffer {
  const S = new Strings();
  return assemble(skeleton({ strings: S, ...make(S) }));
}

export const IMPORT_BUF = `
  (import "env" "proxy_get_buffer_bytes" (func $get_buffer_bytes (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_set_buffer_bytes" (func $set_buffer_bytes (param i32 i32 i32 i32 i32) (result i32)))`;

/** Pass-through filter: logs callbacks; rejects configuration "reject"; logs source.address. */
export function passThroughModule(): Buffer {
  return buildModule((S) => ({
    imports: `${IMPORT_BUF}
(import "env" "proxy_get_property" (func $get_property (param i32 i32 i32 i32) (result i32)))`,
    funcs: {
      proxy_on_configure: `(func (export "proxy_on_configure") (param $id i32) (param $size i32) (result i32)
        ${S.log('on_configure')}
        (if (i32.ne (call $get_buffer_bytes (i32.const 7) (i32.const 0) (local.get $size) (i32.const 16) (i32.const 20)) (i32.const 0))
          (then (return (i32.const 0))))
        (drop (call $proxy_log (i32.const 2) (i32.load (i32.const 16)) (i32.load (i32.const 20))))
        ;; "reject" => configuration rejected
        (if (i32.and (i32.eq (i32.load (i32.const 20)) (i32.const 6))
                     (i32.eq (i32.load (i32.load (i32.const 16))) (i32.const 0x656a6572)))
          (then (return (i32.const 0))))
        (i32.const 1))`,
      proxy_on_new_connection: `(func (export "proxy_on_new_connection") (param i32) (result i32)
        ${S.log('on_new_connection')}
        (if (i32.eqz (call $get_property ${S.s('source\u0000address')} (i32.const 16) (i32.const 20)))
          (then (drop (call $proxy_log (i32.const 2) (i32.load (i32.const 16)) (i32.load (i32.const 20))))))
        (i32.const 0))`,
    },
  }));
}

/**
 * Rewriting filter: uppercases downstream bytes (replace rule start=0,len=size), and wraps upstream
 * chunks as ">" + data + "<" (prepend start=0,len=0 and append start>=size).
 */
export function rewriteModule(): Buffer {
  return buildModule((S) => ({
    imports: IMPORT_BUF,
    funcs: {
      proxy_on_downstream_data: `(func (export "proxy_on_downstream_data") (param $id i32) (param $size i32) (param $eos i32) (result i32)
        (local $p i32) (local $i i32) (local $c i32)
        (if (i32.eqz (local.get $size)) (then (return (i32.const 0))))
        (drop (call $get_buffer_bytes (i32.const 2) (i32.const 0) (local.get $size) (i32.const 16) (i32.const 20)))
        (local.set $p (i32.load (i32.const 16)))
        (block $done (loop $l
          (br_if $done (i32.ge_u (local.get $i) (local.get $size)))
          (local.set $c (i32.load8_u (i32.add (local.get $p) (local.get $i))))
          (if (i32.and (i32.ge_u (local.get $c) (i32.const 97)) (i32.le_u (local.get $c) (i32.const 122)))
            (then (i32.store8 (i32.add (local.get $p) (local.get $i)) (i32.sub (local.get $c) (i32.const 32)))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $l)))
        (drop (call $set_buffer_bytes (i32.const 2) (i32.const 0) (local.get $size) (local.get $p) (local.get $size)))
        (i32.const 0))`,
      proxy_on_upstream_data: `(func (export "proxy_on_upstream_data") (param $id i32) (param $size i32) (param $eos i32) (result i32)
        (if (i32.eqz (local.get $size)) (then (return (i32.const 0))))
        (drop (call $set_buffer_bytes (i32.const 3) (i32.const 0) (i32.const 0) ${S.s('>')}))
        ;; size now grew by 1; append at the end
        (drop (call $set_buffer_bytes (i32.const 3) (i32.add (local.get $size) (i32.const 1)) (i32.const 0) ${S.s('<')}))
        ;; start inside the buffer (not 0, not >= size) must be rejected with BadArgument (2)
        (if (i32.ne (call $set_buffer_bytes (i32.const 3) (i32.const 1) (i32.const 1) ${S.s('?')}) (i32.const 2))
          (then (unreachable)))
        (i32.const 0))`,
    },
  }));
}

/** Metrics: counter/gauge/histogram with tag fragments in names; checks Envoy's counter rules. */
export function metricsModule(): Buffer {
  return buildModule((S) => ({
    imports: `
(import "env" "proxy_define_metric" (func $define (param i32 i32 i32 i32) (result i32)))
(import "env" "proxy_increment_metric" (func $inc (param i32 i64) (result i32)))
(import "env" "proxy_record_metric" (func $record (param i32 i64) (result i32)))
(import "env" "proxy_get_metric" (func $get (param i32 i32) (result i32)))`,
    globals: `(global $ctr (mut i32) (i32.const 0)) (global $gauge (mut i32) (i32.const 0)) (global $hist (mut i32) (i32.const 0))`,
    funcs: {
      proxy_on_configure: `(func (export "proxy_on_configure") (param i32 i32) (result i32)
        (drop (call $define (i32.const 0) ${S.s('kafka.api=.=Produce;.;client_id=.=orders-svc;.;requests_total')} (i32.const 24)))
        (global.set $ctr (i32.load (i32.const 24)))
        (drop (call $define (i32.const 1) ${S.s('kafka.connections_active')} (i32.const 24)))
        (global.set $gauge (i32.load (i32.const 24)))
        (drop (call $define (i32.const 2) ${S.s('kafka.api=.=Produce;.;request_bytes')} (i32.const 24)))
        (global.set $hist (i32.load (i32.const 24)))
        ;; Envoy: counters reject offset <= 0 with BadArgument (2)
        (if (i32.ne (call $inc (global.get $ctr) (i64.const -5)) (i32.const 2)) (then (return (i32.const 0))))
        (if (i32.ne (call $inc (global.get $ctr) (i64.const 0)) (i32.const 2)) (then (return (i32.const 0))))
        ;; histograms cannot be incremented or read
        (if (i32.ne (call $inc (global.get $hist) (i64.const 1)) (i32.const 2)) (then (return (i32.const 0))))
        (if (i32.ne (call $get (global.get $hist) (i32.const 32)) (i32.const 2)) (then (return (i32.const 0))))
        ;; unknown id -> NotFound (1)
        (if (i32.ne (call $inc (i32.const 4000) (i64.const 1)) (i32.const 1)) (then (return (i32.const 0))))
        (i32.const 1))`,
      proxy_on_new_connection: `(func (export "proxy_on_new_connection") (param i32) (result i32)
        (drop (call $inc (global.get $gauge) (i64.const 1))) (i32.const 0))`,
      proxy_on_downstream_data: `(func (export "proxy_on_downstream_data") (param $id i32) (param $size i32) (param i32) (result i32)
        (if (i32.gt_u (local.get $size) (i32.const 0)) (then
          (drop (call $inc (global.get $ctr) (i64.const 1)))
          (drop (call $record (global.get $hist) (i64.extend_i32_u (local.get $size))))))
        (i32.const 0))`,
      proxy_on_downstream_connection_close: `(func (export "proxy_on_downstream_connection_close") (param i32 i32)
        (drop (call $inc (global.get $gauge) (i64.const -1))))`,
    },
  }));
}

/** Traps (unreachable) on the first downstream chunk that starts with 'T'. */
export function trapModule(): Buffer {
  return buildModule(() => ({
    imports: IMPORT_BUF,
    funcs: {
      proxy_on_downstream_data: `(func (export "proxy_on_downstream_data") (param $id i32) (param $size i32) (param i32) (result i32)
        (if (i32.eqz (local.get $size)) (then (return (i32.const 0))))
        (drop (call $get_buffer_bytes (i32.const 2) (i32.const 0) (i32.const 1) (i32.const 16) (i32.const 20)))
        (if (i32.eq (i32.load8_u (i32.load (i32.const 16))) (i32.const 84)) (then (unreachable)))
        (i32.const 0))`,
    },
  }));
}

/** Declares imports Envoy does not provide. */
export function unknownImportModule(): Buffer {
  return buildModule(() => ({
    imports: `
(import "env" "abort" (func $abort (param i32 i32 i32 i32)))
(import "env" "proxy_frobnicate" (func $frob (param i32) (result i32)))`,
    funcs: {},
  }));
}

/** Import with a signature different from Envoy's (proxy_log taking i64). */
export function badSignatureModule(): Buffer {
  return buildModule(() => ({
    imports: `(import "env" "proxy_get_current_time_nanoseconds" (func $t (param i64) (result i32)))`,
    funcs: {},
  }));
}

export function noAbiModule(): Buffer {
  return buildModule(() => ({ funcs: {}, abi: null }));
}

/** Holds downstream bytes (StopIteration) until 4 bytes are buffered (or end of stream), then continues. */
export function holdModule(): Buffer {
  return buildModule(() => ({
    funcs: {
      proxy_on_downstream_data: `(func (export "proxy_on_downstream_data") (param $id i32) (param $size i32) (param $eos i32) (result i32)
        (if (result i32) (i32.and (i32.lt_u (local.get $size) (i32.const 4)) (i32.eqz (local.get $eos)))
          (then (i32.const 1)) (else (i32.const 0))))`,
    },
  }));
}

/**
 * Per-worker VM probe: counts connections in a VM global; on each new connection increments the
 * counter `workers_test.connections_total` (defined by every VM in proxy_on_configure), reads it
 * back with proxy_get_metric and logs "vm=<this VM's count> total=<counter value>"; the first
 * connection of the process stores "shared=hello-from-first-vm" under key "workers.owner" in
 * shared data (logging "shared data set"), later connections log the value they read. Counts are
 * single digits (tests stay below 10 connections).
 */
export function workersModule(): Buffer {
  return buildModule((S) => {
    const tpl = 'vm=? total=?';
    const tplPtr = Number(/i32\.const (\d+)/.exec(S.s(tpl))![1]);
    return {
      imports: `
(import "env" "proxy_define_metric" (func $define (param i32 i32 i32 i32) (result i32)))
(import "env" "proxy_increment_metric" (func $inc (param i32 i64) (result i32)))
(import "env" "proxy_get_metric" (func $get (param i32 i32) (result i32)))
(import "env" "proxy_get_shared_data" (func $get_shared (param i32 i32 i32 i32 i32) (result i32)))
(import "env" "proxy_set_shared_data" (func $set_shared (param i32 i32 i32 i32 i32) (result i32)))`,
      globals: `(global $ctr (mut i32) (i32.const 0)) (global $n (mut i32) (i32.const 0))`,
      funcs: {
        proxy_on_configure: `(func (export "proxy_on_configure") (param i32 i32) (result i32)
          ${S.log('on_configure')}
          (if (i32.ne (call $define (i32.const 0) ${S.s('workers_test.connections_total')} (i32.const 24)) (i32.const 0))
            (then (return (i32.const 0))))
          (global.set $ctr (i32.load (i32.const 24)))
          (i32.const 1))`,
        proxy_on_new_connection: `(func (export "proxy_on_new_connection") (param i32) (result i32)
          (global.set $n (i32.add (global.get $n) (i32.const 1)))
          (drop (call $inc (global.get $ctr) (i64.const 1)))
          (drop (call $get (global.get $ctr) (i32.const 32)))
          (i32.store8 (i32.const ${tplPtr + 3}) (i32.add (i32.const 48) (global.get $n)))
          (i32.store8 (i32.const ${tplPtr + 11}) (i32.add (i32.const 48) (i32.wrap_i64 (i64.load (i32.const 32)))))
          (drop (call $proxy_log (i32.const 2) (i32.const ${tplPtr}) (i32.const ${tpl.length})))
          (if (i32.eqz (call $get_shared ${S.s('workers.owner')} (i32.const 16) (i32.const 20) (i32.const 40)))
            (then (drop (call $proxy_log (i32.const 2) (i32.load (i32.const 16)) (i32.load (i32.const 20)))))
            (else
              (drop (call $set_shared ${S.s('workers.owner')} ${S.s('shared=hello-from-first-vm')} (i32.const 0)))
              ${S.log('shared data set')}))
          (i32.const 0))`,
      },
    };
  });
}
