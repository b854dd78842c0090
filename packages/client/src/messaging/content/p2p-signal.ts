import type { ContentHandler } from "./content-handler.js";

/**
 * The handler of a direct-path signaling kind (`p2p.hello`, `p2p.sdp`; `p2p.ts` of
 * packages/protocol): ephemeral. Received as EPHEMERAL_MESSAGE or on the LAN rendezvous it is
 * decrypted and emitted by `messaging/ephemeral-incoming.ts` (and `p2p/direct-paths.ts`), never
 * stored. Found in the group's stored log instead it is dropped: an old offer means nothing. Never
 * handed over.
 */
function p2pSignalHandler<K extends "p2p.hello" | "p2p.sdp">(type: K): ContentHandler<K> {
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

/** `p2p.hello`: see {@link p2pSignalHandler}. */
export const p2pHelloHandler = p2pSignalHandler("p2p.hello");
/** `p2p.sdp`: see {@link p2pSignalHandler}. */
export const p2pSdpHandler = p2pSignalHandler("p2p.sdp");
