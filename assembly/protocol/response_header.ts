// Response header v0 (correlation_id) or v1 (plus tagged fields). Which one depends on the request
// it answers, and only the owner of correlation knows that request: the stepper reads the
// correlation id and is done as a v0 header; the framer asks its listener which version the
// header is, and for v1 calls setVersion(1) and steps on through the tagged fields.
// (ApiVersions responses always use header v0, so that old clients can read them.)
import { Stepper } from "./stepper";
import { readI32 } from "./primitives";
import { TaggedFieldSkipper, stepTaggedFields } from "./tagged_fields";

export class ResponseHeader extends Stepper {
  correlationId: i32 = 0;
  /** The header's version is known (setVersion was called after the correlation id was read). */
  versionKnown: bool = false;
  private readId: bool = false;
  private tags: TaggedFieldSkipper = new TaggedFieldSkipper();

  reset(frameLength: i32): void {
    this.resetState(frameLength);
    this.readId = false;
    this.versionKnown = false;
    this.tags.reset();
  }

  /** The header version of the request's response: 1 goes on with a tagged-field section. */
  setVersion(version: i32): void {
    this.versionKnown = true;
    if (version >= 1) this.done = false;
  }

  protected field(p: usize, available: i32): i32 {
    if (!this.readId) {
      if (available < 4) {
        this.need(4, "ResponseHeader.CorrelationId");
        return 0;
      }
      this.correlationId = readI32(p);
      this.readId = true;
      this.done = true; // until setVersion() says otherwise
      return 4;
    }
    return stepTaggedFields(this, this.tags, p, available, "ResponseHeader._tagged_fields");
  }
}
