import type { ContentHandler, ContentType } from "./content-handler.js";

/**
 * The handler of a kind of ephemeral signaling (call and direct-path signaling: `call-signal.ts`,
 * `p2p-signal.ts`). Received as EPHEMERAL_MESSAGE (or on the LAN rendezvous) it is decrypted and
 * emitted by `messaging/ephemeral-incoming.ts`, never stored. Found in the group's stored log
 * instead (a client that sent it as a message) it is dropped: signaling means something only live,
 * and replaying an old ring or offer would be wrong. Never handed over.
 */
export function ephemeralSignalHandler<K extends ContentType>(type: K): ContentHandler<K> {
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
