import type { DispatchEventName } from "@volly/protocol";
import type { DispatchHandler } from "./dispatch-handler.js";
import { communityUpdate } from "./dispatches/community-update.js";
import { deviceLinkClaimed } from "./dispatches/device-link-claimed.js";
import { ephemeralMessage } from "./dispatches/ephemeral-message.js";
import { groupMessage } from "./dispatches/group-message.js";
import { presenceUpdate } from "./dispatches/presence-update.js";
import { sessionStarted } from "./dispatches/session-started.js";
import { synced } from "./dispatches/synced.js";
import { typingStart } from "./dispatches/typing-start.js";
import { voiceStateUpdate } from "./dispatches/voice-state-update.js";
import { welcome } from "./dispatches/welcome.js";

/**
 * Every gateway dispatch event (`DISPATCH_EVENTS`) and its handler. The mapped type makes
 * TypeScript reject an event without a handler here.
 */
export const DISPATCH_HANDLERS: { readonly [T in DispatchEventName]: DispatchHandler<T> } = {
  READY: sessionStarted,
  RESUMED: sessionStarted,
  GROUP_MESSAGE: groupMessage,
  WELCOME: welcome,
  SYNCED: synced,
  PRESENCE_UPDATE: presenceUpdate,
  TYPING_START: typingStart,
  DEVICE_LINK_CLAIMED: deviceLinkClaimed,
  COMMUNITY_UPDATE: communityUpdate,
  EPHEMERAL_MESSAGE: ephemeralMessage,
  VOICE_STATE_UPDATE: voiceStateUpdate,
};
