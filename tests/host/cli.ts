// npm run host -- --wasm build/kafka-filter.wasm --listen 127.0.0.1:19092 --upstream 127.0.0.1:9092 \
//   --admin 127.0.0.1:19901 [--config plugin-config.json] [--vm-config file] [--capture DIR]
//   [--fail-closed|--fail-open] [--log-level info] [--stat-tags a,b,c] [--histogram-buckets 1,5,10]
//   [--stats-inclusion-prefixes p1,p2] [--plugin-name N] [--root-id R] [--vm-id V] [--workers N]
import { readFileSync } from 'node:fs';
import { HostStartError, startHost } from './index.ts';

function usage(msg?: string): never {
  if (msg) process.stderr.write(`error: ${msg}\n`);
  process.stderr.write(
    'usage: npm run host -- --wasm FILE --upstream HOST:PORT [--listen HOST:PORT] [--admin HOST:PORT]\n' +
      '         [--config FILE] [--vm-config FILE] [--capture DIR] [--fail-closed|--fail-open]\n' +
      '         [--log-level trace|debug|info|warn|error|critical|off] [--stat-tags a,b]\n' +
      '         [--histogram-buckets 0.5,1,5] [--stats-inclusion-prefixes p1,p2]\n' +
      '         [--plugin-name N] [--root-id R] [--vm-id V] [--workers N]\n',
  );
  process.exit(2);
}

const args = process.argv.slice(2);
const o: Record<string, string | boolean> = {};
for (let k = 0; k < args.length; k++) {
  const a = args[k];
  if (a === '--') continue;
  if (!a.startsWith('--')) usage(`unexpected argument ${a}`);
  const name = a.slice(2);
  if (name === 'fail-closed' || name === 'fail-open' || name === 'help') {
    o[name] = true;
    continue;
  }
  const v = args[++k];
  if (v === undefined) usage(`--${name} needs a value`);
  o[name] = v;
}
if (o.help) usage();
const known = new Set([
  'wasm', 'listen', 'upstream', 'admin', 'config', 'vm-config', 'capture', 'fail-closed', 'fail-open',
  'log-level', 'stat-tags', 'histogram-buckets', 'stats-inclusion-prefixes', 'plugin-name', 'root-id', 'vm-id',
  'workers',
]);
for (const k of Object.keys(o)) if (!known.has(k)) usage(`unknown option --${k}`);
if (!o.wasm) usage('--wasm is required');
if (!o.upstream) usage('--upstream is required');
const workers = o.workers === undefined ? 1 : Number(o.workers);
if (!Number.isInteger(workers) || workers < 1) usage(`--workers must be a positive integer, got ${o.workers}`);
const list = (s: unknown) => (typeof s === 'string' ? s.split(',').map((x) => x.trim()).filter(Boolean) : undefined);

async function main() {
try {
  const h = await startHost({
    wasm: String(o.wasm),
    listen: (o.listen as string) ?? `127.0.0.1:${process.env.HOST_PORT ?? 19092}`,
    upstream: String(o.upstream),
    admin: (o.admin as string) ?? `127.0.0.1:${process.env.ADMIN_PORT ?? 19901}`,
    pluginConfig: o.config ? readFileSync(String(o.config)) : undefined,
    vmConfig: o['vm-config'] ? readFileSync(String(o['vm-config'])) : undefined,
    captureDir: o.capture as string | undefined,
    failOpen: !o['fail-closed'],
    logLevel: (o['log-level'] as string) ?? 'info',
    statTags: list(o['stat-tags']),
    histogramBuckets: list(o['histogram-buckets'])?.map(Number),
    inclusionPrefixes: list(o['stats-inclusion-prefixes']),
    pluginName: o['plugin-name'] as string | undefined,
    rootId: o['root-id'] as string | undefined,
    vmId: o['vm-id'] as string | undefined,
    echoLogs: true,
    workers,
  });
  process.stderr.write(
    `[host] listening on ${o.listen ?? '127.0.0.1'} (port ${h.port}) -> ${o.upstream}; admin port ${h.adminPort}; ` +
      `failure policy ${o['fail-closed'] ? 'FAIL_CLOSED' : 'FAIL_OPEN'}; ${workers} worker${workers === 1 ? '' : 's'}\n`,
  );
  const stop = async () => {
    await h.close();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
} catch (e) {
  if (e instanceof HostStartError) {
    process.stderr.write(`[host] refusing to start: ${e.message}\n`);
    process.exit(1);
  }
  throw e;
}
}
void main();
