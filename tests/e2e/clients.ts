// Runs one of the real Kafka clients of tests/clients and returns its JSON summary line.
import { spawn } from 'node:child_process';

export interface TopicSummary {
  messages: number;
  value_bytes: number;
  key_bytes: number;
  partitions: number;
  compression: string;
  acks: string;
  produced: number;
  consumed: number;
}
export interface ClientSummary {
  client: string;
  ok: boolean;
  client_id: string;
  topics: Record<string, TopicSummary>;
  errors: string[];
}

const COMMANDS: Record<string, string[]> = {
  java: ['bash', 'tests/clients/java/run.sh'],
  kcat: ['node', 'tests/clients/kcat/kcat-roundtrip.mjs'],
  kafkajs: ['node', 'tests/clients/kafkajs/kafkajs-roundtrip.mjs'],
};

export function runClient(client: string, bootstrap: string, prefix: string, extra: string[] = [], timeoutMs = 240_000): Promise<{ summary: ClientSummary; stderr: string }> {
  return runClientUntil(client, bootstrap, prefix, extra, timeoutMs).then((r) => {
    if (r.summary === null) throw new Error(`${client} ${r.killed ? `killed after ${timeoutMs} ms` : 'exited'} without a JSON summary\nstdout: ${r.stdout.slice(-2000)}\nstderr: ${r.stderr.slice(-4000)}`);
    return { summary: r.summary, stderr: r.stderr };
  });
}

/** Runs a client for at most `timeoutMs`; a client that is cut off (or prints no summary) gives summary null. */
export function runClientUntil(client: string, bootstrap: string, prefix: string, extra: string[], timeoutMs: number): Promise<{ summary: ClientSummary | null; stdout: string; stderr: string; killed: boolean }> {
  const [cmd, ...args] = COMMANDS[client];
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, [...args, '--bootstrap', bootstrap, '--scenario', 'standard', '--prefix', prefix, ...extra], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      try {
        process.kill(-child.pid!, 'SIGKILL'); // the whole process group (run.sh's java, kcat children)
      } catch {
        child.kill('SIGKILL');
      }
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', () => {
      clearTimeout(timer);
      const line = stdout.trim().split('\n').pop() ?? '';
      let summary: ClientSummary | null = null;
      try {
        summary = JSON.parse(line) as ClientSummary;
      } catch {
        summary = null;
      }
      resolve({ summary, stdout, stderr, killed });
    });
  });
}
