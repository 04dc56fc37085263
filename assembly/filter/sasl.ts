// The legacy SASL flow of one connection (SaslHandshake v0, KIP-43): after the handshake the
// client sends raw SASL tokens (int32 length + token bytes, no Kafka header) and the broker answers
// with raw tokens, until authentication completes; then Kafka requests resume. Those frames carry
// credentials (a PLAIN token is "authzid\0user\0password"), so they are never parsed: this tracks
// which frames of each direction are tokens, and the framer skips them unread.
//
// What the broker does (Kafka's SaslServerAuthenticator): a SaslHandshake v0 request naming an
// enabled mechanism puts the connection in the AUTHENTICATE state at once (before the response is
// even written); each client packet is then a token given to the mechanism, and each token the
// mechanism returns is sent back size-prefixed; when the mechanism completes, Kafka requests
// follow. A refused mechanism gets an error response and the connection is closed; a broker
// without SASL on that listener answers ILLEGAL_SASL_STATE and goes on reading Kafka requests
// (here the client's next frames are skipped all the same: they may be its credentials).
// SaslHandshake v1+ (SaslAuthenticate requests, which are Kafka frames) needs none of this.
//
// Tokens per mechanism, client / broker: PLAIN 1 / 1 (the broker's is empty); SCRAM-SHA-256 and
// SCRAM-SHA-512 2 / 2; OAUTHBEARER 1 / 1 on success, and on failure the broker's token is an error
// challenge (not empty) that the client answers with one more token (0x01) before the broker closes.
// GSSAPI has a varying number of rounds, but its tokens are GSS-API tokens (0x60 framing, or
// RFC 4121 tokens starting 0x04/0x05) or empty, never starting with 0x00, while every Kafka request
// does (api keys < 256): a client frame of at least a request header's size starting with 0x00
// ends the GSSAPI exchange. Any other mechanism: the rest of the connection is not decoded.
import { DIRECTION_REQUEST, FRAME_DECODE, FRAME_OPAQUE, FRAME_PEEK } from "../framer/frame_listener";

const UNTIL_KAFKA: i32 = -1; // GSSAPI: tokens until a frame that starts like a Kafka request
const FOREVER: i32 = -2; // unknown mechanism: nothing more is decoded

/** Smallest request header: api key, version, correlation id, client id length. */
const MIN_REQUEST_HEADER: i32 = 10;

export class LegacySasl {
  /** Client frames still to skip as tokens (or UNTIL_KAFKA / FOREVER); 0 when not in a token phase. */
  private clientTokens: i32 = 0;
  /** Broker frames still to skip as tokens (or UNTIL_KAFKA: until the client resumes Kafka requests). */
  private brokerTokens: i32 = 0;
  private brokerSkipped: i32 = 0;
  private oauth: bool = false;
  /** Broker tokens the mechanism sends (set when the handshake request is seen). */
  private brokerExpected: i32 = 0;
  /**
   * From the handshake request until the client resumes Kafka and one of its requests is answered:
   * a response matching no request in flight is skipped quietly (it may be a token; its bytes are
   * not reported).
   */
  window: bool = false;
  /** The mechanism is not one we know the exchange of: the rest of the connection is passed undecoded. */
  undecodedRest: bool = false;

  active(): bool {
    return this.clientTokens != 0 || this.brokerTokens != 0;
  }

  /** A SaslHandshake v0 request naming `mechanism` ("" when it did not decode) was seen. */
  handshakeV0(mechanism: string): void {
    this.window = true;
    this.brokerSkipped = 0;
    this.oauth = false;
    this.brokerTokens = 0;
    if (mechanism == "PLAIN") this.expect(1, 1);
    else if (mechanism == "SCRAM-SHA-256" || mechanism == "SCRAM-SHA-512") this.expect(2, 2);
    else if (mechanism == "OAUTHBEARER") {
      this.expect(1, 1);
      this.oauth = true;
    } else if (mechanism == "GSSAPI") this.expect(UNTIL_KAFKA, UNTIL_KAFKA);
    else {
      this.expect(FOREVER, UNTIL_KAFKA);
      this.undecodedRest = true;
    }
  }

  private expect(client: i32, broker: i32): void {
    this.clientTokens = client;
    this.brokerExpected = broker;
  }

  /**
   * The handshake's response: error code 0 means the broker now sends raw tokens too. After an
   * error the broker sends none (it closes, or, on a listener without SASL, goes on with Kafka),
   * but the client's next frames are still skipped as tokens: a client that does not wait for the
   * response may already have sent its credentials.
   */
  handshakeResponse(errorCode: i32): void {
    if (errorCode == 0) this.brokerTokens = this.brokerExpected;
  }

  /** How the framer treats the next frame of `direction`. */
  frameMode(direction: i32, frameLength: i32): i32 {
    if (direction == DIRECTION_REQUEST) {
      const left = this.clientTokens;
      if (left == 0) return FRAME_DECODE;
      if (left == UNTIL_KAFKA) return frameLength < MIN_REQUEST_HEADER ? this.clientToken() : FRAME_PEEK;
      return this.clientToken();
    }
    const left = this.brokerTokens;
    if (left == 0) return FRAME_DECODE;
    this.brokerSkipped++;
    if (this.oauth && this.brokerSkipped == 1 && frameLength > 0) this.clientTokens++; // error challenge: one more client token
    if (left > 0) this.brokerTokens = left - 1;
    return FRAME_OPAQUE;
  }

  /** GSSAPI: a client frame's first byte says whether it is a token or a Kafka request. */
  onFramePeek(direction: i32, firstByte: u8): bool {
    if (direction != DIRECTION_REQUEST || this.clientTokens != UNTIL_KAFKA) return true;
    if (firstByte != 0) {
      this.clientToken();
      return false;
    }
    this.clientTokens = 0;
    this.kafkaResumed();
    return true;
  }

  private clientToken(): i32 {
    const left = this.clientTokens;
    if (left > 0) {
      this.clientTokens = left - 1;
      // The client's last token was sent: what follows it are Kafka requests.
      if (left == 1) this.kafkaResumed();
    }
    return FRAME_OPAQUE;
  }

  /** The client is done with tokens: so is the broker when its count is open-ended. */
  private kafkaResumed(): void {
    if (this.brokerTokens == UNTIL_KAFKA) this.brokerTokens = 0;
    if (this.brokerExpected == UNTIL_KAFKA) this.brokerExpected = 0;
  }

  /** A response matched a request sent after the token exchange: the window closes. */
  answered(): void {
    if (!this.active()) this.window = false;
  }
}
