// Resolves a message spec at one version into a layout tree (fields present, wire types,
// nullability, tags) and tags fields with semantic roles. Shared by the generator and the test encoder.
import { ENTRIES, ROLES } from "./roles.ts";
import { type ApiSpec, inRange, parseRange, type RawField, type RawMessage } from "./spec.ts";

export type Prim = "int8" | "int16" | "int32" | "int64" | "uint16" | "uint32" | "float64" | "bool" | "uuid";
export const PRIM_SIZE: Record<Prim, number> = {
  int8: 1, int16: 2, int32: 4, int64: 8, uint16: 2, uint32: 4, float64: 8, bool: 1, uuid: 16,
};
export type LType =
  | { k: "prim"; p: Prim }
  | { k: "string" }
  | { k: "bytes" }
  | { k: "records" }
  | { k: "array"; elem: LType; entry: number }
  | { k: "struct"; s: LStruct };
export interface LField { name: string; type: LType; nullable: boolean; tag: number; role: number }
export interface LStruct { name: string; fields: LField[]; tagged: LField[]; flexible: boolean }

interface Ctx { api: string; resp: boolean; root: boolean; entry: number; flexible: boolean; version: number }

const PART_NAMES = new Set(["PartitionIndex", "Index", "Partition", "PartitionId"]);

function isPrim(t: string): t is Prim { return t in PRIM_SIZE; }

function structRegistry(msg: RawMessage): Map<string, RawField[]> {
  const reg = new Map<string, RawField[]>();
  const walk = (fs: RawField[]) => {
    for (const f of fs) {
      if (f.fields) {
        reg.set(f.type.replace(/^\[\]/, ""), f.fields);
        walk(f.fields);
      }
    }
  };
  walk(msg.fields);
  for (const cs of msg.commonStructs ?? []) { reg.set(cs.name, cs.fields); walk(cs.fields); }
  return reg;
}

function presentAt(f: RawField, v: number): boolean {
  if (inRange(parseRange(f.versions, "0+"), v)) return true;
  return f.tag !== undefined && inRange(parseRange(f.taggedVersions), v);
}
function taggedAt(f: RawField, v: number): boolean {
  return f.tag !== undefined && inRange(parseRange(f.taggedVersions), v);
}

function entryOf(fields: RawField[], v: number, parentEntry: number): number {
  const present = fields.filter((f) => presentAt(f, v));
  if (present.some((f) => (f.type === "string" && f.entityType === "topicName") || (f.type === "uuid" && f.name === "TopicId")))
    return ENTRIES.E_TOPIC;
  if (parentEntry === ENTRIES.E_TOPIC && present.some((f) => f.type === "int32" && PART_NAMES.has(f.name)))
    return ENTRIES.E_PARTITION;
  if (present.some((f) => f.type === "string" && f.entityType === "groupId")) return ENTRIES.E_GROUP;
  if (present.some((f) => f.type === "string" && f.name === "ResourceName")) return ENTRIES.E_RESOURCE;
  return ENTRIES.E_NONE;
}

function roleOf(f: RawField, ctx: Ctx): number {
  const t = f.type, n = f.name;
  if (t === "string") {
    if (f.entityType === "topicName" && ctx.entry === ENTRIES.E_TOPIC) return ROLES.R_TOPIC_NAME;
    if (f.entityType === "groupId") return ROLES.R_GROUP_ID;
    if (f.entityType === "transactionalId") return ROLES.R_TRANSACTIONAL_ID;
    if (ctx.api === "ApiVersions" && !ctx.resp && ctx.root && n === "ClientSoftwareName") return ROLES.R_CLIENT_SOFTWARE_NAME;
    if (ctx.api === "ApiVersions" && !ctx.resp && ctx.root && n === "ClientSoftwareVersion") return ROLES.R_CLIENT_SOFTWARE_VERSION;
    if (ctx.api === "SaslHandshake" && !ctx.resp && ctx.root && n === "Mechanism") return ROLES.R_SASL_MECHANISM;
    if (n === "ResourceName" && ctx.entry === ENTRIES.E_RESOURCE) return ROLES.R_RESOURCE_NAME;
    return ROLES.R_NONE;
  }
  if (t === "uuid" && n === "TopicId" && ctx.entry === ENTRIES.E_TOPIC) return ROLES.R_TOPIC_ID;
  if (t === "int32" && PART_NAMES.has(n) && ctx.entry === ENTRIES.E_PARTITION) return ROLES.R_PARTITION_INDEX;
  if (t === "int16" && n.endsWith("ErrorCode")) return ROLES.R_ERROR_CODE;
  if (t === "int32" && n === "ThrottleTimeMs" && ctx.root && ctx.resp) return ROLES.R_THROTTLE_TIME_MS;
  if (t === "int16" && n === "Acks" && ctx.root && !ctx.resp && ctx.api === "Produce") return ROLES.R_ACKS;
  if (t === "int64") {
    if (n === "FetchOffset" && ctx.api === "Fetch" && !ctx.resp && ctx.entry === ENTRIES.E_PARTITION) return ROLES.R_FETCH_OFFSET;
    if (n === "HighWatermark") return ROLES.R_HIGH_WATERMARK;
    if (n === "LastStableOffset") return ROLES.R_LAST_STABLE_OFFSET;
    if (n === "LogStartOffset") return ROLES.R_LOG_START_OFFSET;
    if (n === "CommittedOffset") return ROLES.R_COMMITTED_OFFSET;
  }
  return ROLES.R_NONE;
}

