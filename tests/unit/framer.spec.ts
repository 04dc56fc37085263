import { FrameAssembler } from "../../assembly/framer/frame_assembler";
import { DIRECTION_REQUEST, DIRECTION_RESPONSE, FRAME_DECODE, FRAME_OPAQUE, FRAME_PEEK } from "../../assembly/framer/frame_listener";
import { Bytes, requestFrame, concat, Recorder, feedSplit, sameEvents, MemorySource } from "./helpers";
import { RequestHeader } from "../../assembly/protocol/request_header";
import { Stepper } from "../../assembly/protocol/stepper";

function sampleStream(): u8[] {
  return concat([
    requestFrame(18, 3, 1, "kcat", 20), // ApiVersions v3: flexible header
    requestFrame(3, 12, 2, "java-client-1", 37), // Metadata v12
    requestFrame(0, 9, 3, null, 100), // Produce v9, null client id
    requestFrame(7, 0, 4, null, 6), // ControlledShutdown v0: header v0
    requestFrame(1, 4, 5, "π-client", 0), // Fetch v4: header v1, UTF-8 id, empty body
  ]);
}

function reference(stream: u8[]): string[] {
  const r = new Recorder();
  const a = new FrameAssembler(DIRECTION_REQUEST, r);
  feedSplit(a, stream, []);
  return r.events;
}

describe("framer: requests", () => {
  it("parses headers of several frames in one chunk", () => {
    const events = reference(sampleStream());
    expect(events.length).toBe(5);
    expect(events[0]).toBe("req 18v3 #1 kcat");
    expect(events[1]).toBe("req 3v12 #2 java-client-1");
    expect(events[2]).toBe("req 0v9 #3 <null>");
    expect(events[3]).toBe("req 7v0 #4 <null>");
    expect(events[4]).toBe("req 1v4 #5 π-client");
  });

  it("gives the same result for a split at every byte", () => {
    const stream = sampleStream();
    const expected = reference(stream);
    for (let cut = 1; cut < stream.length; cut++) {
      const r = new Recorder();
      const a = new FrameAssembler(DIRECTION_REQUEST, r);
      feedSplit(a, stream, [cut]);
      expect(sameEvents(r.events, expected)).toBe(true, "split at " + cut.toString());
      expect(r.frames).toBe(5);
    }
  });

  it("gives the same result for every pair of splits", () => {
    const stream = sampleStream();
    const expected = reference(stream);
    for (let c1 = 1; c1 < stream.length; c1 += 3) {
      for (let c2 = c1 + 1; c2 < stream.length; c2 += 5) {
        const r = new Recorder();
        feedSplit(new FrameAssembler(DIRECTION_REQUEST, r), stream, [c1, c2]);
        expect(sameEvents(r.events, expected)).toBe(true);
      }
    }
  });

  it("copes with one byte per callback", () => {
    const stream = sampleStream();
    const cuts: i32[] = [];
    for (let i = 1; i < stream.length; i++) cuts.push(i);
    const r = new Recorder();
    feedSplit(new FrameAssembler(DIRECTION_REQUEST, r), stream, cuts);
    expect(sameEvents(r.events, reference(stream))).toBe(true);
  });

  it("copies a bounded number of bytes of a multi-megabyte frame", () => {
    const big = requestFrame(0, 9, 7, "big", 8 * 1024 * 1024);
    const stream = concat([big, requestFrame(18, 3, 8, "after", 4)]);
    const cuts: i32[] = [];
    for (let at = 65536; at < stream.length; at += 65536) cuts.push(at);
    const r = new Recorder();
    const a = new FrameAssembler(DIRECTION_REQUEST, r);
    feedSplit(a, stream, cuts);
    expect(r.events.length).toBe(2);
    expect(r.events[1]).toBe("req 18v3 #8 after");
    expect(a.bytesCopied).toBeLessThan(16 * 1024);
    expect(a.streamOffset).toBe(stream.length);
  });

  it("keeps only the first 255 bytes of a long client id and skips the rest", () => {
    let id = "";
    for (let i = 0; i < 1000; i++) id += "x";
    const stream = concat([requestFrame(18, 3, 9, id, 3), requestFrame(18, 3, 10, "next", 0)]);
    for (let cut = 1; cut < stream.length; cut += 97) {
      const r = new Recorder();
      feedSplit(new FrameAssembler(DIRECTION_REQUEST, r), stream, [cut]);
      expect(r.events.length).toBe(2);
      expect(r.events[0]).toBe("req 18v3 #9 " + id.substring(0, 255));
      expect(r.events[1]).toBe("req 18v3 #10 next");
    }
  });

  it("cuts a long client id before a character the 255th byte splits, as valid UTF-8", () => {
    let id = "";
    for (let i = 0; i < 254; i++) id += "x";
    const kept = id;
    for (let i = 0; i < 10; i++) id += "π"; // 2 bytes each: the first spans bytes 254 and 255
    const stream = concat([requestFrame(18, 3, 9, id, 3), requestFrame(18, 3, 10, "next", 0)]);
    for (let cut = 1; cut < stream.length; cut += 31) {
      const r = new Recorder();
      feedSplit(new FrameAssembler(DIRECTION_REQUEST, r), stream, [cut]);
      expect(r.events[0]).toBe("req 18v3 #9 " + kept);
      expect(r.events[1]).toBe("req 18v3 #10 next");
    }
  });
});

