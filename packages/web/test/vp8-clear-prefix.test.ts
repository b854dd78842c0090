import { describe, expect, it } from "vitest";
import { vp8ClearBytes } from "../src/lib/calls/vp8-clear-prefix.js";

/** How much of an encoded VP8 frame stays in the clear in front of its SFrame ciphertext. */
describe("VP8 clear prefix", () => {
  // RFC 6386 §9.1: the frame tag's first bit is P, 0 on a key frame; §9.2: start code 9d 01 2a
  const keyFrame = Uint8Array.from([0x50, 0x2a, 0x01, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01, 0xff, 0xee]);
  const deltaFrame = Uint8Array.from([0x31, 0x10, 0x00, 0xaa, 0xbb]);

  it("keeps the frame tag, start code and dimensions of a key frame and the tag of a delta frame", () => {
    expect(vp8ClearBytes(keyFrame)).toBe(10);
    expect(vp8ClearBytes(deltaFrame)).toBe(3);
    expect(vp8ClearBytes(keyFrame, { mimeType: "video/VP8" })).toBe(10);
  });

  it("keeps nothing of another codec's frame or of an empty frame, and never more than the frame", () => {
    expect(vp8ClearBytes(keyFrame, { mimeType: "video/H264" })).toBe(0);
    expect(vp8ClearBytes(new Uint8Array())).toBe(0);
    expect(vp8ClearBytes(Uint8Array.from([0x00, 0x01]))).toBe(2);
  });
});
