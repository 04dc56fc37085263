import { sanitizeLabel, LabelLimiter, OTHER, MAX_LABEL_LENGTH } from "../../assembly/metrics/labels";
import { metricName } from "../../assembly/metrics/names";
import { InFlightTable, InFlightRequest } from "../../assembly/filter/inflight";
import { validUtf8Prefix } from "../../assembly/protocol/utf8";

function isValidUtf8(ptr: usize, length: i32): bool {
  return validUtf8Prefix(ptr, length, false) == length;
}

describe("label values", () => {
  it("keeps safe characters and replaces the rest", () => {
    expect(sanitizeLabel("orders.v1-topic_2")).toBe("orders.v1-topic_2");
    expect(sanitizeLabel("a;.;b=.=c")).toBe("a_._b_._c");
    expect(sanitizeLabel("π")).toBe("_");
    expect(sanitizeLabel("")).toBe("none");
  });

  it("truncates long values", () => {
    let long = "";
    for (let i = 0; i < 300; i++) long += "x";
    expect(sanitizeLabel(long).length).toBe(MAX_LABEL_LENGTH);
  });

  it("caps distinct values and sends the rest to other", () => {
    const limiter = new LabelLimiter(3);
    expect(limiter.admit("a")).toBe("a");
    expect(limiter.admit("b")).toBe("b");
    expect(limiter.admit("c")).toBe("c");
    expect(limiter.admit("d")).toBe(OTHER);
    expect(limiter.admit("a")).toBe("a");
    for (let i = 0; i < 5000; i++) limiter.admit("client-" + i.toString());
    expect(limiter.distinct()).toBe(3);
    expect(limiter.overflowed).toBe(5001);
  });

  it("builds names in Envoy/Istio tag syntax", () => {
    expect(metricName("requests_total", ["api", "Produce", "client_id", "svc"])).toBe("kafka.api=.=Produce;.;client_id=.=svc;.;requests_total");
    expect(metricName("connections_total", [])).toBe("kafka.connections_total");
  });
});

describe("in-flight table", () => {
  it("is a bounded FIFO", () => {
    const t = new InFlightTable(2);
    const dropped = new InFlightRequest();
    expect(t.add(1, 0, 9, 0, dropped)).toBe(false);
    expect(t.add(2, 3, 12, 0, dropped)).toBe(false);
    expect(t.add(3, 1, 17, 0, dropped)).toBe(true);
    expect(dropped.correlationId).toBe(1);
    expect(t.size()).toBe(2);
    expect(t.find(3)).toBe(1);
    expect(t.find(1)).toBe(-1);
    t.popOldest();
    expect(t.at(0).correlationId).toBe(3);
  });
});

describe("UTF-8 validation", () => {
  it("accepts valid and rejects invalid sequences", () => {
    const ok = String.UTF8.encode("héllo π 😀");
    expect(isValidUtf8(changetype<usize>(ok), ok.byteLength)).toBe(true);
    const bad: u8[] = [0x61, 0xc3]; // truncated 2-byte sequence
    const b = new Uint8Array(2);
    b[0] = bad[0];
    b[1] = bad[1];
    expect(isValidUtf8(b.dataStart, 2)).toBe(false);
    const overlong = new Uint8Array(2);
    overlong[0] = 0xc0;
    overlong[1] = 0x80;
    expect(isValidUtf8(overlong.dataStart, 2)).toBe(false);
    const surrogate = new Uint8Array(3);
    surrogate[0] = 0xed;
    surrogate[1] = 0xa0;
    surrogate[2] = 0x80;
    expect(isValidUtf8(surrogate.dataStart, 3)).toBe(false);
  });
});

describe("in-flight table growth", () => {
  it("grows from a few slots up to its capacity, keeping FIFO order", () => {
    const t = new InFlightTable(100);
    const dropped = new InFlightRequest();
    for (let i = 0; i < 5; i++) t.add(i, 0, 9, 0, dropped);
    t.popOldest();
    t.popOldest();
    for (let i = 5; i < 100; i++) expect(t.add(i, 0, 9, 0, dropped)).toBe(false);
    expect(t.size()).toBe(98);
    expect(t.at(0).correlationId).toBe(2);
    expect(t.find(99)).toBe(97);
    expect(t.add(100, 0, 9, 0, dropped)).toBe(false);
    expect(t.add(101, 0, 9, 0, dropped)).toBe(false);
    expect(t.add(102, 0, 9, 0, dropped)).toBe(true);
    expect(dropped.correlationId).toBe(2);
  });
});
