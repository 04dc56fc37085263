// proxy_get_property: Envoy Context::getProperty / findValue (+ filters/common/expr) for the
// attributes a network filter sees, with values serialized the way Envoy serializes CEL values.

import { WasmResult } from './abi.ts';
import type { StreamContext } from './stream_context.ts';

/** envoy.config.core.v3.Node as far as the host models it. */
export interface NodeInfo {
  id?: string;
  cluster?: string;
  metadata?: Record<string, unknown>;
}

/** Plugin-level attributes (Envoy: plugin_*, listener_direction, node). */
export interface PropertySource {
  readonly pluginName: string;
  readonly rootIdName: string;
  readonly vmId: string;
  readonly listenerDirection: number;
  readonly node: NodeInfo;
}

/** Envoy Context::getProperty: path parts separated by \0; values serialized like CEL values. */
export function getProperty(plugin: PropertySource, ctx: StreamContext, path: Buffer): Buffer | number {
  const parts: string[] = [];
  let start = 0;
  while (start < path.length) {
    let end = path.indexOf(0, start);
    if (end === -1) end = path.length;
    parts.push(path.subarray(start, end).toString('latin1'));
    start = end + 1;
  }
  if (parts.length === 0) return WasmResult.NotFound;
  const info = ctx.conn?.info();
  const joined = parts.join('.');
  const str = (s: string | undefined) => (s === undefined ? WasmResult.NotFound : Buffer.from(s, 'utf8'));
  // 8-byte little-endian integers: ports are int64, connection ids uint64 (CEL int / uint)
  const int64 = (v: number | undefined, signed: boolean) => {
    if (v === undefined) return WasmResult.NotFound;
    const b = Buffer.alloc(8);
    if (signed) b.writeBigInt64LE(BigInt(v));
    else b.writeBigUInt64LE(BigInt(v));
    return b;
  };
  const i64 = (v: number | undefined) => int64(v, true);
  const u64 = (v: number | undefined) => int64(v, false);
  switch (parts[0]) {
    case 'plugin_name':
      return parts.length === 1 ? str(plugin.pluginName) : WasmResult.NotFound;
    case 'plugin_root_id':
      return parts.length === 1 ? str(plugin.rootIdName) : WasmResult.NotFound;
    case 'plugin_vm_id':
      return parts.length === 1 ? str(plugin.vmId) : WasmResult.NotFound;
    case 'connection_id':
      return parts.length === 1 ? u64(info?.connectionId) : WasmResult.NotFound;
    case 'listener_direction':
      return parts.length === 1 ? i64(plugin.listenerDirection) : WasmResult.NotFound;
    case 'node':
      return nodeProperty(plugin.node, parts.slice(1));
  }
  if (info) {
    switch (joined) {
      case 'source.address':
        return str(`${info.sourceAddress}:${info.sourcePort}`);
      case 'source.port':
        return i64(info.sourcePort);
      case 'destination.address':
        return str(`${info.destinationAddress}:${info.destinationPort}`);
      case 'destination.port':
        return i64(info.destinationPort);
      case 'connection.id':
        return u64(info.connectionId);
      case 'connection.mtls':
        return Buffer.from([0]);
      case 'upstream.address':
        return info.upstreamAddress ? str(`${info.upstreamAddress}:${info.upstreamPort}`) : WasmResult.NotFound;
      case 'upstream.port':
        return info.upstreamPort !== undefined ? i64(info.upstreamPort) : WasmResult.NotFound;
    }
    // filter state written by proxy_set_property ("wasm." prefix, bytes prototype)
    const fs = ctx.filterState.get(parts[0]);
    if (fs && parts.length === 1) return fs;
  }
  return WasmResult.NotFound;
}

function nodeProperty(node: NodeInfo, rest: string[]): Buffer | number {
  if (rest.length === 0) return encodeNode(node);
  const field = rest[0];
  if (field === 'id') return rest.length === 1 ? Buffer.from(node.id ?? '') : WasmResult.NotFound;
  if (field === 'cluster') return rest.length === 1 ? Buffer.from(node.cluster ?? '') : WasmResult.NotFound;
  if (field === 'metadata') {
    let v: unknown = node.metadata ?? {};
    for (const k of rest.slice(1)) {
      if (v && typeof v === 'object' && !Array.isArray(v) && k in (v as object)) v = (v as Record<string, unknown>)[k];
      else if (Array.isArray(v) && /^\d+$/.test(k) && Number(k) < v.length) v = v[Number(k)];
      else return WasmResult.NotFound;
    }
    return serializeJsonValue(v);
  }
  return WasmResult.NotFound;
}

