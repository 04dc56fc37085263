// Traffic for the dashboard: the real clients of tests/clients (Java and kafkajs in consumer
// groups, librdkafka through kcat) plus the situations an operator's panels exist for, each made
// by a real client where one can make it: error responses from the broker, a policy violation,
// acks=0, quota throttling, a consumer that falls behind, a Kafka 0.10-era client, a broken
// client, and more client ids than the label cap. Used by tests/prometheus/panels.test.ts and
// scripts/demo.ts.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { legacyClient, misbehavingClient, clientIds, setClientQuota } from './raw_clients.ts';

export interface Kcat { code: number | null; stdout: string; stderr: string }

/** Runs kcat against `bootstrap` (resolves, never rejects; killed after `timeoutMs`). */
export function kcat(bootstrap: string, clientId: string, args: string[], input?: string | Buffer, timeoutMs = 60_000): Promise<Kcat> {
  return new Promise((resolve) => {
    const child = spawn(process.env.KCAT ?? 'kcat', ['-b', bootstrap, '-X', `client.id=${clientId}`, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', (e) => { clearTimeout(timer); resolve({ code: -1, stdout, stderr: String(e) }); });
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
    child.stdin.on('error', () => {});
    child.stdin.end(input ?? '');
  });
}

async function ok(what: string, r: Promise<Kcat>): Promise<Kcat> {
  const k = await r;
  if (k.code !== 0) throw new Error(`${what}: kcat exit ${k.code}: ${k.stderr.trim().slice(0, 500)}`);
  return k;
}

/** Client ids of the situations below (the real clients' ids are the callers'). */
export const IDS = {
  badTopic: 'typo-topic-client',
  replay: 'replay-consumer',
  uncompressed: 'uncompressed-producer',
  acks0: 'fire-and-forget',
  throttled: 'throttled-producer',
  lagProducer: 'backlog-producer',
  lagConsumer: 'slow-consumer',
  legacy: 'legacy-0.10-client',
} as const;

/** Produce-quota of the throttled client, bytes/s (AlterClientQuotas on the broker). */
export const THROTTLED_BYTE_RATE = 1024;

export interface Situations {
  /** Kafka listener the clients connect to (Envoy's) */
  port: number;
  /** the broker itself, for the quota (not through the filter) */
  brokerPort: number;
  /** topic prefix of this run */
  prefix: string;
  /** requests pipelined by the broken client (above the plugin's max_in_flight_per_connection) */
  burst: number;
}

/** Once per run, before the situations: the throttled client's quota. */
export async function prepare(s: Situations): Promise<void> {
  const err = await setClientQuota(s.brokerPort, IDS.throttled, { producer_byte_rate: THROTTLED_BYTE_RATE });
  if (err !== 0) throw new Error(`AlterClientQuotas for ${IDS.throttled}: error code ${err}`);
}

/**
 * One round of every situation (run twice, with a scrape between, so every series they create
 * also increases between two scrapes). `round` is 1, 2, …
 */
export async function situations(s: Situations, round: number): Promise<string[]> {
  const b = `127.0.0.1:${s.port}`;
  const t = (name: string) => `${s.prefix}.${name}`;
  const done: string[] = [];
  const step = async (name: string, fn: () => Promise<unknown>) => { await fn(); done.push(name); };
  await Promise.all([
    // the broker answers errors: a Metadata request for a name that is not a valid topic
    // (INVALID_TOPIC_EXCEPTION) and a Fetch past the log end (OFFSET_OUT_OF_RANGE)
    step('error responses', async () => {
      await ok('metadata for an invalid topic', kcat(b, IDS.badTopic, ['-L', '-t', 'no such topic!']));
      await ok('replay produce', kcat(b, IDS.replay, ['-P', '-t', t('replay'), '-p', '0', '-z', 'gzip'], 'a\nb\n'));
      await ok('fetch out of range', kcat(b, IDS.replay, ['-C', '-t', t('replay'), '-p', '0', '-o', '100000', '-e', '-q']));
    }),
    // audit-mode policy: uncompressed batches break produce.allowed_compression
    step('policy violation (audit)', () => ok('uncompressed produce', kcat(b, IDS.uncompressed, ['-P', '-t', t('uncompressed'), '-z', 'none'], 'x\ny\nz\n'))),
    step('acks=0 produce', () => ok('acks=0 produce', kcat(b, IDS.acks0, ['-P', '-t', t('acks0'), '-z', 'lz4', '-X', 'acks=0'], 'p\nq\n'))),
    // one 20 KB record (random, so zstd leaves ~15 KB: quotas count bytes on the wire) over a
    // 1 KB/s produce quota: the response carries throttle_time_ms
    step('throttled produce', () => ok('throttled produce', kcat(b, IDS.throttled, ['-P', '-t', t('throttled'), '-z', 'zstd'], randomBytes(15_000).toString('base64') + '\n'))),
    // 30 single-record batches, then a consumer that reads one record from a given offset and
    // goes away: its lag stays (the gauge keeps the last value)
    step('lagging consumer', async () => {
      const lines = Array.from({ length: 30 }, (_, i) => `r${round}.${i}`).join('\n') + '\n';
      await ok('backlog produce', kcat(b, IDS.lagProducer, ['-P', '-t', t('backlog'), '-p', '0', '-z', 'snappy', '-X', 'linger.ms=0', '-X', 'batch.num.messages=1'], lines));
      await ok('one record', kcat(b, IDS.lagConsumer, ['-C', '-t', t('backlog'), '-p', '0', '-o', String(5 * round), '-c', '1', '-q',
        '-X', 'fetch.message.max.bytes=1', '-X', 'queued.min.messages=1']));
    }),
    step('Kafka 0.10 client', async () => {
      const r = await legacyClient(s.port, IDS.legacy, t('legacy'));
      if (!r.produceClosed || !r.fetchClosed) throw new Error(`a Kafka 4 broker closes connections on Produce v2 / Fetch v3: ${JSON.stringify(r)}`);
    }),
    step('broken client', () => misbehavingClient(s.port, s.burst)),
  ]);
  return done;
}

/** `n` client ids never seen before, on one connection: past the label cap whatever VM it lands on. */
export async function manyClientIds(port: number, round: number, n: number): Promise<void> {
  const got = await clientIds(port, Array.from({ length: n }, (_, i) => `generated-id-${round}-${i}`));
  if (got !== n) throw new Error(`${got} of ${n} ApiVersions responses`);
}
