import { GateDecision, decide, HOLD_LIMIT } from "../../assembly/filter/gate";

const d = new GateDecision();

describe("enforce gate", () => {
  it("lets everything through when no frame is pending and no rule is broken", () => {
    decide(d, 100, 400, -1, -1, false);
    expect(d.release).toBe(300);
    expect(d.keepRest).toBe(false);
    expect(d.close).toBe(false);
  });

  it("releases the frames before a pending one and holds it", () => {
    decide(d, 100, 400, -1, 250, false);
    expect(d.release).toBe(150);
    expect(d.keepRest).toBe(true);
    expect(d.close).toBe(false);
  });

  it("holds everything when the pending frame starts the logical buffer (held bytes included)", () => {
    decide(d, 100, 400, -1, 100, false);
    expect(d.release).toBe(0);
    expect(d.keepRest).toBe(true);
  });

  it("releases exactly the frames before the offending one, drops the rest and closes", () => {
    decide(d, 100, 400, 250, -1, false);
    expect(d.release).toBe(150);
    expect(d.keepRest).toBe(false);
    expect(d.close).toBe(true);
    decide(d, 100, 400, 100, -1, false); // the held frame itself
    expect(d.release).toBe(0);
    expect(d.close).toBe(true);
  });

  it("releases nothing more when the offending frame was already let through unheld", () => {
    decide(d, 100, 400, 40, -1, false);
    expect(d.release).toBe(0);
    expect(d.close).toBe(true);
  });

  it("lets a pending frame through once it would exceed the hold limit, or at the end of the stream", () => {
    decide(d, 0, <i64>HOLD_LIMIT + 11, -1, 10, false);
    expect(d.release).toBe(HOLD_LIMIT + 11);
    expect(d.exposed).toBe(true);
    expect(d.keepRest).toBe(false);
    decide(d, 0, <i64>HOLD_LIMIT + 10, -1, 10, false); // exactly the limit is still held
    expect(d.release).toBe(10);
    expect(d.keepRest).toBe(true);
    decide(d, 0, 100, -1, 10, true);
    expect(d.release).toBe(100);
    expect(d.exposed).toBe(true);
  });

  it("keeps letting through the rest of a frame that was let through unheld", () => {
    decide(d, 500, 900, -1, 10, false);
    expect(d.release).toBe(400);
    expect(d.keepRest).toBe(false);
  });
});
