// Builds tests/codec/harness.ts with asc (cached by source mtime) and wraps its exports.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

const ROOT = resolve(dirname(new URL(import.meta.url).pathname), "../..");
const OUT_DIR = join(ROOT, "build/test-codec");

function newestSource(): number {
  let t = 0;
  for (const d of ["assembly/bytes", "assembly/codec", "assembly/codec/generated", "assembly/framer", "assembly/protocol", "assembly/protocol/generated", "tests/codec"]) {
    for (const f of readdirSync(join(ROOT, d))) if (f.endsWith(".ts")) t = Math.max(t, statSync(join(ROOT, d, f)).mtimeMs);
  }
  return t;
}

export function buildHarness(opt = "-O3"): string {
  mkdirSync(OUT_DIR, { recursive: true });
  const out = join(OUT_DIR, `harness${opt}.wasm`);
  if (!existsSync(out) || statSync(out).mtimeMs < newestSource()) {
    // test files run in parallel processes: build to a private file, then rename atomically
    const tmp = `${out}.${process.pid}.tmp`;
    execFileSync(join(ROOT, "node_modules/.bin/asc"), ["tests/codec/harness.ts", "--config", "tests/codec/asconfig.json",
      "--runtime", "incremental", opt, "--noAssert", "-o", tmp], { cwd: ROOT, stdio: "inherit" });
    renameSync(tmp, out);
  }
  return out;
}

export interface DecodeResult { status: number; consumed: number; events: string[]; field: string; reason: string; offset: number; maxNeed: number }

export class Harness {
  private ex: any;
  private mem: WebAssembly.Memory;
  constructor(path = buildHarness()) {
    const mod = new WebAssembly.Module(readFileSync(path));
    const inst = new WebAssembly.Instance(mod, {
      env: {
        abort: (_m: number, _f: number, l: number, c: number) => { throw new Error(`abort at ${l}:${c}: ${this.str(_m)}`); },
        seed: () => 1,
      },
    });
    this.ex = inst.exports;
    this.mem = this.ex.memory;
  }
  str(ptr: number): string {
    if (!ptr) return "";
    const len = new Uint32Array(this.mem.buffer, ptr - 4, 1)[0];
    return Buffer.from(this.mem.buffer, ptr, len).toString("utf16le");
  }
  load(bytes: Uint8Array): void {
    const p = this.ex.inputBuffer(Math.max(1, bytes.length));
    new Uint8Array(this.mem.buffer, p, bytes.length).set(bytes);
  }
  /** decode the first len bytes of the loaded input */
  decode(len: number, apiKey: number, version: number, resp: boolean, chunk = 0, split = 0, withEvents = true): DecodeResult {
    const status = this.ex.decode(len, apiKey, version, resp ? 1 : 0, chunk, split);
    const ev = withEvents ? this.str(this.ex.events()) : "";
    return {
      status, consumed: this.ex.consumed(), events: ev ? ev.split("\n") : [],
      field: status === 2 ? this.str(this.ex.errorField()) : "", reason: status === 2 ? this.str(this.ex.errorReason()) : "",
      offset: this.ex.errorOffset(), maxNeed: this.ex.maxNeedBytes(),
    };
  }
}

export function harnessExports(hs: Harness): any { return (hs as any).ex; }
