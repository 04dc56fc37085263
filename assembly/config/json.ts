// A small JSON parser for the plugin configuration (AssemblyScript has none built in).
// Errors carry the byte offset; nesting is capped so a hostile config cannot exhaust the stack.

export const J_NULL: i32 = 0;
export const J_BOOL: i32 = 1;
export const J_NUMBER: i32 = 2;
export const J_STRING: i32 = 3;
export const J_ARRAY: i32 = 4;
export const J_OBJECT: i32 = 5;

const MAX_DEPTH: i32 = 32;

export class JsonValue {
  kind: i32 = J_NULL;
  bool: bool = false;
  number: f64 = 0;
  isInteger: bool = false;
  text: string = "";
  items: JsonValue[] = [];
  keys: string[] = [];

  get(key: string): JsonValue | null {
    for (let i = 0; i < this.keys.length; i++) if (this.keys[i] == key) return this.items[i];
    return null;
  }
}

export function kindName(kind: i32): string {
  if (kind == J_NULL) return "null";
  if (kind == J_BOOL) return "boolean";
  if (kind == J_NUMBER) return "number";
  if (kind == J_STRING) return "string";
  if (kind == J_ARRAY) return "array";
  return "object";
}

export class JsonParser {
  error: string = "";
  /** Where the error is, as a field path ("policy.client_id.allowed[0]"; "" at the top level). */
  errorPath: string = "";
  private pos: i32 = 0;
  private text: string = "";
  /** Path of the value being parsed: object keys and array indexes. */
  private path: string[] = [];

  parse(text: string): JsonValue | null {
    this.text = text;
    this.pos = 0;
    this.error = "";
    this.errorPath = "";
    this.path = [];
    const v = this.value(0);
    if (v === null) return null;
    this.space();
    if (this.pos < text.length) return this.fail("unexpected text after the JSON value");
    return v;
  }

  private fail(message: string): JsonValue | null {
    if (this.error.length == 0) {
      this.error = message + " at offset " + this.pos.toString();
      let p = "";
      for (let i = 0; i < this.path.length; i++) {
        const seg = this.path[i];
        p += seg.startsWith("[") || p.length == 0 ? seg : "." + seg;
      }
      this.errorPath = p;
    }
    return null;
  }

  private space(): void {
    while (this.pos < this.text.length) {
      const c = this.text.charCodeAt(this.pos);
      if (c != 0x20 && c != 0x09 && c != 0x0a && c != 0x0d) break;
      this.pos++;
    }
  }

  private value(depth: i32): JsonValue | null {
    if (depth > MAX_DEPTH) return this.fail("nesting deeper than " + MAX_DEPTH.toString());
    this.space();
    if (this.pos >= this.text.length) return this.fail("unexpected end of input");
    const c = this.text.charCodeAt(this.pos);
    if (c == 0x7b) return this.object(depth);
    if (c == 0x5b) return this.array(depth);
    if (c == 0x22) {
      const s = this.string();
      if (s === null) return null;
      const v = new JsonValue();
      v.kind = J_STRING;
      v.text = s;
      return v;
    }
    if (this.word("true")) return boolValue(true);
    if (this.word("false")) return boolValue(false);
    if (this.word("null")) return new JsonValue();
    return this.numberValue();
  }

  private word(w: string): bool {
    if (this.text.substr(this.pos, w.length) == w) {
      this.pos += w.length;
      return true;
    }
    return false;
  }

  /** Digits from pos; returns how many. */
  private digits(): i32 {
    let n = 0;
    while (this.pos < this.text.length) {
      const c = this.text.charCodeAt(this.pos);
      if (c < 0x30 || c > 0x39) break;
      this.pos++;
      n++;
    }
    return n;
  }

