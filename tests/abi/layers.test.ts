// The layers of assembly/, and that every import runs down them: a file may import files of its
// own folder and of lower layers, never of a higher layer or of another folder of its own layer,
// and no files import each other in a circle. Only the ABI layer and the Envoy contexts above it
// talk to the SDK. The order is the flow of a byte, read from the top (Envoy's callback) down.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const ASSEMBLY = join(ROOT, "assembly");

/** Highest layer first; folders of one layer do not import each other. */
export const LAYERS: string[][] = [
  ["index.ts"], // the module's entry: SDK exports, our root context
  ["filter"], // Envoy contexts: configuration, one connection, its Kafka session, the VM's state
  ["traffic"], // what a decoded body means: metrics recorded, facts for the policy
  ["metrics", "policy"], // the metric table and registry; the governance rules
  ["config"], // the plugin configuration, parsed and validated
  ["framer"], // Kafka frames from TCP chunks, driving a Stepper per header and body
  ["codec"], // message bodies: the generated field programs and their interpreter
  ["protocol"], // Stepper, readers, UTF-8, headers, generated API tables and error names
  ["abi"], // host calls: log, clock, buffers, shared data, metrics, the callback bracket, abort
  ["bytes"], // where the framer reads a chunk's bytes from
];
/** Layers whose files may import the SDK (@solo-io/proxy-runtime). */
const SDK_LAYERS = new Set(["index.ts", "filter", "abi"]);

function files(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...files(p));
    else if (name.endsWith(".ts")) out.push(p);
  }
  return out;
}

/** The folder (or index.ts) a file of assembly/ belongs to. */
function unitOf(file: string): string {
  return relative(ASSEMBLY, file).split("/")[0];
}

function rankOf(unit: string): number {
  const r = LAYERS.findIndex((l) => l.includes(unit));
  if (r < 0) throw new Error(`assembly/${unit} is in no layer: add it to LAYERS in tests/abi/layers.test.ts`);
  return r;
}

/** Module specifiers a source imports or re-exports (comments removed first). */
export function importsOf(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'])\/\/.*$/gm, "$1");
  const out: string[] = [];
  for (const m of code.matchAll(/(?:^|[;\s])(?:import|export)\s[^;"']*?from\s*["']([^"']+)["']/g)) out.push(m[1]);
  for (const m of code.matchAll(/(?:^|[;\s])import\s*["']([^"']+)["']/g)) out.push(m[1]);
  return out;
}

interface Graph {
  edges: Map<string, string[]>;
  sdk: Map<string, string[]>;
}

function graph(): Graph {
  const edges = new Map<string, string[]>();
  const sdk = new Map<string, string[]>();
  for (const f of files(ASSEMBLY)) {
    const from = relative(ROOT, f);
    const to: string[] = [];
    for (const spec of importsOf(readFileSync(f, "utf8"))) {
      if (spec.startsWith(".")) {
        const target = resolve(dirname(f), spec) + ".ts";
        to.push(relative(ROOT, target));
      } else if (spec.startsWith("@solo-io/proxy-runtime")) {
        sdk.set(from, [...(sdk.get(from) ?? []), spec]);
      } else throw new Error(`${from} imports ${spec}: only relative imports and the SDK are expected`);
    }
    edges.set(from, to);
  }
  return { edges, sdk };
}

function circles(edges: Map<string, string[]>): string[][] {
  const found: string[][] = [];
  const state = new Map<string, number>(); // 1 on the path, 2 done
  const path: string[] = [];
  const visit = (n: string) => {
    state.set(n, 1);
    path.push(n);
    for (const m of edges.get(n) ?? []) {
      if (state.get(m) === 1) found.push(path.slice(path.indexOf(m)).concat(m));
      else if (!state.has(m)) visit(m);
    }
    path.pop();
    state.set(n, 2);
  };
  for (const n of [...edges.keys()].sort()) if (!state.has(n)) visit(n);
  return found;
}

const g = graph();

test("layers: every folder of assembly/ is in the declared order", () => {
  const units = new Set([...g.edges.keys()].map((f) => unitOf(join(ROOT, f))));
  for (const u of units) rankOf(u);
  for (const l of LAYERS) for (const u of l) assert.ok(units.has(u), `LAYERS names ${u}, which assembly/ does not have`);
});

test("layers: every import runs down the layers (or stays in its folder)", () => {
  const wrong: string[] = [];
  for (const [from, targets] of g.edges) {
    const a = unitOf(join(ROOT, from));
    for (const to of targets) {
      assert.ok(g.edges.has(to), `${from} imports ${to}, which is not a file of assembly/`);
      const b = unitOf(join(ROOT, to));
      if (a === b) continue;
      if (rankOf(b) <= rankOf(a)) wrong.push(`${from} -> ${to} (${a} is ${rankOf(b) == rankOf(a) ? "beside" : "below"} ${b})`);
    }
  }
  assert.deepEqual(wrong, []);
});

test("layers: no files import each other in a circle", () => {
  assert.deepEqual(circles(g.edges).map((c) => c.join(" -> ")), []);
});

test("layers: only the ABI layer and the Envoy contexts import the SDK", () => {
  const wrong = [...g.sdk.keys()].filter((f) => !SDK_LAYERS.has(unitOf(join(ROOT, f))));
  assert.deepEqual(wrong, []);
});

test("layers: the checks see what they should", () => {
  assert.deepEqual(importsOf(`import { a } from "./a";\n// import { b } from "./b";\nexport * from "../c";\nimport "./d";\nimport {\n  e,\n} from "./e";`), ["./a", "../c", "./e", "./d"]);
  const loop = new Map([["x", ["y"]], ["y", ["z"]], ["z", ["x"]], ["w", ["x"]]]);
  assert.deepEqual(circles(loop), [["w", "x", "y", "z", "x"].slice(1)]);
  assert.ok(rankOf("filter") < rankOf("framer") && rankOf("abi") > rankOf("framer"));
});
