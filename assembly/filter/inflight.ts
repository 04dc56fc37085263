// Requests waiting for their response on one connection. Kafka answers requests on a connection
// in the order they were sent, so this is a FIFO: a response normally matches the oldest entry.
// Entries skipped over by a later response never got one (e.g. Produce with acks=0) and are
// dropped; the table is capped so a client that never reads responses cannot grow it.

export class InFlightRequest {
  correlationId: i32 = 0;
  apiKey: i16 = 0;
  apiVersion: i16 = 0;
  startNanos: u64 = 0;
}

/** Slots allocated for a new connection; the ring doubles up to `capacity` when clients pipeline. */
const INITIAL_SLOTS: i32 = 8;

export class InFlightTable {
  private ring: StaticArray<InFlightRequest>;
  private head: i32 = 0;
  private count: i32 = 0;

  constructor(public capacity: i32) {
    this.ring = newRing(min(capacity, INITIAL_SLOTS));
  }

  private grow(): void {
    const old = this.ring;
    const next = newRing(min(this.capacity, old.length * 2));
    for (let i = 0; i < this.count; i++) copyEntry(old[(this.head + i) % old.length], next[i]);
    this.ring = next;
    this.head = 0;
  }

  size(): i32 {
    return this.count;
  }

  /** Adds a request; when full, the oldest entry is dropped and returned (else null). */
  add(correlationId: i32, apiKey: i16, apiVersion: i16, startNanos: u64, dropped: InFlightRequest): bool {
    let evictedOne = false;
    if (this.count == this.ring.length && this.ring.length < this.capacity) this.grow();
    if (this.count == this.capacity) {
      copyEntry(this.ring[this.head], dropped);
      this.head = (this.head + 1) % this.ring.length;
      this.count--;
      evictedOne = true;
    }
    const e = this.ring[(this.head + this.count) % this.ring.length];
    e.correlationId = correlationId;
    e.apiKey = apiKey;
    e.apiVersion = apiVersion;
    e.startNanos = startNanos;
    this.count++;
    return evictedOne;
  }

  /** Position of the entry with this correlation id from the oldest (0), or -1. */
  find(correlationId: i32): i32 {
    for (let i = 0; i < this.count; i++) {
      if (this.ring[(this.head + i) % this.ring.length].correlationId == correlationId) return i;
    }
    return -1;
  }

  /** The entry `index` places after the oldest. */
  at(index: i32): InFlightRequest {
    return this.ring[(this.head + index) % this.ring.length];
  }

  /** Removes the oldest entry (call after reading it with at(0)). */
  popOldest(): void {
    if (this.count == 0) return;
    this.head = (this.head + 1) % this.ring.length;
    this.count--;
  }

  /** Removes the newest entry (a request that turned out to expect no response). */
  popNewest(): void {
    if (this.count > 0) this.count--;
  }
}

function newRing(slots: i32): StaticArray<InFlightRequest> {
  const ring = new StaticArray<InFlightRequest>(slots);
  for (let i = 0; i < slots; i++) ring[i] = new InFlightRequest();
  return ring;
}

function copyEntry(from: InFlightRequest, to: InFlightRequest): void {
  to.correlationId = from.correlationId;
  to.apiKey = from.apiKey;
  to.apiVersion = from.apiVersion;
  to.startNanos = from.startNanos;
}
