// Response header v0 (correlation_id) or v1 (plus tagged fields). Which one depends on the
// request it answers, so the caller resolves the correlation id first (`flexible`).
// ApiVersions responses always use header v0, so that old clients can read them.
import { Stepper } from "./stepper";
import { readI32 } from "./primitives";
import { TaggedFieldSkipper, stepTaggedFields } from "./tagged_fields";

export abstract class CorrelationResolver {
  /** Called once the correlation id is read; returns whether the header has tagged fields. */
  abstract resolveResponse(correlationId: i32): bool;
}

export class ResponseHeader extends Stepper {
  correlationId: i32 = 0;
  private readId: bool = false;
  private flexible: bool = false;
  private tags: TaggedFieldSkipper = new TaggedFieldSkipper();

  constructor(private resolver: CorrelationResolver) {
    super();
  }

  reset(frameLength: i32): void {
    this.resetState(frameLength);
    this.readId = false;
    this.flexible = false;
    this.tags.reset();
  }

  protected field(p: usize, available: i32): i32 {
    if (!this.readId) {
      if (available < 4) {
        this.need(4, "ResponseHeader.CorrelationId");
        return 0;
      }
      this.correlationId = readI32(p);
      this.readId = true;
      this.flexible = this.resolver.resolveResponse(this.correlationId);
      if (!this.flexible) this.done = true;
      return 4;
    }
    return stepTaggedFields(this, this.tags, p, available, "ResponseHeader._tagged_fields");
  }
}