// Issue 14: an empty (not null) client id in a flexible header was reported as malformed
// ("no progress"), which hid every request of clients configured with client.id="".
function emptyIds(): u8[] {
  return concat([
    requestFrame(18, 3, 1, "", 0), // ApiVersions v3: header v2, empty id, empty tags, empty body
    requestFrame(3, 12, 2, "", 5), // Metadata v12: header v2
    requestFrame(3, 8, 3, "", 0), // Metadata v8: header v1, empty id, empty body
    new Bytes().i16(18).i16(3).i32(4).i16(0).varint(1).varint(0).varint(0).frame(), // one zero-size tag
    requestFrame(1, 4, 5, "after", 0),
  ]);
}

describe("framer: zero-length fields", () => {
  it("reads an empty client id in header v1 and v2 at every split", () => {
    const stream = emptyIds();
    const expected = ["req 18v3 #1 ", "req 3v12 #2 ", "req 3v8 #3 ", "req 18v3 #4 ", "req 1v4 #5 after"];
    for (let cut = 0; cut < stream.length; cut++) {
      const r = new Recorder();
      feedSplit(new FrameAssembler(DIRECTION_REQUEST, r), stream, cut == 0 ? [] : [cut]);
      expect(r.malformed).toBe(0, "split at " + cut.toString() + ": " + (r.events.length > 0 ? r.events[0] : ""));
      expect(sameEvents(r.events, expected)).toBe(true, "split at " + cut.toString());
      expect(r.frames).toBe(5);
    }
  });

  it("reads an empty client id one byte per callback", () => {
    const stream = emptyIds();
    const cuts: i32[] = [];
    for (let i = 1; i < stream.length; i++) cuts.push(i);
    const r = new Recorder();
    feedSplit(new FrameAssembler(DIRECTION_REQUEST, r), stream, cuts);
    expect(r.malformed).toBe(0);
    expect(r.frames).toBe(5);
  });

  it("tells an empty client id from a null one", () => {
    const r = new Recorder();
    feedSplit(new FrameAssembler(DIRECTION_REQUEST, r), concat([requestFrame(18, 3, 1, null, 0), requestFrame(18, 3, 2, "", 0)]), []);
    expect(r.events[0]).toBe("req 18v3 #1 <null>");
    expect(r.events[1]).toBe("req 18v3 #2 ");
  });
});

describe("framer: bad input", () => {
  it("reports a frame too short for its header and resumes at the next frame", () => {
    const short = new Bytes().i16(18).i16(3).frame(); // 4-byte frame
    const stream = concat([short, requestFrame(18, 3, 11, "ok", 0)]);
    for (let cut = 0; cut < stream.length; cut++) {
      const r = new Recorder();
      feedSplit(new FrameAssembler(DIRECTION_REQUEST, r), stream, cut == 0 ? [] : [cut]);
      expect(r.malformed).toBe(1);
      expect(r.events[0].startsWith("malformed header RequestHeader.ApiKey")).toBe(true);
      expect(r.events[1]).toBe("req 18v3 #11 ok");
      expect(r.frames).toBe(2);
    }
  });

  it("reports a negative client id length, naming the field", () => {
    const bad = new Bytes().i16(3).i16(1).i32(12).i16(-7).zeros(10).frame();
    const r = new Recorder();
    feedSplit(new FrameAssembler(DIRECTION_REQUEST, r), concat([bad, requestFrame(3, 1, 13, "x", 2)]), []);
    expect(r.events[0]).toBe("malformed header RequestHeader.ClientId @8: negative string length -7");
    expect(r.events[1]).toBe("req 3v1 #13 x");
  });

  it("reports a client id longer than its frame", () => {
    const bad = new Bytes().i16(3).i16(1).i32(14).i16(5000).zeros(10).frame();
    const r = new Recorder();
    feedSplit(new FrameAssembler(DIRECTION_REQUEST, r), bad, []);
    expect(r.malformed).toBe(1);
    expect(r.events[0].includes("RequestHeader.ClientId")).toBe(true, r.events[0]);
  });

  it("reports a tagged-field section that runs past the frame", () => {
    const bad = new Bytes().i16(18).i16(3).i32(15).str("c").varint(1).varint(0).varint(900).zeros(3).frame();
    const r = new Recorder();
    feedSplit(new FrameAssembler(DIRECTION_REQUEST, r), concat([bad, requestFrame(18, 3, 16, "n", 0)]), []);
    expect(r.events[0].includes("RequestHeader._tagged_fields")).toBe(true, r.events[0]);
    expect(r.events[1]).toBe("req 18v3 #16 n");
  });

  it("gives up framing on a negative length and passes the rest through", () => {
    const stream = concat([requestFrame(18, 3, 17, "a", 0), new Bytes().i32(-5).zeros(20).data, requestFrame(18, 3, 18, "b", 0)]);
    const r = new Recorder();
    const a = new FrameAssembler(DIRECTION_REQUEST, r);
    feedSplit(a, stream, [30]);
    expect(r.lost).toBe(1);
    expect(r.events[1].includes("negative frame length -5")).toBe(true, r.events[1]);
    expect(a.isLost()).toBe(true);
    expect(a.streamOffset).toBe(stream.length);
  });

  it("gives up framing on an oversized length (e.g. TLS bytes)", () => {
    const tls = new Bytes().i8(0x16).i8(3).i8(1).i8(2).zeros(100).data;
    const r = new Recorder();
    feedSplit(new FrameAssembler(DIRECTION_REQUEST, r), tls, []);
    expect(r.lost).toBe(1);
    expect(r.events[0].includes("exceeds the limit")).toBe(true, r.events[0]);
  });
});

