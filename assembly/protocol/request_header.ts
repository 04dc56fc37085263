// Request header v0/v1/v2: api_key, api_version, correlation_id, then (v1+) client_id as a
// nullable int16-length string, then (v2, flexible APIs) tagged fields. Which version an API
// version's header is comes from the generated tables (protocol/generated/apis.ts).
import { Stepper } from "./stepper";
import { readI16, readI32, sameAscii } from "./primitives";
import { validUtf8Prefix } from "./utf8";
import { requestHeaderVersion } from "./api_table";
import { TaggedFieldSkipper, stepTaggedFields } from "./tagged_fields";

/** Longest client id kept for labels and policy; the rest is skipped by count. */
export const CLIENT_ID_KEEP: i32 = 255;

const S_FIXED: i32 = 0;
const S_CLIENT_ID_LENGTH: i32 = 1;
const S_CLIENT_ID: i32 = 2;
const S_TAGS: i32 = 3;

export class RequestHeader extends Stepper {
  apiKey: i16 = 0;
  apiVersion: i16 = 0;
  correlationId: i32 = 0;
  /** Header version: 0 (no client id), 1, or 2 (tagged fields after the client id). */
  version: i32 = 1;
  /** null when the client sent a null client id (or header v0). */
  clientId: string | null = null;
  clientIdInvalidUtf8: bool = false;
  private state: i32 = S_FIXED;
  private clientIdLength: i32 = 0;
  private tags: TaggedFieldSkipper = new TaggedFieldSkipper();
  /** The last client id decoded: a connection sends the same one in every request. */
  private lastClientId: string = "";

  reset(frameLength: i32): void {
    this.resetState(frameLength);
    this.state = S_FIXED;
    this.clientId = null;
    this.clientIdInvalidUtf8 = false;
    this.tags.reset();
  }

  protected field(p: usize, available: i32): i32 {
    if (this.state == S_FIXED) {
      if (available < 8) {
        this.need(8, "RequestHeader.ApiKey/ApiVersion/CorrelationId");
        return 0;
      }
      this.apiKey = readI16(p);
      this.apiVersion = readI16(p + 2);
      this.correlationId = readI32(p + 4);
      this.version = requestHeaderVersion(this.apiKey, this.apiVersion);
      if (this.version == 0) this.done = true; // no client id
      else this.state = S_CLIENT_ID_LENGTH;
      return 8;
    }
    if (this.state == S_CLIENT_ID_LENGTH) {
      if (available < 2) {
        this.need(2, "RequestHeader.ClientId");
        return 0;
      }
      const n = <i32>readI16(p);
      if (n < -1) {
        this.fail("RequestHeader.ClientId", "negative string length " + n.toString());
        return 0;
      }
      if (n > this.limit - this.position - 2) {
        this.position += 2;
        this.fail("RequestHeader.ClientId", "string length " + n.toString() + " runs past the end of the frame");
        return 0;
      }
      this.clientIdLength = n;
      if (n == 0) {
        // An empty client id: nothing more to read (Kafka treats it like a null one). Finished
        // here, so no step consumes zero bytes.
        this.clientIdInvalidUtf8 = false;
        this.clientId = "";
        this.afterClientId();
      } else if (n == -1) this.afterClientId();
      else this.state = S_CLIENT_ID;
      return 2;
    }
    if (this.state == S_CLIENT_ID) {
      const keep = min(this.clientIdLength, CLIENT_ID_KEEP);
      if (available < keep) {
        this.need(keep, "RequestHeader.ClientId");
        return 0;
      }
      if (sameAscii(p, keep, this.lastClientId)) {
        this.clientIdInvalidUtf8 = false; // ASCII is valid UTF-8
        this.clientId = this.lastClientId; // no new string per request
      } else {
        // A kept prefix that cuts a character ends before it, as the body decoder's strings do.
        const valid = validUtf8Prefix(p, keep, keep < this.clientIdLength);
        this.clientIdInvalidUtf8 = valid < 0;
        const id = String.UTF8.decodeUnsafe(p, <usize>(valid < 0 ? keep : valid));
        this.clientId = id;
        this.lastClientId = id;
      }
      this.afterClientId();
      const rest = this.clientIdLength - keep;
      if (rest > 0) this.skip(rest, "RequestHeader.ClientId", keep);
      return keep;
    }
    return stepTaggedFields(this, this.tags, p, available, "RequestHeader._tagged_fields");
  }

  private afterClientId(): void {
    if (this.version >= 2) this.state = S_TAGS;
    else this.done = true;
  }
}
