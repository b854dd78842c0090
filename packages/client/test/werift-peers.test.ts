import { describe, expect, it } from "vitest";
import type { DirectChannel } from "../src/p2p/direct-channel.js";
import { weriftPeerFactory } from "../src/p2p/werift-peers.js";

/** Two ends of one werift data channel in this process (offer, answer, both open). */
async function channelPair(): Promise<[DirectChannel, DirectChannel]> {
  const factory = weriftPeerFactory();
  const offer = await factory.offer();
  const answer = await factory.answer(offer.sdp);
  return Promise.all([offer.complete(answer.sdp), answer.channel]);
}

/**
 * The Node peer factory (werift) over loopback: frames arrive in order, a burst larger than werift
 * takes at once arrives whole (flow control), closing one end closes the other, and an offer that is
 * not SDP is refused with a typed error.
 */
describe("weriftPeerFactory", () => {
  it("carries 3,000 frames of 2 KiB sent at once, all in order", async () => {
    const [a, b] = await channelPair();
    const got: string[] = [];
    const all = new Promise<void>((resolve) => {
      b.messages.add((text) => {
        got.push(text);
        if (got.length === 3_000) resolve();
      });
    });
    const frames = Array.from(
      { length: 3_000 },
      (_, i) => `${String(i).padStart(6, "0")}${"x".repeat(2_042)}`,
    );
    for (const f of frames) a.send(f);
    await all;
    expect(got.map((t) => t.slice(0, 6))).toEqual(frames.map((f) => f.slice(0, 6)));
    a.close();
    b.close();
  }, 120_000);

  it("closing one end closes the other", async () => {
    const [a, b] = await channelPair();
    const closed = new Promise<void>((resolve) => b.closed.add(() => resolve()));
    a.close();
    await closed;
    expect(() => a.send("after close")).toThrow(
      expect.objectContaining({ code: "VOLLY_E_PEER_UNREACHABLE" }),
    );
  });

  it("refuses an offer that is not SDP", async () => {
    await expect(weriftPeerFactory().answer("not sdp")).rejects.toMatchObject({
      code: "VOLLY_E_BAD_REQUEST",
    });
  });
});
