// How the end-to-end tests run the compiled filter: in the local host, listening on the port the
// broker advertises (so every client connection goes through it), in front of the real broker.
import { startHost, type HostOptions, type RunningHost } from '../host/index.ts';

export const HOST_PORT = Number(process.env.HOST_PORT ?? 19092);
export const KAFKA_PORT = Number(process.env.KAFKA_PORT ?? 9092);
export const BOOTSTRAP = `127.0.0.1:${HOST_PORT}`;

/** The filter (fail closed, so a VM failure fails the test) with `pluginConfig` and any host options. */
export function startFilterHost(pluginConfig: object, opts: Partial<HostOptions> = {}): Promise<RunningHost> {
  return startHost({
    wasm: 'build/kafka-filter.wasm',
    listen: BOOTSTRAP,
    upstream: `127.0.0.1:${KAFKA_PORT}`,
    admin: '127.0.0.1:0',
    pluginConfig: JSON.stringify(pluginConfig),
    failOpen: false,
    ...opts,
  });
}