describe("framer: unknown versions", () => {
  it("reads a header of a plausible newer version as Kafka does, and skips the body", () => {
    // Produce v15 (the tables know 3-13): Kafka derives the header version from the API's
    // flexibleVersions (9+), so a tagged-field section (one 2-byte field here) follows the client id.
    const newer = new Bytes().i16(0).i16(15).i32(51).str("probe").varint(1).varint(0).varint(2).zeros(2).zeros(7).frame();
    const stream = concat([newer, requestFrame(18, 3, 52, "next", 0)]);
    for (let cut = 0; cut < stream.length; cut++) {
      const r = new Recorder();
      feedSplit(new FrameAssembler(DIRECTION_REQUEST, r), stream, cut == 0 ? [] : [cut]);
      expect(r.malformed).toBe(0);
      expect(r.events[0]).toBe("req 0v15 #51 probe");
      expect(r.events[1]).toBe("req 18v3 #52 next");
    }
  });

  it("reads only the common header fields of a made-up version, and skips the rest", () => {
    // Produce v200 is far beyond any real version: no tagged fields are assumed.
    const unknown = new Bytes().i16(0).i16(200).i32(53).str("probe").zeros(7).frame();
    const r = new Recorder();
    feedSplit(new FrameAssembler(DIRECTION_REQUEST, r), concat([unknown, requestFrame(18, 3, 54, "next", 0)]), []);
    expect(r.malformed).toBe(0);
    expect(r.events[0]).toBe("req 0v200 #53 probe");
    expect(r.events[1]).toBe("req 18v3 #54 next");
  });

  it("reads the tagged fields of an ApiVersions probe newer than the tables (header v2)", () => {
    // ApiVersions v9 with one tagged field of 3 bytes in its header, then a 2-byte body.
    const probe = new Bytes().i16(18).i16(9).i32(55).str("newer").varint(1).varint(0).varint(3).zeros(3).zeros(2).frame();
    const stream = concat([probe, requestFrame(18, 3, 56, "next", 0)]);
    for (let cut = 0; cut < stream.length; cut++) {
      const r = new Recorder();
      feedSplit(new FrameAssembler(DIRECTION_REQUEST, r), stream, cut == 0 ? [] : [cut]);
      expect(r.malformed).toBe(0);
      expect(r.events[0]).toBe("req 18v9 #55 newer");
      expect(r.events[1]).toBe("req 18v3 #56 next");
    }
  });
});

describe("framer: responses", () => {
  it("reads correlation ids of v0 headers across splits", () => {
    const stream = concat([new Bytes().i32(21).zeros(10).frame(), new Bytes().i32(22).frame()]);
    for (let cut = 1; cut < stream.length; cut++) {
      const r = new Recorder();
      feedSplit(new FrameAssembler(DIRECTION_RESPONSE, r), stream, [cut]);
      expect(r.events.length).toBe(2);
      expect(r.events[0]).toBe("resp #21 len 14");
      expect(r.events[1]).toBe("resp #22 len 4");
    }
  });

  it("skips tagged fields of v1 headers when the request was flexible", () => {
    const stream = concat([new Bytes().i32(23).varint(2).varint(0).varint(3).zeros(3).varint(5).varint(0).zeros(6).frame(), new Bytes().i32(24).varint(0).frame()]);
    for (let cut = 1; cut < stream.length; cut++) {
      const r = new Recorder();
      r.flexibleResponses = true;
      feedSplit(new FrameAssembler(DIRECTION_RESPONSE, r), stream, [cut]);
      expect(r.malformed).toBe(0);
      expect(r.events.length).toBe(2);
      expect(r.events[1]).toBe("resp #24 len 5");
    }
  });
});

