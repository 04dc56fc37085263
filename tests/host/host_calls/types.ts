// Shared shapes of the host-call groups in this directory. Each group is a function of the
// PluginHost returning implementations keyed "<module>.<name>", the key V8::link resolves.

// Arguments arrive as i32 numbers / i64 bigints; signatures are checked against
// abi_signatures.ts at load time, so the implementations take them untyped.
export type HostFn = (...a: any[]) => unknown;
export type HostFns = Record<string, HostFn>;

/** Prefixes each name with the `env` module. */
export function envModule(fns: HostFns): HostFns {
  return Object.fromEntries(Object.entries(fns).map(([k, f]) => [`env.${k}`, f]));
}
