// What an enforcing filter lets through of one downstream data callback. The request stream is
// seen as one "logical" buffer: bytes held back from earlier callbacks (kept in the VM) followed
// by this callback's bytes. Frames before the first one whose policy verdict is not known yet
// are released; a frame still waiting for its verdict is held (up to a limit) so that, if it
// breaks a rule, not one byte of it reaches the broker; when a frame breaks a rule, exactly the
// frames before it are released and the rest is dropped, and the connection is then closed.
// Pure arithmetic on stream offsets, so it is unit-tested without a host (tests/unit/gate.spec.ts);
// connection.ts applies the decision to Envoy's buffer.

/** Bytes a connection may hold back while a frame's verdict is pending (then it is let through). */
export const HOLD_LIMIT: i32 = 65536;

export class GateDecision {
  /** Logical bytes (from the start of the held bytes) to forward now. */
  release: i32 = 0;
  /** Keep the logical bytes after `release` for the next callback (else they are dropped). */
  keepRest: bool = false;
  /** Close the connection (a rule was broken). */
  close: bool = false;
  /** A pending frame was let through unheld (longer than HOLD_LIMIT, or the stream ended). */
  exposed: bool = false;
}

/**
 * Decides what to forward. Offsets are absolute positions in the request stream:
 * `logicalStart` is where the held bytes (or, with none held, this callback's bytes) begin,
 * `logicalEnd` is the end of this callback's bytes. `offending` is the start of the frame that
 * broke a rule (or -1), `pending` the start of the frame whose verdict is not known yet (or -1).
 */
export function decide(out: GateDecision, logicalStart: i64, logicalEnd: i64, offending: i64, pending: i64, endOfStream: bool, holdLimit: i32 = HOLD_LIMIT): GateDecision {
  const all = <i32>(logicalEnd - logicalStart);
  out.release = all;
  out.keepRest = false;
  out.close = false;
  out.exposed = false;
  if (offending >= 0) {
    // Its start may already be gone (a frame let through unheld): then nothing more goes.
    out.release = offending > logicalStart ? <i32>(min(offending, logicalEnd) - logicalStart) : 0;
    out.close = true;
    return out;
  }
  if (pending < 0) return out;
  if (pending < logicalStart) {
    out.exposed = true; // already let through: the rest of it follows as it comes
    return out;
  }
  if (endOfStream || logicalEnd - pending > <i64>holdLimit) {
    out.exposed = true;
    return out;
  }
  out.release = <i32>(pending - logicalStart);
  out.keepRest = true;
  return out;
}
