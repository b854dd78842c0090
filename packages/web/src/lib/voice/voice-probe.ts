/**
 * What the voice debug handle (`window.__vollyVoice`, only with the calls debug flag) reports to
 * tests: per remote feed its inbound audio (energy, level, packets from getStats `inbound-rtp`), its
 * inbound video (`framesDecoded`, whether a video track is received), and the frame-crypto
 * worker's counts for its call id and the MLS epoch whose keys open it now; this device's own counts,
 * sealing epoch and the video frames it encodes (with a few more getStats fields of the video,
 * printed by a failing test).
 */
import type { VoiceMedia } from "./voice-media.js";

/** Reads getStats of every connection of `media` and the worker's counts. */
export async function probeVoiceMedia(media: VoiceMedia): Promise<unknown> {
  const feeds = await Promise.all(
    media.remoteFeeds().map(async (feed) => {
      let energy = 0;
      let level = 0;
      let packets = 0;
      let framesDecoded = 0;
      let videoIn: Record<string, unknown> = {};
      (await feed.pc.getStats()).forEach((s: Record<string, unknown>) => {
        if (s.type !== "inbound-rtp") return;
        if (s.kind === "video") {
          framesDecoded += Number(s.framesDecoded ?? 0);
          videoIn = pick(s, VIDEO_IN);
          return;
        }
        if (s.kind !== "audio") return;
        energy = Number(s.totalAudioEnergy ?? 0);
        level = Number(s.audioLevel ?? 0);
        packets = Number(s.packetsReceived ?? 0);
      });
      return {
        accountId: feed.accountId,
        energy,
        level,
        packets,
        video: feed.video !== undefined,
        framesDecoded,
        videoIn,
        frames: await media.encryption.stats(feed.callId),
        epoch: media.installedEpoch(feed.callId),
      };
    }),
  );
  let framesEncoded = 0;
  let videoOut: Record<string, unknown> = {};
  (await media.publisher()?.getStats())?.forEach((s: Record<string, unknown>) => {
    if (s.type !== "outbound-rtp" || s.kind !== "video") return;
    framesEncoded += Number(s.framesEncoded ?? 0);
    videoOut = pick(s, VIDEO_OUT);
  });
  return {
    joined: true,
    own: await media.encryption.stats(),
    epoch: media.installedEpoch(media.callId),
    framesEncoded,
    videoOut,
    feeds,
  };
}

/** getStats fields a failing test prints (what arrived, keyframes, keyframe requests). */
const VIDEO_IN = [
  "packetsReceived",
  "framesReceived",
  "keyFramesDecoded",
  "framesDropped",
  "pliCount",
  "nackCount",
  "frameWidth",
  "frameHeight",
  "packetsLost",
  "decoderImplementation",
];
const VIDEO_OUT = [
  "keyFramesEncoded",
  "pliCount",
  "nackCount",
  "frameWidth",
  "frameHeight",
  "qualityLimitationReason",
  "targetBitrate",
  "encoderImplementation",
];

function pick(stats: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(keys.filter((k) => stats[k] !== undefined).map((k) => [k, stats[k]]));
}