/** Stops the framer at the first request whose client id is "rogue" (an enforced policy). */
class StopAtRogue extends Recorder {
  stopped: bool = false;
  onRequestHeader(h: RequestHeader, frameLength: i32): Stepper | null {
    super.onRequestHeader(h, frameLength);
    if (h.clientId !== null && (h.clientId as string) == "rogue") this.stopped = true;
    return null;
  }
  stopFeeding(): bool {
    return this.stopped;
  }
}

describe("framer: frame offsets for an enforcing filter", () => {
  it("names where the offending frame starts and reads no further, at every split", () => {
    const a1 = requestFrame(18, 3, 1, "good", 3);
    const a2 = requestFrame(3, 12, 2, "good", 9);
    const stream = concat([a1, a2, requestFrame(3, 12, 3, "rogue", 9), requestFrame(3, 12, 4, "good", 9)]);
    for (let cut = 0; cut < stream.length; cut++) {
      const r = new StopAtRogue();
      const a = new FrameAssembler(DIRECTION_REQUEST, r);
      feedSplit(a, stream, cut == 0 ? [] : [cut]);
      expect(r.stopped).toBe(true);
      expect(a.frameStart).toBe(a1.length + a2.length, "split at " + cut.toString());
      expect(r.events.length).toBe(3); // the frame after the offending one is never read
    }
  });

  it("knows where the frame in progress began, inside its length prefix too", () => {
    const a1 = requestFrame(18, 3, 1, "good", 3);
    const stream = concat([a1, requestFrame(3, 12, 2, "next", 9)]);
    for (let cut = 1; cut < stream.length; cut++) {
      const a = new FrameAssembler(DIRECTION_REQUEST, new Recorder());
      const buf = new Uint8Array(stream.length);
      for (let i = 0; i < stream.length; i++) buf[i] = stream[i];
      a.feed(new MemorySource(buf.dataStart, cut));
      const expected: i64 = cut < a1.length ? 0 : cut == a1.length ? -1 : <i64>a1.length;
      expect(a.pendingFrameStart()).toBe(expected, "cut at " + cut.toString());
      expect(a.inHeader()).toBe(cut < 4 + 15 || (cut > a1.length && cut < a1.length + 4 + 15), "cut at " + cut.toString());
    }
  });
});

/** Skips frames 2 and 3 unread (opaque), peeks at frame 4 (decoded when its first byte is 0). */
class Opaque extends Recorder {
  seen: i32 = 0;
  frameMode(direction: i32, frameLength: i32): i32 {
    this.seen++;
    if (this.seen == 2 || this.seen == 3) return FRAME_OPAQUE;
    if (this.seen == 4 || this.seen == 5) return FRAME_PEEK;
    return FRAME_DECODE;
  }
  onFramePeek(direction: i32, frameLength: i32, firstByte: u8): bool {
    this.events.push("peek " + firstByte.toString());
    return firstByte == 0;
  }
}

describe("framer: frames the listener says are not Kafka", () => {
  it("skips opaque frames unread and decides peeked ones by their first byte, at every split", () => {
    const stream = concat([
      requestFrame(18, 3, 1, "a", 0),
      new Bytes().raw([0, 0x73, 0x76, 0x63, 0, 0x21, 0x68, 0x75, 0x6e, 0x74, 0x65, 0x72]).frame(), // a PLAIN token
      new Bytes().frame(), // an empty token
      new Bytes().raw([0x60, 0x82, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]).frame(), // a GSSAPI token
      requestFrame(3, 1, 2, "b", 4),
      requestFrame(18, 0, 3, "c", 0),
    ]);
    for (let cut = 0; cut <= stream.length; cut++) {
      const r = new Opaque();
      const a = new FrameAssembler(DIRECTION_REQUEST, r);
      feedSplit(a, stream, [cut]);
      expect(r.events.join("|")).toBe("req 18v3 #1 a|peek 96|peek 0|req 3v1 #2 b|req 18v0 #3 c");
      expect(r.frames).toBe(6);
      expect(r.malformed).toBe(0);
      expect(a.inFrame()).toBe(false);
    }
  });
});
