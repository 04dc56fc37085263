// Captured real connections (tests/fixtures/captures: Java kafka-clients, librdkafka via kcat and
// kafkajs against a Kafka 4.1.1 broker, as tests/e2e/through-filter.test.ts's recording relay wrote
// them) replayed through the filter's framer and body decoder, whole, cut at random points, and,
// for the small ones, cut at every point: every frame decodes exactly, with the same events.
import assert from "node:assert/strict";
import { test } from "node:test";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { Harness } from "./wasm.ts";
import { captureConnections, replayCaptures, replayConnection } from "./replay.ts";

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), "../fixtures/captures");
const hs = new Harness();

test("captured connections decode exactly, whole and cut at random points", () => {
  const r = replayCaptures(FIXTURES, [1, 2, 3, 4, 5]);
  assert.deepEqual(r.failures, []);
  assert.equal(r.decoded, r.frames);
  for (const api of ["ApiVersions request", "ApiVersions response", "Metadata request", "Metadata response", "Produce request", "Produce response",
    "CreateTopics request", "InitProducerId response", "FindCoordinator response", "JoinGroup request", "SyncGroup response", "OffsetCommit request",
    "OffsetFetch response", "LeaveGroup request", "ListOffsets response"]) {
    assert.ok((r.byApi[api] ?? 0) > 0, `${api} in the fixtures: ${JSON.stringify(r.byApi)}`);
  }
  console.log(`replay: ${r.connections} connections, ${r.frames} frames decoded whole and at 5 random cuttings; ${JSON.stringify(r.byApi)}`);
});

test("small captured connections give the same events cut at every point of either direction", () => {
  let runs = 0;
  for (const [name, [rq, rs]] of captureConnections(FIXTURES)) {
    if (rq.length + rs.length > 8192) continue;
    const whole = replayConnection(hs, rq, rs);
    assert.deepEqual(whole.problems, [], name);
    for (const [direction, bytes] of [[0, rq], [1, rs]] as const) {
      for (let cut = 1; cut < bytes.length; cut++) {
        const a = bytes.subarray(0, cut), b = bytes.subarray(cut);
        const r = direction === 0 ? replayTwo(rq, rs, a, b, 0) : replayTwo(rq, rs, a, b, 1);
        assert.equal(r.events, whole.events, `${name}: ${direction === 0 ? "requests" : "responses"} cut at ${cut}`);
        assert.equal(r.decoded, whole.frames, `${name}: cut at ${cut}`);
        runs++;
      }
    }
  }
  assert.ok(runs > 10000, `${runs} cuts`);
});

/** One direction in two chunks (a, b), the other whole. */
function replayTwo(rq: Uint8Array, rs: Uint8Array, a: Uint8Array, b: Uint8Array, direction: number) {
  return replayConnection(hs, rq, rs, 0, direction === 0 ? [a.length] : [], direction === 1 ? [a.length] : []);
}

test("the replay sees a damaged frame", () => {
  const [rq, rs] = captureConnections(FIXTURES).get("java-group")!;
  const bad = Uint8Array.from(rs);
  const len = Buffer.from(bad).readInt32BE(0);
  bad.fill(0xff, 8, Math.min(4 + len, 24)); // inside the first response's body
  const r = replayConnection(hs, rq, bad);
  assert.ok(r.problems.length > 0 || r.decoded < r.frames, JSON.stringify(r.problems));
});
