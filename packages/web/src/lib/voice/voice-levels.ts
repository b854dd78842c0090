/**
 * Who is speaking, from WebRTC statistics: the `audioLevel` (0 … 1, RFC 6464 style, as getStats
 * reports it) of each received feed's inbound-rtp audio, and of this side's media-source.
 */
import type { VoiceFeed } from "./voice-media.js";

/** A level above this counts as speaking (0 … 1; -30 dBov is about 0.03). */
export const SPEAKING_LEVEL = 0.03;

/** The audio level of one connection's inbound (`inbound-rtp`) or outbound (`media-source`) audio. */
export async function audioLevel(
  pc: RTCPeerConnection,
  type: "inbound-rtp" | "media-source",
): Promise<number> {
  let level = 0;
  (await pc.getStats()).forEach((s: { type: string; kind?: string; audioLevel?: number }) => {
    if (s.type === type && s.kind === "audio") level = Math.max(level, s.audioLevel ?? 0);
  });
  return level;
}

/** The account ids speaking now: the others by their feed's level, this account by its microphone's. */
export async function speakingNow(
  feeds: readonly VoiceFeed[],
  self: { accountId: string; pc: RTCPeerConnection | undefined; muted: boolean },
): Promise<Set<string>> {
  const speaking = new Set<string>();
  await Promise.all(
    feeds.map(async (feed) => {
      if ((await audioLevel(feed.pc, "inbound-rtp")) > SPEAKING_LEVEL) speaking.add(feed.accountId);
    }),
  );
  if (self.pc && !self.muted && (await audioLevel(self.pc, "media-source")) > SPEAKING_LEVEL)
    speaking.add(self.accountId);
  return speaking;
}
