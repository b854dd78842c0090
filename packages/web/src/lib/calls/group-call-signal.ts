/**
 * Sending a group call's signals (ephemeral MLS content to the conversation, `call.*` kinds): the
 * store's one way out, and this device's `call.state` — its microphone and camera, as the others'
 * tiles show them.
 */
import { sdk } from "../sdk.js";

/** One call signal (the SDK's `sendCallSignal` content). */
export type GroupSignal = Parameters<typeof sdk.session.sendCallSignal>[1];

/**
 * Sends `signal` to the conversation's devices (with `toDevice`, to one); nothing without a
 * conversation. Errors: the SDK's (not connected, not a member) propagate.
 */
export function sendGroupSignal(conversationId: string | undefined, signal: GroupSignal): Promise<void> {
  if (!conversationId) return Promise.resolve();
  return sdk.session.sendCallSignal(conversationId, signal);
}

/**
 * Tells the others this device's microphone and camera (`call.state`): a shared screen counts as
 * the camera on (the tiles show it instead of the avatar). Errors are dropped (the next state
 * change sends it again).
 */
export function sendGroupCallState(call: {
  conversationId: string;
  callId: string;
  muted: boolean;
  cameraOff: boolean;
  sharingScreen: boolean;
}): Promise<void> {
  const { conversationId, callId, muted, cameraOff, sharingScreen } = call;
  const state = { type: "call.state" as const, callId, muted, cameraOff: cameraOff && !sharingScreen };
  return sendGroupSignal(conversationId, state).catch(() => undefined);
}
