// How the end-to-end suites run the compiled filter: in real Envoy (tests/envoy), on the shipped
// bootstrap, listening on the port the broker advertises (so every client connection goes
// through it), in front of the real broker. `make test-e2e` picks the ports for the run.
import assert from 'node:assert/strict';
import { startEnvoy, type EnvoyOptions, type RunningEnvoy } from '../envoy/envoy.ts';
import { startRecordingUpstream, type RecordingUpstream } from '../lib/recording_upstream.ts';
import { parsePrometheus, type Series } from './prom.ts';

export const HOST_PORT = Number(process.env.HOST_PORT ?? 19092);
export const KAFKA_PORT = Number(process.env.KAFKA_PORT ?? 9092);
export const BOOTSTRAP = `127.0.0.1:${HOST_PORT}`;

export interface FilterEnvoy extends RunningEnvoy {
  series(): Promise<Series[]>;
  /** the recording relay between Envoy and the broker, when a capture was asked for */
  recorder?: RecordingUpstream;
}

export interface FilterEnvoyOptions extends Partial<EnvoyOptions> {
  /** relay Envoy's upstream connections through a recorder writing Kafka capture files here */
  captureDir?: string;
}

/** The filter (fail closed, so a VM failure fails the test) with `pluginConfig`, before the broker. */
export async function startFilterEnvoy(pluginConfig: object, opts: FilterEnvoyOptions = {}): Promise<FilterEnvoy> {
  const recorder = opts.captureDir ? await startRecordingUpstream({ relayTo: KAFKA_PORT, captureDir: opts.captureDir }) : undefined;
  try {
    const envoy = await startEnvoy({ listenPort: HOST_PORT, upstreamPort: recorder?.port ?? KAFKA_PORT, pluginConfig, ...opts });
    const closeEnvoy = envoy.close;
    return Object.assign(envoy, {
      recorder,
      series: async () => parsePrometheus(await envoy.prometheus()),
      close: async () => { await closeEnvoy(); await recorder?.close(); },
    });
  } catch (e) {
    await recorder?.close();
    throw e;
  }
}

/** The VM never failed: Envoy logged no trap, failed callback or failed load. */
export function assertNoVmFailure(envoy: RunningEnvoy): void {
  assert.deepEqual(envoy.vmFailures(), [], `Envoy ${envoy.version} reported a VM failure`);
  assert.equal(envoy.exited(), null, 'Envoy is still running');
}
