import type { CallSignalContent } from "@volly/protocol";
import type { ContentHandler } from "./content-handler.js";

/** The kinds of call signaling content (`calls.ts` of packages/protocol). */
export type CallSignalType = CallSignalContent["type"];

/**
 * The handler of one call signaling kind (`call.ring`, `call.accept`, `call.decline`,
 * `call.hangup`, `call.sdp`, `call.ice`, `call.state`): ephemeral. Received as EPHEMERAL_MESSAGE it is decrypted
 * and emitted by `messaging/ephemeral-incoming.ts` (and `calls/signaling.ts`), never stored. Found
 * in the group's stored log instead (a client that sent it as a message) it is dropped: signaling
 * means something only live, and replaying an old ring would be wrong. Never handed over.
 */
function callSignalHandler<K extends CallSignalType>(type: K): ContentHandler<K> {
  return {
    type,
    persistence: "ephemeral",
    historyHandOver: false,
    scope: "conversation",
    async apply({ batch }) {
      await batch.commit();
      return {};
    },
  };
}

/** `call.ring`: see {@link callSignalHandler}. */
export const callRingHandler = callSignalHandler("call.ring");
/** `call.accept`: see {@link callSignalHandler}. */
export const callAcceptHandler = callSignalHandler("call.accept");
/** `call.decline`: see {@link callSignalHandler}. */
export const callDeclineHandler = callSignalHandler("call.decline");
/** `call.hangup`: see {@link callSignalHandler}. */
export const callHangupHandler = callSignalHandler("call.hangup");
/** `call.sdp`: see {@link callSignalHandler}. */
export const callSdpHandler = callSignalHandler("call.sdp");
/** `call.ice`: see {@link callSignalHandler}. */
export const callIceHandler = callSignalHandler("call.ice");
/** `call.state`: see {@link callSignalHandler}. */
export const callStateHandler = callSignalHandler("call.state");
