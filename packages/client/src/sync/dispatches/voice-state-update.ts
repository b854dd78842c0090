import type { DispatchHandler } from "../dispatch-handler.js";

/** VOICE_STATE_UPDATE: an account joined, changed or left a voice channel; `client.communities.voice` emits it. */
export const voiceStateUpdate: DispatchHandler<"VOICE_STATE_UPDATE"> = {
  handle(event, sync) {
    sync.onVoiceStateUpdate(event);
  },
};
