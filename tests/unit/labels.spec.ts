import { sanitizeLabel, LabelLimiter, OTHER, MAX_LABEL_LENGTH } from "../../assembly/metrics/labels";
import { metricName } from "../../assembly/metrics/names";

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
