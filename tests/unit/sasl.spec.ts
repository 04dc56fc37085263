import { LegacySasl } from "../../assembly/filter/sasl";
import { DIRECTION_REQUEST, DIRECTION_RESPONSE, FRAME_DECODE, FRAME_OPAQUE, FRAME_PEEK } from "../../assembly/framer/frame_listener";

describe("legacy SASL (SaslHandshake v0)", () => {
  it("PLAIN: one token each way, then Kafka", () => {
    const s = new LegacySasl();
    s.handshakeV0("PLAIN");
    expect(s.frameMode(DIRECTION_REQUEST, 49)).toBe(FRAME_OPAQUE); // pipelined before the response
    s.handshakeResponse(0);
    expect(s.frameMode(DIRECTION_RESPONSE, 0)).toBe(FRAME_OPAQUE);
    expect(s.frameMode(DIRECTION_RESPONSE, 20)).toBe(FRAME_DECODE);
    expect(s.frameMode(DIRECTION_REQUEST, 30)).toBe(FRAME_DECODE);
    expect(s.active()).toBe(false);
  });

  it("SCRAM: two tokens each way", () => {
    const s = new LegacySasl();
    s.handshakeV0("SCRAM-SHA-512");
    s.handshakeResponse(0);
    expect(s.frameMode(DIRECTION_REQUEST, 40)).toBe(FRAME_OPAQUE);
    expect(s.frameMode(DIRECTION_RESPONSE, 80)).toBe(FRAME_OPAQUE);
    expect(s.frameMode(DIRECTION_REQUEST, 90)).toBe(FRAME_OPAQUE);
    expect(s.frameMode(DIRECTION_RESPONSE, 40)).toBe(FRAME_OPAQUE);
    expect(s.frameMode(DIRECTION_REQUEST, 30)).toBe(FRAME_DECODE);
    expect(s.frameMode(DIRECTION_RESPONSE, 30)).toBe(FRAME_DECODE);
  });

  it("OAUTHBEARER: an error challenge means one more client token", () => {
    const s = new LegacySasl();
    s.handshakeV0("OAUTHBEARER");
    s.handshakeResponse(0);
    expect(s.frameMode(DIRECTION_REQUEST, 40)).toBe(FRAME_OPAQUE);
    expect(s.frameMode(DIRECTION_RESPONSE, 60)).toBe(FRAME_OPAQUE); // {"status":"invalid_token"}
    expect(s.frameMode(DIRECTION_REQUEST, 1)).toBe(FRAME_OPAQUE); // the client's 0x01
    expect(s.frameMode(DIRECTION_REQUEST, 30)).toBe(FRAME_DECODE);
  });

  it("GSSAPI: tokens until a frame that starts like a Kafka request", () => {
    const s = new LegacySasl();
    s.handshakeV0("GSSAPI");
    s.handshakeResponse(0);
    expect(s.frameMode(DIRECTION_REQUEST, 600)).toBe(FRAME_PEEK);
    expect(s.onFramePeek(DIRECTION_REQUEST, 0x60)).toBe(false);
    expect(s.frameMode(DIRECTION_RESPONSE, 100)).toBe(FRAME_OPAQUE);
    expect(s.frameMode(DIRECTION_REQUEST, 0)).toBe(FRAME_OPAQUE); // empty token
    expect(s.frameMode(DIRECTION_RESPONSE, 30)).toBe(FRAME_OPAQUE);
    expect(s.frameMode(DIRECTION_REQUEST, 30)).toBe(FRAME_PEEK);
    expect(s.onFramePeek(DIRECTION_REQUEST, 0x05)).toBe(false); // RFC 4121 wrap token
    expect(s.frameMode(DIRECTION_REQUEST, 30)).toBe(FRAME_PEEK);
    expect(s.onFramePeek(DIRECTION_REQUEST, 0x00)).toBe(true); // api key < 256: Kafka
    expect(s.frameMode(DIRECTION_RESPONSE, 30)).toBe(FRAME_DECODE);
    expect(s.frameMode(DIRECTION_REQUEST, 30)).toBe(FRAME_DECODE);
  });

  it("a refused handshake: the broker sends no token, the client's next frames are still skipped", () => {
    const s = new LegacySasl();
    s.handshakeV0("PLAIN");
    s.handshakeResponse(33); // UNSUPPORTED_SASL_MECHANISM
    expect(s.frameMode(DIRECTION_RESPONSE, 30)).toBe(FRAME_DECODE);
    expect(s.frameMode(DIRECTION_REQUEST, 49)).toBe(FRAME_OPAQUE);
    expect(s.frameMode(DIRECTION_REQUEST, 30)).toBe(FRAME_DECODE);
  });

  it("an unknown mechanism: nothing more of the client is decoded", () => {
    const s = new LegacySasl();
    s.handshakeV0("X-CUSTOM");
    expect(s.undecodedRest).toBe(true);
    for (let i = 0; i < 10; i++) expect(s.frameMode(DIRECTION_REQUEST, 30)).toBe(FRAME_OPAQUE);
    expect(s.window).toBe(true);
  });
});