  /** RFC 8259 number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
  private numberValue(): JsonValue | null {
    const start = this.pos;
    let integer = true;
    if (this.pos < this.text.length && this.text.charCodeAt(this.pos) == 0x2d) this.pos++;
    const intStart = this.pos;
    const intDigits = this.digits();
    if (intDigits == 0) {
      this.pos = start;
      return this.fail("expected a value");
    }
    if (intDigits > 1 && this.text.charCodeAt(intStart) == 0x30) {
      this.pos = intStart;
      return this.fail("number with a leading zero");
    }
    if (this.pos < this.text.length && this.text.charCodeAt(this.pos) == 0x2e) {
      integer = false;
      this.pos++;
      if (this.digits() == 0) return this.fail("expected digits after the decimal point");
    }
    if (this.pos < this.text.length && (this.text.charCodeAt(this.pos) | 0x20) == 0x65) {
      integer = false;
      this.pos++;
      if (this.pos < this.text.length && (this.text.charCodeAt(this.pos) == 0x2b || this.text.charCodeAt(this.pos) == 0x2d)) this.pos++;
      if (this.digits() == 0) return this.fail("expected digits in the exponent");
    }
    const v = new JsonValue();
    v.kind = J_NUMBER;
    v.number = parseFloat(this.text.substring(start, this.pos));
    if (isNaN(v.number)) {
      this.pos = start;
      return this.fail("bad number");
    }
    v.isInteger = integer;
    return v;
  }

  private string(): string | null {
    this.pos++; // opening quote
    let out = "";
    let runStart = this.pos;
    while (this.pos < this.text.length) {
      const c = this.text.charCodeAt(this.pos);
      if (c == 0x22) {
        out += this.text.substring(runStart, this.pos);
        this.pos++;
        return out;
      }
      if (c < 0x20) {
        this.fail("control character in string");
        return null;
      }
      if (c == 0x5c) {
        out += this.text.substring(runStart, this.pos);
        this.pos++;
        if (this.pos >= this.text.length) break;
        const e = this.text.charCodeAt(this.pos);
        if (e == 0x6e) out += "\n";
        else if (e == 0x74) out += "\t";
        else if (e == 0x72) out += "\r";
        else if (e == 0x62) out += "\b";
        else if (e == 0x66) out += "\f";
        else if (e == 0x22 || e == 0x5c || e == 0x2f) out += String.fromCharCode(e);
        else if (e == 0x75) {
          let code = 0;
          for (let k = 1; k <= 4; k++) {
            const h = this.pos + k < this.text.length ? hexValue(this.text.charCodeAt(this.pos + k)) : -1;
            if (h < 0) {
              this.fail("bad \\u escape (needs 4 hex digits)");
              return null;
            }
            code = (code << 4) | h;
          }
          out += String.fromCharCode(code);
          this.pos += 4;
        } else {
          this.fail("bad escape");
          return null;
        }
        this.pos++;
        runStart = this.pos;
        continue;
      }
      this.pos++;
    }
    this.fail("unterminated string");
    return null;
  }

  private array(depth: i32): JsonValue | null {
    this.pos++;
    const v = new JsonValue();
    v.kind = J_ARRAY;
    this.space();
    if (this.pos < this.text.length && this.text.charCodeAt(this.pos) == 0x5d) {
      this.pos++;
      return v;
    }
    while (true) {
      this.path.push("[" + v.items.length.toString() + "]");
      const item = this.value(depth + 1);
      if (item === null) return null;
      this.path.pop();
      v.items.push(item);
      this.space();
      if (this.pos >= this.text.length) return this.fail("unterminated array");
      const c = this.text.charCodeAt(this.pos++);
      if (c == 0x5d) return v;
      if (c != 0x2c) {
        this.pos--;
        return this.fail("expected ',' or ']'");
      }
    }
  }

  private object(depth: i32): JsonValue | null {
    this.pos++;
    const v = new JsonValue();
    v.kind = J_OBJECT;
    this.space();
    if (this.pos < this.text.length && this.text.charCodeAt(this.pos) == 0x7d) {
      this.pos++;
      return v;
    }
    while (true) {
      this.space();
      if (this.pos >= this.text.length || this.text.charCodeAt(this.pos) != 0x22) return this.fail("expected a quoted key");
      const key = this.string();
      if (key === null) return null;
      this.space();
      if (this.pos >= this.text.length || this.text.charCodeAt(this.pos) != 0x3a) return this.fail("expected ':'");
      this.pos++;
      this.path.push(key);
      const item = this.value(depth + 1);
      if (item === null) return null;
      if (v.get(key) !== null) return this.fail("duplicate key \"" + key + "\"");
      this.path.pop();
      v.keys.push(key);
      v.items.push(item);
      this.space();
      if (this.pos >= this.text.length) return this.fail("unterminated object");
      const c = this.text.charCodeAt(this.pos++);
      if (c == 0x7d) return v;
      if (c != 0x2c) {
        this.pos--;
        return this.fail("expected ',' or '}'");
      }
    }
  }
}

function hexValue(c: i32): i32 {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return -1;
}

function boolValue(b: bool): JsonValue {
  const v = new JsonValue();
  v.kind = J_BOOL;
  v.bool = b;
  return v;
}
