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
  const [cmd, ...args] = COMMANDS[client];
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, [...args, '--bootstrap', bootstrap, '--scenario', 'standard', '--prefix', prefix, ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      const line = stdout.trim().split('\n').pop() ?? '';
      try {
        const summary = JSON.parse(line) as ClientSummary;
        resolve({ summary, stderr });
      } catch {
        reject(new Error(`${client} exited ${code} without a JSON summary\nstdout: ${stdout.slice(-2000)}\nstderr: ${stderr.slice(-4000)}`));
      }
    });
  });
}
