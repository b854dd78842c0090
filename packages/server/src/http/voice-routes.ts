import { parse, VOICE_ROUTES, VollyError } from "@volly/protocol";
import type { AuthContext } from "../services/context.js";
import type { VoiceService } from "../services/voice/voice-service.js";

/** What a voice route handler receives: raw params and body, and the authenticated device. */
export interface VoiceRouteInput {
  params: unknown;
  body: unknown;
  auth: AuthContext;
}

type VoiceHandlers = { [K in keyof typeof VOICE_ROUTES]: (input: VoiceRouteInput) => Promise<unknown> };

const R = VOICE_ROUTES;

/**
 * The handlers of VOICE_ROUTES (@volly/protocol): each validates params and body (→
 * VOLLY_E_BAD_REQUEST), then calls the voice service (see `services/voice/voice-service.ts`);
 * without one (an app built without voice) every route answers VOLLY_E_SFU_UNAVAILABLE.
 */
export function voiceHandlers(service: VoiceService | undefined): VoiceHandlers {
  const voice = service ?? unavailableVoice();
  return {
    joinVoice: async ({ params, auth }) => {
      const { communityId, channelId } = parse(R.joinVoice.params, params);
      return voice.join(auth, communityId, channelId);
    },
    listVoiceStates: async ({ params, auth }) => ({
      voiceStates: await voice.list(auth, parse(R.listVoiceStates.params, params).communityId),
    }),
    updateSelfVoice: async ({ params, body, auth }) =>
      voice.updateSelf(
        auth,
        parse(R.updateSelfVoice.params, params).communityId,
        parse(R.updateSelfVoice.body, body),
      ),
    leaveVoice: async ({ params, auth }) => {
      await voice.leave(auth, parse(R.leaveVoice.params, params).communityId);
      return {};
    },
    moderateVoice: async ({ params, body, auth }) => {
      const { communityId, accountId } = parse(R.moderateVoice.params, params);
      return { state: await voice.moderate(auth, communityId, accountId, parse(R.moderateVoice.body, body)) };
    },
  };
}

/** A voice service for apps built without one: every call throws VOLLY_E_SFU_UNAVAILABLE. */
function unavailableVoice(): VoiceService {
  const fail = async (): Promise<never> => {
    throw new VollyError("VOLLY_E_SFU_UNAVAILABLE", "This server has no SFU for voice channels (VOLLY_SFU).");
  };
  return {
    join: fail,
    leave: fail,
    updateSelf: fail,
    moderate: fail,
    list: fail,
    reconcile: async () => undefined,
    connectionOpened() {},
    connectionClosed() {},
    close() {},
  };
}
