// Compiles resolved layouts into "field programs": byte-coded blocks, deduplicated globally.
//
// Block = sequence of ops ending with OP_END. Every op except OP_END starts with a 4-byte header
//   [op u8][role u8][name u16 LE]   (name = index into FIELD_NAMES, 0xFFFF = unnamed array element)
// followed by operands:
//   OP_FIX       size u8                       fixed-size primitive (1,2,4,8,16 bytes)
//   OP_STR       flags u8                      string   (flags: 1 compact, 2 nullable)
//   OP_BYTES     flags u8                      bytes    (always skipped by count)
//   OP_RECORDS   flags u8                      records  (record batches walked by header)
//   OP_ARRAY     flags u8, entry u8, block u16 array of struct/string elements (element block)
//   OP_ARRAY_FIX flags u8, size u8             array of fixed-size primitives (skipped by count)
//   OP_STRUCT    flags u8, block u16           struct field (nullable: int8 marker, <0 = null)
//   OP_TAGS      n u8, n x (tag u16, block u16) tagged-field section of a flexible struct
import { type LField, type LStruct, type LType, PRIM_SIZE } from "./model.ts";

export const OPS = {
  OP_END: 0, OP_FIX: 1, OP_STR: 2, OP_BYTES: 3, OP_RECORDS: 4, OP_ARRAY: 5, OP_ARRAY_FIX: 6,
  OP_STRUCT: 7, OP_TAGS: 8,
} as const;
export const F_COMPACT = 1, F_NULLABLE = 2;
export const NO_NAME = 0xffff;
export const MAX_FRAMES = 32;

export class Compiler {
  names: string[] = [];
  private nameIx = new Map<string, number>();
  blocks: number[][] = [];
  private blockIx = new Map<string, number>();
  depth: number[] = []; // frames needed to execute each block

  name(n: string): number {
    let i = this.nameIx.get(n);
    if (i === undefined) { i = this.names.length; this.names.push(n); this.nameIx.set(n, i); }
    return i;
  }

  private intern(bytes: number[], depth: number): number {
    const key = bytes.join(",");
    let i = this.blockIx.get(key);
    if (i === undefined) {
      i = this.blocks.length;
      if (i > 0xfffe) throw new Error("too many blocks");
      this.blocks.push(bytes); this.blockIx.set(key, i); this.depth.push(depth);
    }
    return i;
  }

  /** Returns [bytes, extra frame depth] of one field op. */
  private field(f: LField, name: number, flexible: boolean): [number[], number] {
    const hdr = (op: number) => [op, f.role, name & 0xff, name >> 8];
    const flags = (flexible ? F_COMPACT : 0) | (f.nullable ? F_NULLABLE : 0);
    const t = f.type;
    switch (t.k) {
      case "prim": return [[...hdr(OPS.OP_FIX), PRIM_SIZE[t.p]], 0];
      case "string": return [[...hdr(OPS.OP_STR), flags], 0];
      case "bytes": return [[...hdr(OPS.OP_BYTES), flags], 0];
      case "records": return [[...hdr(OPS.OP_RECORDS), flags], 0];
      case "struct": {
        const b = this.struct(t.s);
        return [[...hdr(OPS.OP_STRUCT), flags, b & 0xff, b >> 8], this.depth[b]];
      }
      case "array": {
        const e = t.elem;
        if (e.k === "prim") return [[...hdr(OPS.OP_ARRAY_FIX), flags, PRIM_SIZE[e.p]], 0];
        let b: number;
        if (e.k === "struct") b = this.struct(e.s);
        else {
          const ef: LField = { name: "", type: e as LType, nullable: false, tag: -1, role: f.role };
          const [ops, d] = this.field(ef, NO_NAME, flexible);
          b = this.intern([...ops, OPS.OP_END], 1 + d);
        }
        return [[...hdr(OPS.OP_ARRAY), flags, t.entry, b & 0xff, b >> 8], 1 + this.depth[b]];
      }
    }
  }

  struct(s: LStruct): number {
    const out: number[] = [];
    let d = 0;
    for (const f of s.fields) {
      const [ops, fd] = this.field(f, this.name(f.name), s.flexible);
      out.push(...ops); d = Math.max(d, fd);
    }
    if (s.flexible) {
      const entries: number[] = [];
      for (const f of s.tagged) {
        const [ops, fd] = this.field(f, this.name(f.name), true);
        const b = this.intern([...ops, OPS.OP_END], 1 + fd);
        if (f.tag > 0xffff) throw new Error("tag too large");
        entries.push(f.tag & 0xff, f.tag >> 8, b & 0xff, b >> 8);
        d = Math.max(d, 1 + this.depth[b]);
      }
      if (s.tagged.length > 255) throw new Error("too many tagged fields");
      out.push(OPS.OP_TAGS, 0, 0xff, 0xff, s.tagged.length, ...entries);
    }
    out.push(OPS.OP_END);
    const depth = 1 + d;
    if (depth > MAX_FRAMES) throw new Error(`struct ${s.name} needs ${depth} frames`);
    return this.intern(out, depth);
  }
}