/** role of the elements of a []string field (captured ids), from its entityType */
function stringArrayRole(f: RawField): number {
  if (f.entityType === "topicName") return ROLES.R_TOPIC_NAME;
  if (f.entityType === "groupId") return ROLES.R_GROUP_ID;
  if (f.entityType === "transactionalId") return ROLES.R_TRANSACTIONAL_ID;
  return ROLES.R_NONE;
}

function resolveType(t: string, f: RawField, reg: Map<string, RawField[]>, ctx: Ctx): LType {
  if (isPrim(t)) return { k: "prim", p: t };
  if (t === "string") return { k: "string" };
  if (t === "bytes") return { k: "bytes" };
  if (t === "records") return { k: "records" };
  if (t.startsWith("[]")) {
    const et = t.slice(2);
    if (et === "string" || isPrim(et) || et === "bytes") {
      const entry = et !== "string" ? ENTRIES.E_NONE : f.entityType === "topicName" ? ENTRIES.E_TOPIC
        : f.entityType === "groupId" ? ENTRIES.E_GROUP : ENTRIES.E_NONE;
      return { k: "array", elem: resolveType(et, f, reg, ctx), entry };
    }
    const sf = f.fields ?? reg.get(et);
    if (!sf) throw new Error(`${ctx.api}: unknown struct ${et}`);
    const entry = entryOf(sf, ctx.version, ctx.entry);
    return { k: "array", entry, elem: { k: "struct", s: resolveStruct(et, sf, reg, { ...ctx, root: false, entry }) } };
  }
  const sf = f.fields ?? reg.get(t);
  if (!sf) throw new Error(`${ctx.api}: unknown type ${t} of ${f.name}`);
  return { k: "struct", s: resolveStruct(t, sf, reg, { ...ctx, root: false }) };
}

function resolveStruct(name: string, raw: RawField[], reg: Map<string, RawField[]>, ctx: Ctx): LStruct {
  const s: LStruct = { name, fields: [], tagged: [], flexible: ctx.flexible };
  for (const f of raw) {
    if (!presentAt(f, ctx.version)) continue;
    const tagged = taggedAt(f, ctx.version);
    if (tagged && !ctx.flexible) throw new Error(`${ctx.api} v${ctx.version}: tagged field ${f.name} in non-flexible version`);
    const lf: LField = {
      name: f.name,
      type: resolveType(f.type, f, reg, ctx),
      nullable: inRange(parseRange(f.nullableVersions), ctx.version),
      tag: tagged ? f.tag! : -1,
      role: roleOf(f, ctx),
    };
    if (lf.type.k === "array" && lf.type.elem.k === "string") lf.role = stringArrayRole(f);
    (tagged ? s.tagged : s.fields).push(lf);
  }
  s.tagged.sort((a, b) => a.tag - b.tag);
  return s;
}

export function versionsOf(m: RawMessage): number[] {
  const r = parseRange(m.validVersions);
  const out: number[] = [];
  for (let v = r.lo; v <= r.hi; v++) out.push(v);
  return out;
}
export function flexibleFrom(m: RawMessage): number {
  const r = parseRange(m.flexibleVersions);
  return r.lo > r.hi ? -1 : r.lo;
}

export function resolveMessage(api: ApiSpec, resp: boolean, version: number): LStruct {
  const m = resp ? api.response : api.request;
  const reg = structRegistry(m);
  const ctx: Ctx = {
    api: api.name, resp, root: true, entry: ENTRIES.E_NONE, version,
    flexible: inRange(parseRange(m.flexibleVersions), version),
  };
  return resolveStruct(m.name, m.fields, reg, ctx);
}
