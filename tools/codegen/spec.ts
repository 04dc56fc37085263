// Loads Kafka's JSON message specs (common/message/*.json) from the kafka-clients jar of the
// project's Kafka version (tests/kafka/pom.xml's kafka.version, the jar cache of
// tests/kafka/kafka-deps.sh), or
// from a directory of spec files named by KAFKA_MESSAGE_SPECS, and parses version ranges. Used by
// the generator and by tests.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const KAFKA_VERSION = process.env.KAFKA_VERSION ?? /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(readFileSync(join(ROOT, "tests/kafka/pom.xml"), "utf8"))![1];

/** The cached kafka-clients jar (fetched by tests/kafka/kafka-deps.sh when missing); "" when it cannot be had. */
export function kafkaClientsJar(): string {
  try {
    return execFileSync("bash", [join(ROOT, "tests/kafka/kafka-deps.sh"), "--clients-jar"], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] }).trim();
  } catch {
    return "";
  }
}

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

export function loadSpecFiles(): SpecSource {
  const files = new Map<string, string>();
  const dir = process.env.KAFKA_MESSAGE_SPECS;
  if (dir) {
    for (const n of readdirSync(dir).filter((n) => n.endsWith(".json")))
      files.set(n, readFileSync(join(dir, n), "utf8"));
    if (files.size > 0) return { origin: `kafka-clients-${KAFKA_VERSION}.jar`, files };
  }
  const jar = kafkaClientsJar();
  if (jar && existsSync(jar)) {
    const list = execFileSync("unzip", ["-Z1", jar], { encoding: "utf8", maxBuffer: 64 << 20 })
      .split("\n").filter((n) => /^common\/message\/[A-Za-z]+\.json$/.test(n));
    for (const n of list) {
      files.set(n.slice("common/message/".length),
        execFileSync("unzip", ["-p", jar, n], { encoding: "utf8", maxBuffer: 16 << 20 }));
    }
    if (files.size > 0) return { origin: `kafka-clients-${KAFKA_VERSION}.jar`, files };
  }
  throw new Error(`no Kafka message specs: tests/kafka/kafka-deps.sh could not fetch kafka-clients ${KAFKA_VERSION} (or set KAFKA_MESSAGE_SPECS to a directory of its common/message/*.json)`);
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
