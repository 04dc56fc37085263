// Replays captured Kafka connections (the capture format of tests/lib/recording_upstream.ts:
// conn-N-request.bin / conn-N-response.bin, each direction's frames as the peer sent them) through
// the harness: the filter's FrameAssembler and BodyDecoder, fed in chunks cut at random points.
import { readdirSync, readFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { Harness, harnessExports } from "./wasm.ts";
import { rng } from "./encoder.ts";

export interface ReplayResult {
  frames: number;
  decoded: number;
  /** One line per frame that did not decode, or framing problem. */
  problems: string[];
  /** Every decoded event of every frame, in order (requests, then responses). */
  events: string;
}

/**
 * Feeds both directions of one connection (requests first: responses are matched to them) in
 * chunks: the whole direction at once when `seed` is 0, else chunks of random sizes (1 byte to
 * 64 KiB, small ones often) drawn from the seed; or, given `requestCuts` / `responseCuts`, cut at
 * those offsets.
 */
export function replayConnection(hs: Harness, requests: Uint8Array, responses: Uint8Array, seed = 0, requestCuts: number[] = [], responseCuts: number[] = []): ReplayResult {
  const ex = harnessExports(hs);
  const all = new Uint8Array(requests.length + responses.length);
  all.set(requests, 0);
  all.set(responses, requests.length);
  hs.load(all);
  ex.replayBegin();
  const r = seed === 0 ? () => 1 : rng(seed);
  const size = () => {
    const x = r();
    if (x < 0.3) return 1 + Math.floor(r() * 16);
    if (x < 0.8) return 1 + Math.floor(r() * 4096);
    return 1 + Math.floor(r() * 65536);
  };
  const feed = (direction: number, from: number, length: number) => {
    const cuts = direction === 0 ? requestCuts : responseCuts;
    if (cuts.length > 0) {
      let at = 0;
      for (const c of [...cuts, length]) {
        if (c > at) ex.replayFeed(direction, from + at, c - at);
        at = Math.max(at, c);
      }
      return;
    }
    for (let at = 0; at < length; ) {
      const n = seed === 0 ? length : Math.min(size(), length - at);
      ex.replayFeed(direction, from + at, n);
      at += n;
    }
  };
  feed(0, 0, requests.length);
  feed(1, requests.length, responses.length);
  const problems = hs.str(ex.replayReport()).split("\n").filter((l) => l.length > 0);
  if (ex.replayInFrame()) problems.push("a frame is incomplete at the end of the capture");
  return { frames: ex.replayFrames(), decoded: ex.replayDecoded(), problems, events: hs.str(ex.replayEvents()) };
}

/** The connections of a capture directory: name -> [request bytes, response bytes]. */
export function captureConnections(dir: string): Map<string, [Uint8Array, Uint8Array]> {
  const out = new Map<string, [Uint8Array, Uint8Array]>();
  for (const f of readdirSync(dir).filter((n) => n.endsWith("-request.bin")).sort()) {
    const name = f.slice(0, -"-request.bin".length);
    const resp = join(dir, `${name}-response.bin`);
    out.set(name, [readFileSync(join(dir, f)), existsSync(resp) ? readFileSync(resp) : new Uint8Array(0)]);
  }
  return out;
}

export interface CaptureReport {
  connections: number;
  frames: number;
  decoded: number;
  failures: string[];
  /** Frames decoded per API and direction, e.g. "Produce request". */
  byApi: Record<string, number>;
}

/** Frames per API and direction of one connection's bytes, read from the frame headers. */
function countApis(requests: Uint8Array, responses: Uint8Array, byApi: Record<string, number>, nameOf: (k: number) => string): void {
  const rq = Buffer.from(requests), rs = Buffer.from(responses);
  const sent = new Map<number, number>();
  for (let at = 0; at + 8 <= rq.length; at += 4 + rq.readInt32BE(at)) {
    const key = rq.readInt16BE(at + 4);
    sent.set(rq.readInt32BE(at + 8), key);
    byApi[`${nameOf(key)} request`] = (byApi[`${nameOf(key)} request`] ?? 0) + 1;
  }
  for (let at = 0; at + 8 <= rs.length; at += 4 + rs.readInt32BE(at)) {
    const key = sent.get(rs.readInt32BE(at + 4));
    if (key !== undefined) byApi[`${nameOf(key)} response`] = (byApi[`${nameOf(key)} response`] ?? 0) + 1;
  }
}

/**
 * Replays every connection of a capture directory whole and at random split points (`seeds`):
 * every frame must decode exactly, with the same events however the bytes are cut.
 */
export function replayCaptures(dir: string, seeds: number[] = [1]): CaptureReport {
  const hs = new Harness();
  const ex = harnessExports(hs);
  const report: CaptureReport = { connections: 0, frames: 0, decoded: 0, failures: [], byApi: {} };
  for (const [name, [rq, rs]] of captureConnections(dir)) {
    report.connections++;
    const whole = replayConnection(hs, rq, rs);
    report.frames += whole.frames;
    report.decoded += whole.decoded;
    for (const p of whole.problems) report.failures.push(`${name}: ${p}`);
    for (const seed of seeds) {
      const cut = replayConnection(hs, rq, rs, seed);
      if (cut.events !== whole.events || cut.decoded !== whole.decoded || cut.frames !== whole.frames) {
        report.failures.push(`${name}: cut at random points (seed ${seed}) gives ${cut.decoded}/${cut.frames} frames decoded and ${cut.events === whole.events ? "the same" : "other"} events, whole ${whole.decoded}/${whole.frames}`);
      }
    }
    countApis(rq, rs, report.byApi, (k) => hs.str(ex.apiNameOf(k)) || `api ${k}`);
  }
  return report;
}
