// The `policy` section of the plugin configuration: which APIs and versions clients may use,
// which client ids may connect, and rules for Produce requests. Validated at configure time:
// API and compression names must exist, so a typo cannot silently disable a rule.
import { ObjectReader } from "./object_reader";
import { apiKeyCount, apiName } from "../protocol/api_table";
import { API_KEY_API_VERSIONS } from "../protocol/generated/apis";

export const MODE_AUDIT: i32 = 0;
export const MODE_ENFORCE: i32 = 1;

export const COMPRESSION_NAMES: string[] = ["none", "gzip", "snappy", "lz4", "zstd"];

export class PolicyConfig {
  /** False when no policy is configured: nothing is checked. */
  enabled: bool = false;
  mode: i32 = MODE_ENFORCE;
  /** Per API key: allowed at all (ApiVersions always is: clients need it to negotiate). */
  apiAllowed: StaticArray<bool>;
  /** Per API key: lowest version allowed (0 = any). */
  minVersion: StaticArray<i16>;
  clientIdRequired: bool = false;
  clientIdAllowed: string[] = [];
  clientIdDenied: string[] = [];
  /** Bit per compression codec (1 << codec) allowed in Produce record batches; 0 = any. */
  produceCodecs: i32 = 0;
  produceMaxBytes: i32 = 0;
  /** Allowed Produce acks values; empty = any. */
  produceAcks: i32[] = [];
  produceDenyTransactional: bool = false;

  constructor() {
    this.apiAllowed = new StaticArray<bool>(apiKeyCount());
    this.minVersion = new StaticArray<i16>(apiKeyCount());
    for (let i = 0; i < this.apiAllowed.length; i++) this.apiAllowed[i] = true;
  }
}

function apiKeyByName(name: string): i32 {
  for (let k = 0; k < apiKeyCount(); k++) if (apiName(k) == name) return k;
  return -1;
}

/** Reads `policy`; errors land in the reader's result. */
export function readPolicy(r: ObjectReader): PolicyConfig {
  const p = new PolicyConfig();
  p.enabled = true;
  r.onlyKeys(["mode", "allowed_apis", "denied_apis", "min_versions", "client_id", "produce"]);
  p.mode = r.str("mode", "enforce", ["enforce", "audit"]) == "audit" ? MODE_AUDIT : MODE_ENFORCE;

  const allowed = r.strings("allowed_apis");
  if (allowed !== null) {
    for (let k = 0; k < p.apiAllowed.length; k++) p.apiAllowed[k] = k == <i32>API_KEY_API_VERSIONS;
    for (let i = 0; i < allowed.length; i++) {
      const key = apiKeyByName(allowed[i]);
      if (key < 0) r.fail("allowed_apis[" + i.toString() + "]", "unknown API \"" + allowed[i] + "\" (names as in docs/protocol-support.md)");
      else p.apiAllowed[key] = true;
    }
  }
  const denied = r.strings("denied_apis");
  if (denied !== null) {
    for (let i = 0; i < denied.length; i++) {
      const key = apiKeyByName(denied[i]);
      if (key < 0) r.fail("denied_apis[" + i.toString() + "]", "unknown API \"" + denied[i] + "\"");
      else if (key == <i32>API_KEY_API_VERSIONS) r.fail("denied_apis[" + i.toString() + "]", "ApiVersions cannot be denied: clients need it to connect");
      else p.apiAllowed[key] = false;
    }
  }
  const versions = r.object("min_versions");
  if (versions !== null) {
    const names = versions.keys();
    for (let i = 0; i < names.length; i++) {
      const key = apiKeyByName(names[i]);
      if (key < 0) versions.fail(names[i], "unknown API");
      else p.minVersion[key] = <i16>versions.int(names[i], 0, 0, 32767);
    }
  }
  const client = r.object("client_id");
  if (client !== null) {
    client.onlyKeys(["required", "allowed", "denied"]);
    p.clientIdRequired = client.bool("required", false);
    const a = client.strings("allowed");
    if (a !== null) p.clientIdAllowed = a;
    const d = client.strings("denied");
    if (d !== null) p.clientIdDenied = d;
  }
  const produce = r.object("produce");
  if (produce !== null) {
    produce.onlyKeys(["allowed_compression", "max_records_bytes", "allowed_acks", "deny_transactional"]);
    const codecs = produce.strings("allowed_compression");
    if (codecs !== null) {
      for (let i = 0; i < codecs.length; i++) {
        const c = COMPRESSION_NAMES.indexOf(codecs[i]);
        if (c < 0) produce.fail("allowed_compression[" + i.toString() + "]", "unknown compression \"" + codecs[i] + "\" (known: " + COMPRESSION_NAMES.join(", ") + ")");
        else p.produceCodecs |= 1 << c;
      }
    }
    p.produceMaxBytes = produce.int("max_records_bytes", 0, 0, 1073741824);
    const acks = produce.ints("allowed_acks", -1, 1);
    if (acks !== null) p.produceAcks = acks;
    p.produceDenyTransactional = produce.bool("deny_transactional", false);
  }
  return p;
}
