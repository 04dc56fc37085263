// Reads one JSON object of the configuration, recording the first error with the full field
// path (e.g. "policy.client_id.allowed[2]"), so a bad configuration names what is wrong.
import { JsonValue, J_OBJECT, J_BOOL, J_NUMBER, J_STRING, J_ARRAY, kindName } from "./json";

/** The first error found in one configuration; every reader of that configuration shares it. */
export class ConfigError {
  message: string = "";
}

export class ObjectReader {
  constructor(public error: ConfigError, public obj: JsonValue, public path: string) {}

  ok(): bool {
    return this.error.message.length == 0;
  }

  fail(field: string, message: string): void {
    if (this.ok()) this.error.message = "invalid plugin configuration: field \"" + this.path + field + "\": " + message;
  }

  /** Rejects keys not in `allowed`. */
  onlyKeys(allowed: string[]): void {
    for (let i = 0; i < this.obj.keys.length; i++) {
      const key = this.obj.keys[i];
      if (!allowed.includes(key)) this.fail(key, "unknown field (known: " + allowed.join(", ") + ")");
    }
  }

  bool(key: string, fallback: bool): bool {
    const v = this.obj.get(key);
    if (v === null) return fallback;
    if (v.kind != J_BOOL) {
      this.fail(key, "expected a boolean, got " + kindName(v.kind));
      return fallback;
    }
    return v.bool;
  }

  int(key: string, fallback: i32, lowest: i32, highest: i32): i32 {
    const v = this.obj.get(key);
    if (v === null) return fallback;
    if (v.kind != J_NUMBER || !v.isInteger) {
      this.fail(key, "expected an integer, got " + (v.kind == J_NUMBER ? "a fraction" : kindName(v.kind)));
      return fallback;
    }
    if (v.number < <f64>lowest || v.number > <f64>highest) {
      this.fail(key, "must be between " + lowest.toString() + " and " + highest.toString() + ", got " + v.number.toString());
      return fallback;
    }
    return <i32>v.number;
  }

  object(key: string): ObjectReader | null {
    const v = this.obj.get(key);
    if (v === null) return null;
    if (v.kind != J_OBJECT) {
      this.fail(key, "expected an object, got " + kindName(v.kind));
      return null;
    }
    return new ObjectReader(this.error, v, this.path + key + ".");
  }

  str(key: string, fallback: string, allowed: string[]): string {
    const v = this.obj.get(key);
    if (v === null) return fallback;
    if (v.kind != J_STRING) {
      this.fail(key, "expected a string, got " + kindName(v.kind));
      return fallback;
    }
    if (allowed.length > 0 && !allowed.includes(v.text)) {
      this.fail(key, "must be one of " + allowed.join(", ") + ", got \"" + v.text + "\"");
      return fallback;
    }
    return v.text;
  }

  /** An array of strings; null when absent. */
  strings(key: string): string[] | null {
    const v = this.obj.get(key);
    if (v === null) return null;
    if (v.kind != J_ARRAY) {
      this.fail(key, "expected an array of strings, got " + kindName(v.kind));
      return null;
    }
    const out: string[] = [];
    for (let i = 0; i < v.items.length; i++) {
      const item = v.items[i];
      if (item.kind != J_STRING) {
        this.fail(key + "[" + i.toString() + "]", "expected a string, got " + kindName(item.kind));
        return null;
      }
      out.push(item.text);
    }
    return out;
  }

  /** An array of integers in [lowest, highest]; null when absent. */
  ints(key: string, lowest: i32, highest: i32): i32[] | null {
    const v = this.obj.get(key);
    if (v === null) return null;
    if (v.kind != J_ARRAY) {
      this.fail(key, "expected an array of integers, got " + kindName(v.kind));
      return null;
    }
    const out: i32[] = [];
    for (let i = 0; i < v.items.length; i++) {
      const item = v.items[i];
      if (item.kind != J_NUMBER || !item.isInteger || item.number < <f64>lowest || item.number > <f64>highest) {
        this.fail(key + "[" + i.toString() + "]", "expected an integer between " + lowest.toString() + " and " + highest.toString());
        return null;
      }
      out.push(<i32>item.number);
    }
    return out;
  }

  keys(): string[] {
    return this.obj.keys;
  }
}
