import { InFlightTable, InFlightRequest } from "../../assembly/filter/inflight";

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
