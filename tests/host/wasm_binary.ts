// Minimal WebAssembly binary reader: just enough to see what Envoy's V8 integration checks
// before instantiation (proxy-wasm-cpp-host src/v8/v8.cc V8::link and getFunction):
// import names + function signatures, export names + function signatures.

export type ValType = 'i32' | 'i64' | 'f32' | 'f64' | 'v128' | 'funcref' | 'externref';

export interface FuncType {
  params: ValType[];
  results: ValType[];
}

export interface ImportEntry {
  module: string;
  name: string;
  kind: 'func' | 'table' | 'memory' | 'global' | 'tag';
  type?: FuncType;
}

export interface ExportEntry {
  name: string;
  kind: 'func' | 'table' | 'memory' | 'global' | 'tag';
  index: number;
  type?: FuncType;
}

export interface ModuleInfo {
  imports: ImportEntry[];
  exports: ExportEntry[];
}

const VALTYPES: Record<number, ValType> = {
  0x7f: 'i32', 0x7e: 'i64', 0x7d: 'f32', 0x7c: 'f64', 0x7b: 'v128', 0x70: 'funcref', 0x6f: 'externref',
};
const KINDS = ['func', 'table', 'memory', 'global', 'tag'] as const;

class Reader {
  pos = 0;
  constructor(readonly b: Uint8Array) {}
  byte(): number {
    if (this.pos >= this.b.length) throw new Error('unexpected end of wasm binary');
    return this.b[this.pos++];
  }
  u32(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      const x = this.byte();
      result |= (x & 0x7f) << shift;
      if ((x & 0x80) === 0) break;
      shift += 7;
      if (shift > 35) throw new Error('bad LEB128');
    }
    return result >>> 0;
  }
  name(): string {
    const n = this.u32();
    const s = Buffer.from(this.b.subarray(this.pos, this.pos + n)).toString('utf8');
    this.pos += n;
    return s;
  }
  valtype(): ValType {
    const t = this.byte();
    const v = VALTYPES[t];
    if (!v) throw new Error(`unknown value type 0x${t.toString(16)}`);
    return v;
  }
  limits() {
    const flags = this.byte();
    this.u32();
    if (flags & 1) this.u32();
  }
}

export function sigToString(t: FuncType | undefined): string {
  if (!t) return '?';
  return `(${t.params.join(', ')}) -> (${t.results.join(', ')})`;
}

export function sameSig(a: FuncType, b: FuncType): boolean {
  return (
    a.params.length === b.params.length &&
    a.results.length === b.results.length &&
    a.params.every((p, i) => p === b.params[i]) &&
    a.results.every((p, i) => p === b.results[i])
  );
}

export function parseModule(bytes: Uint8Array): ModuleInfo {
  const r = new Reader(bytes);
  const magic = [0x00, 0x61, 0x73, 0x6d];
  for (const m of magic) if (r.byte() !== m) throw new Error('not a wasm binary (bad magic)');
  for (let i = 0; i < 4; i++) r.byte();
  const types: FuncType[] = [];
  const imports: ImportEntry[] = [];
  const funcTypeIdx: number[] = [];
  const rawExports: Array<{ name: string; kind: ExportEntry['kind']; index: number }> = [];
  let importedFuncs = 0;
  while (r.pos < bytes.length) {
    const id = r.byte();
    const size = r.u32();
    const end = r.pos + size;
    if (id === 1) {
      const n = r.u32();
      for (let i = 0; i < n; i++) {
        const form = r.byte();
        if (form !== 0x60) throw new Error('unsupported type form (GC types?)');
        const np = r.u32();
        const params: ValType[] = [];
        for (let j = 0; j < np; j++) params.push(r.valtype());
        const nr = r.u32();
        const results: ValType[] = [];
        for (let j = 0; j < nr; j++) results.push(r.valtype());
        types.push({ params, results });
      }
    } else if (id === 2) {
      const n = r.u32();
      for (let i = 0; i < n; i++) {
        const module = r.name();
        const name = r.name();
        const k = r.byte();
        const kind = KINDS[k];
        if (!kind) throw new Error('bad import kind');
        const e: ImportEntry = { module, name, kind };
        if (k === 0) {
          e.type = types[r.u32()];
          importedFuncs++;
        } else if (k === 1) {
          r.byte();
          r.limits();
        } else if (k === 2) {
          r.limits();
        } else if (k === 3) {
          r.byte();
          r.byte();
        } else {
          r.byte();
          r.u32();
        }
        imports.push(e);
      }
    } else if (id === 3) {
      const n = r.u32();
      for (let i = 0; i < n; i++) funcTypeIdx.push(r.u32());
    } else if (id === 7) {
      const n = r.u32();
      for (let i = 0; i < n; i++) {
        const name = r.name();
        const kind = KINDS[r.byte()];
        const index = r.u32();
        rawExports.push({ name, kind, index });
      }
    }
    r.pos = end;
  }
  const importFuncTypes = imports.filter((i) => i.kind === 'func').map((i) => i.type!);
  const exports: ExportEntry[] = rawExports.map((e) => {
    let type: FuncType | undefined;
    if (e.kind === 'func') {
      type = e.index < importedFuncs ? importFuncTypes[e.index] : types[funcTypeIdx[e.index - importedFuncs]];
    }
    return { ...e, type };
  });
  return { imports, exports };
}
