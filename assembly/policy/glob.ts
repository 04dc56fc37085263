// Glob patterns for client-id rules: `*` matches any run of characters, everything else is literal.
// Linear-time matching (greedy with one backtrack point), so a hostile client id cannot make it slow.
export function globMatch(pattern: string, text: string): bool {
  let p = 0;
  let t = 0;
  let star = -1;
  let mark = 0;
  while (t < text.length) {
    if (p < pattern.length && pattern.charCodeAt(p) != 0x2a && pattern.charCodeAt(p) == text.charCodeAt(t)) {
      p++;
      t++;
    } else if (p < pattern.length && pattern.charCodeAt(p) == 0x2a) {
      star = p++;
      mark = t;
    } else if (star >= 0) {
      p = star + 1;
      t = ++mark;
    } else return false;
  }
  while (p < pattern.length && pattern.charCodeAt(p) == 0x2a) p++;
  return p == pattern.length;
}

export function matchesAny(patterns: string[], text: string): bool {
  for (let i = 0; i < patterns.length; i++) if (globMatch(patterns[i], text)) return true;
  return false;
}
