// Label values come from clients (client ids, topic names): sanitise them and cap how many
// distinct values each label may take per VM, so that no client can blow up Prometheus.

/** Longest label value kept. */
export const MAX_LABEL_LENGTH: i32 = 64;
/** Where values past a label's cap go. */
export const OTHER: string = "other";

/**
 * Keeps [A-Za-z0-9._-] and turns anything else into '_'. That also removes the characters of
 * Envoy/Istio's tag syntax (`=.=` and `;.;`), so a value cannot inject a label.
 */
export function sanitizeLabel(value: string): string {
  // The same string object comes back frame after frame (the decoders reuse equal strings).
  if (changetype<usize>(value) == changetype<usize>(lastRaw)) return lastClean;
  const clean = sanitize(value);
  lastRaw = value; // kept alive by this reference, so its address cannot be reused
  lastClean = clean;
  return clean;
}

let lastRaw: string = "";
let lastClean: string = "none";

function sanitize(value: string): string {
  if (value.length == 0) return "none";
  const n = min(value.length, MAX_LABEL_LENGTH);
  let clean = true;
  for (let i = 0; i < n; i++) {
    if (!isLabelChar(value.charCodeAt(i))) {
      clean = false;
      break;
    }
  }
  if (clean) return n == value.length ? value : value.substring(0, n);
  const out = new Array<string>(n);
  for (let i = 0; i < n; i++) {
    const c = value.charCodeAt(i);
    out[i] = isLabelChar(c) ? String.fromCharCode(c) : "_";
  }
  return out.join("");
}

function isLabelChar(c: i32): bool {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c == 0x2e || c == 0x5f || c == 0x2d;
}

/** Admits at most `cap` distinct values of one label; later new values become "other". */
export class LabelLimiter {
  private seen: Set<string> = new Set<string>();
  /** The value admitted last (same object: no hashing); only values under the cap are kept here. */
  private lastAdmitted: string | null = null;
  overflowed: i64 = 0;

  constructor(public cap: i32) {}

  admit(sanitized: string): string {
    if (changetype<usize>(sanitized) == changetype<usize>(this.lastAdmitted)) return sanitized;
    if (this.seen.has(sanitized)) {
      this.lastAdmitted = sanitized;
      return sanitized;
    }
    if (this.seen.size >= this.cap) {
      this.overflowed++;
      return OTHER;
    }
    this.seen.add(sanitized);
    return sanitized;
  }

  /** Whether `sanitized` was admitted (does not admit it). */
  has(sanitized: string): bool {
    return this.seen.has(sanitized);
  }

  distinct(): i32 {
    return this.seen.size;
  }
}