/** Proxy-Wasm pairs encoding (proxy-wasm-cpp-host src/pairs_util.cc marshalPairs). */
export function marshalPairs(pairs: Array<[Buffer, Buffer]>): Buffer {
  const head = Buffer.alloc(4 + pairs.length * 8);
  head.writeUInt32LE(pairs.length, 0);
  pairs.forEach(([k, v], idx) => {
    head.writeUInt32LE(k.length, 4 + idx * 8);
    head.writeUInt32LE(v.length, 8 + idx * 8);
  });
  const body: Buffer[] = [];
  for (const [k, v] of pairs) body.push(k, Buffer.from([0]), v, Buffer.from([0]));
  return Buffer.concat([head, ...body]);
}

/** google.protobuf.Value as a CEL value, serialized like Envoy serializeValue. */
function serializeJsonValue(v: unknown): Buffer | number {
  if (v === null || v === undefined) return WasmResult.SerializationFailure;
  if (typeof v === 'string') return Buffer.from(v, 'utf8');
  if (typeof v === 'number') {
    const b = Buffer.alloc(8);
    b.writeDoubleLE(v);
    return b;
  }
  if (typeof v === 'boolean') return Buffer.from([v ? 1 : 0]);
  if (Array.isArray(v)) {
    const ps: Array<[Buffer, Buffer]> = [];
    for (const x of v) {
      const s = serializeJsonValue(x);
      if (typeof s === 'number') return WasmResult.SerializationFailure;
      ps.push([s, Buffer.alloc(0)]);
    }
    return marshalPairs(ps);
  }
  const ps: Array<[Buffer, Buffer]> = [];
  for (const [k, x] of Object.entries(v as object)) {
    const s = serializeJsonValue(x);
    if (typeof s === 'number') return WasmResult.SerializationFailure;
    ps.push([Buffer.from(k), s]);
  }
  return marshalPairs(ps);
}

// --- minimal protobuf encoding of envoy.config.core.v3.Node {id=1, cluster=2, metadata=3}
/** Unsigned base-128 varint (protobuf; also Kafka's unsigned varint, tests/bench/kafka_frames.ts). */
export function varint(n: number): Buffer {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return Buffer.from(out);
}
function ld(field: number, b: Buffer): Buffer {
  return Buffer.concat([varint((field << 3) | 2), varint(b.length), b]);
}
function pbValue(v: unknown): Buffer {
  if (v === null || v === undefined) return Buffer.concat([varint((1 << 3) | 0), varint(0)]);
  if (typeof v === 'number') {
    const d = Buffer.alloc(8);
    d.writeDoubleLE(v);
    return Buffer.concat([varint((2 << 3) | 1), d]);
  }
  if (typeof v === 'string') return ld(3, Buffer.from(v));
  if (typeof v === 'boolean') return Buffer.concat([varint((4 << 3) | 0), varint(v ? 1 : 0)]);
  if (Array.isArray(v)) return ld(6, Buffer.concat(v.map((x) => ld(1, pbValue(x)))));
  return ld(5, pbStruct(v as Record<string, unknown>));
}
function pbStruct(o: Record<string, unknown>): Buffer {
  return Buffer.concat(Object.entries(o).map(([k, v]) => ld(1, Buffer.concat([ld(1, Buffer.from(k)), ld(2, pbValue(v))]))));
}
function encodeNode(node: NodeInfo): Buffer {
  const parts: Buffer[] = [];
  if (node.id) parts.push(ld(1, Buffer.from(node.id)));
  if (node.cluster) parts.push(ld(2, Buffer.from(node.cluster)));
  if (node.metadata) parts.push(ld(3, pbStruct(node.metadata)));
  return Buffer.concat(parts);
}
