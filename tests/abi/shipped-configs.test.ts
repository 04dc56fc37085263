// Every plugin configuration we ship (WasmPlugin pluginConfig, EnvoyFilter and local envoy.yaml
// `configuration` strings) must be accepted by the compiled module in real Envoy (the listener
// comes up), and a typo in one must make Envoy reject the listener: the manifests and the
// filter's config parser cannot drift apart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { startEnvoy, EnvoyStartError } from '../envoy/envoy.ts';

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? yamlFiles(join(dir, e.name)) : /\.ya?ml$/.test(e.name) ? [join(dir, e.name)] : []));
}

/** Plugin configurations found in a document: pluginConfig objects and Wasm `configuration` StringValues. */
function configsIn(node: unknown, out: string[]): void {
  if (Array.isArray(node)) for (const n of node) configsIn(n, out);
  else if (node && typeof node === 'object') {
    const o = node as Record<string, unknown>;
    if (o.kind === 'WasmPlugin' && o.spec && typeof o.spec === 'object') {
      const pc = (o.spec as Record<string, unknown>).pluginConfig;
      if (pc !== undefined) out.push(JSON.stringify(pc));
    }
    const cfg = o.configuration as Record<string, unknown> | undefined;
    if (cfg && cfg['@type'] === 'type.googleapis.com/google.protobuf.StringValue' && typeof cfg.value === 'string') out.push(cfg.value);
    for (const v of Object.values(o)) configsIn(v, out);
  }
}

const configs: Array<[string, string]> = [];
for (const file of yamlFiles('istio')) {
  for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) {
    const found: string[] = [];
    configsIn(doc.toJS(), found);
    for (const c of found) configs.push([file, c]);
  }
}

/** Starts Envoy with the module and `config` (upstream unused: no connection is made). */
async function configure(config: string): Promise<void> {
  const envoy = await startEnvoy({ upstreamPort: 1, pluginConfig: config });
  await envoy.close();
}

test('the manifests carry plugin configurations', () => {
  assert.ok(configs.length >= 4, `found ${configs.length}`);
});

for (const [file, config] of configs) {
  test(`${file}: accepted by the module (${config.slice(0, 60)}…)`, async () => {
    await configure(config);
  });
}

test('a typo in a shipped configuration is rejected', async () => {
  const [, config] = configs[0];
  const broken = JSON.stringify({ ...JSON.parse(config), max_in_flight: 10 });
  await assert.rejects(configure(broken), (e: unknown) => e instanceof EnvoyStartError
    && e.logs.some((l) => l.includes('invalid plugin configuration') && l.includes('max_in_flight'))
    && e.logs.some((l) => l.includes('Unable to create Wasm plugin')));
});
