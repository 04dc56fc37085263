// What the framer reports to the connection. The framer itself knows only frames and headers;
// the connection decides what a header means (in-flight tracking, metrics, body decoding).
import { Stepper } from "../protocol/stepper";
import { RequestHeader } from "../protocol/request_header";
import { ResponseHeader } from "../protocol/response_header";

export const DIRECTION_REQUEST: i32 = 0; // downstream -> upstream (client to broker)
export const DIRECTION_RESPONSE: i32 = 1; // upstream -> downstream (broker to client)

export function directionName(direction: i32): string {
  return direction == DIRECTION_REQUEST ? "request" : "response";
}

/** How the framer treats the next frame of a direction (FrameListener.frameMode). */
export const FRAME_DECODE: i32 = 0; // a Kafka frame: parse its header (and maybe its body)
export const FRAME_OPAQUE: i32 = 1; // not a Kafka frame (e.g. a raw SASL token): skip it unread
export const FRAME_PEEK: i32 = 2;   // ask onFramePeek() with the frame's first byte, then decode or skip

export abstract class FrameListener {
  /**
   * A response's correlation id was read: the listener owns correlation, so it says which
   * request this answers and returns that response's header version (0, or 1 with tagged fields).
   */
  abstract onResponseCorrelation(correlationId: i32): i32;
  /** Called when a frame's length prefix is read, before any of its bytes. */
  frameMode(direction: i32, frameLength: i32): i32 {
    return FRAME_DECODE;
  }
  /** After FRAME_PEEK: true to decode the frame, false to skip it unread. */
  onFramePeek(direction: i32, frameLength: i32, firstByte: u8): bool {
    return true;
  }
  /** A request header was parsed. Returns the body decoder to run, or null to skip the body. */
  abstract onRequestHeader(header: RequestHeader, frameLength: i32): Stepper | null;
  /** A response header was parsed. Returns the body decoder to run, or null to skip the body. */
  abstract onResponseHeader(header: ResponseHeader, frameLength: i32): Stepper | null;
  /** The frame ended; `bodyDecoded` is true when a body decoder ran to completion. */
  abstract onFrameEnd(direction: i32, frameLength: i32, bodyDecoded: bool): void;
  /** A header or body did not parse. The frame's bytes are still forwarded untouched. */
  abstract onMalformed(direction: i32, part: string, field: string, reason: string, offset: i32): void;
  /** The length prefix is impossible (negative or over the limit): framing of this direction is lost. */
  abstract onFramingLost(direction: i32, reason: string, streamOffset: i64): void;
  /** True when the framer must read no further (the rest of the callback's bytes are dropped). */
  stopFeeding(): bool {
    return false;
  }
}
