// Loads Kafka's JSON message specs (common/message/*.json) from the kafka-clients jar
// (or a fallback directory) and parses version ranges. Used by the generator and by tests.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

export const KAFKA_VERSION = "4.1.1";
export const DEFAULT_JAR = join(homedir(), ".m2/repository/org/apache/kafka/kafka-clients", KAFKA_VERSION,
  `kafka-clients-${KAFKA_VERSION}.jar`);
export const FALLBACK_DIR = "/work/shared/kafka-message-specs";

export interface Range { lo: number; hi: number } // hi = Infinity for "N+"; lo > hi for "none"

export function parseRange(s: string | undefined, dflt = "none"): Range {
  const t = (s ?? dflt).trim();
  if (t === "none") return { lo: 1, hi: 0 };
  if (t.endsWith("+")) return { lo: parseInt(t), hi: Infinity };
  const m = /^(\d+)(?:-(\d+))?$/.exec(t);
  if (!m) throw new Error(`bad version range '${t}'`);
  return { lo: +m[1], hi: m[2] !== undefined ? +m[2] : +m[1] };
}
export const inRange = (r: Range, v: number) => v >= r.lo && v <= r.hi;

export interface RawField {
  name: string; type: string; versions?: string; nullableVersions?: string; taggedVersions?: string;
  tag?: number; entityType?: string; fields?: RawField[]; flexibleVersions?: string;
}
export interface RawStruct { name: string; versions?: string; fields: RawField[] }
export interface RawMessage {
  apiKey?: number; type: string; name: string; validVersions: string; flexibleVersions: string;
  latestVersionUnstable?: boolean; fields: RawField[]; commonStructs?: RawStruct[];
}

/** Remove // line comments (outside of strings) so the text parses as JSON. */
export function stripComments(text: string): string {
  let out = "", inStr = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inStr) {
      out += c;
      if (c === "\\") { out += text[++i] ?? ""; continue; }
      if (c === '"') inStr = false;
      continue;
    }
    if (c === '"') { inStr = true; out += c; continue; }
    if (c === "/" && text[i + 1] === "/") { while (i < text.length && text[i] !== "\n") i++; out += "\n"; continue; }
    out += c;
  }
  return out;
}

export interface SpecSource { origin: string; files: Map<string, string> }

export function loadSpecFiles(jar = process.env.KAFKA_CLIENTS_JAR ?? DEFAULT_JAR): SpecSource {
  const files = new Map<string, string>();
  if (existsSync(jar)) {
    const list = execFileSync("unzip", ["-Z1", jar], { encoding: "utf8", maxBuffer: 64 << 20 })
      .split("\n").filter((n) => /^common\/message\/[A-Za-z]+\.json$/.test(n));
    for (const n of list) {
      files.set(n.slice("common/message/".length),
        execFileSync("unzip", ["-p", jar, n], { encoding: "utf8", maxBuffer: 16 << 20 }));
    }
    if (files.size > 0) return { origin: `kafka-clients-${KAFKA_VERSION}.jar`, files };
  }
  if (existsSync(FALLBACK_DIR)) {
    for (const n of readdirSync(FALLBACK_DIR).filter((n) => n.endsWith(".json")))
      files.set(n, readFileSync(join(FALLBACK_DIR, n), "utf8"));
    if (files.size > 0) return { origin: FALLBACK_DIR, files };
  }
  throw new Error(`no Kafka message specs: run 'mvn -q dependency:get -Dartifact=org.apache.kafka:kafka-clients:${KAFKA_VERSION}'`);
}

export interface ApiSpec { apiKey: number; name: string; request: RawMessage; response: RawMessage }

/** Every API key a request spec names, with its name, including APIs removed ("none") in this version. */
export function loadApiKeys(src: SpecSource = loadSpecFiles()): Array<{ apiKey: number; name: string; removed: boolean }> {
  const out: Array<{ apiKey: number; name: string; removed: boolean }> = [];
  for (const [, text] of src.files) {
    const m = JSON.parse(stripComments(text)) as RawMessage;
    if (m.apiKey === undefined || m.type !== "request") continue;
    const r = parseRange(m.validVersions);
    out.push({ apiKey: m.apiKey, name: m.name.replace(/Request$/, ""), removed: r.lo > r.hi });
  }
  return out.sort((a, b) => a.apiKey - b.apiKey);
}

export function loadApis(src: SpecSource = loadSpecFiles()): ApiSpec[] {
  const req = new Map<number, RawMessage>(), resp = new Map<number, RawMessage>();
  for (const [, text] of [...src.files].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const m = JSON.parse(stripComments(text)) as RawMessage;
    if (m.apiKey === undefined) continue;
    if (m.type === "request") req.set(m.apiKey, m);
    else if (m.type === "response") resp.set(m.apiKey, m);
  }
  const apis: ApiSpec[] = [];
  for (const [k, r] of [...req].sort((a, b) => a[0] - b[0])) {
    const s = resp.get(k);
    if (!s) throw new Error(`no response spec for api key ${k}`);
    if (parseRange(r.validVersions).lo > parseRange(r.validVersions).hi) continue; // removed API ("none")
    apis.push({ apiKey: k, name: r.name.replace(/Request$/, ""), request: r, response: s });
  }
  return apis;
}
