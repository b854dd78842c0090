/**
 * The worker's side of the voice channel calls of `SessionApi` (`voiceJoin`, `voiceLeave`,
 * `voiceSelf`, `voiceModerate`, `voiceStates`): `client.communities.voice`, a member one level
 * deeper than the allow-list's services reach.
 */
import type { VollyClient } from "@volly/client";
import { VollyError } from "@volly/protocol";
import type { SessionApi } from "./sdk-surface.js";

/** The voice channel calls of {@link SessionApi}. */
export type VoiceCalls = Pick<
  SessionApi,
  "voiceJoin" | "voiceLeave" | "voiceSelf" | "voiceModerate" | "voiceStates"
>;

/** {@link VoiceCalls} on `client`; each throws what the SDK's member throws. */
export function voiceCalls(client: VollyClient): VoiceCalls {
  const voice = client.communities.voice;
  return {
    voiceJoin: (communityId, channelId) => voice.join(communityId, channelId),
    voiceLeave: (communityId) => voice.leave(communityId),
    async voiceSelf(communityId, change) {
      let state = undefined as Awaited<ReturnType<SessionApi["voiceSelf"]>> | undefined;
      if (change.selfMute !== undefined) state = await voice.setSelfMute(communityId, change.selfMute);
      if (change.selfDeaf !== undefined) state = await voice.setSelfDeaf(communityId, change.selfDeaf);
      if (!state) throw new VollyError("VOLLY_E_BAD_REQUEST", "Nothing to change.");
      return state;
    },
    async voiceModerate(communityId, accountId, change) {
      if (change.channelId === null) {
        await voice.disconnect(communityId, accountId);
        return null;
      }
      let state: Awaited<ReturnType<SessionApi["voiceModerate"]>> = null;
      if (change.channelId !== undefined) state = await voice.move(communityId, accountId, change.channelId);
      if (change.serverMute !== undefined)
        state = await voice.serverMute(communityId, accountId, change.serverMute);
      if (change.serverDeaf !== undefined)
        state = await voice.serverDeafen(communityId, accountId, change.serverDeaf);
      return state;
    },
    voiceStates: (communityId) => voice.states(communityId),
  };
}
