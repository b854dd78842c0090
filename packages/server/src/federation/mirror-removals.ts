import { VollyError } from "@volly/protocol";
import type { FederationContext } from "./federation-context.js";

/** A follower's side of "delete for everyone" in a group another server hosts. */
export interface MirrorRemovals {
  /**
   * The hub `origin` deleted these application messages of `groupId` for everyone: their entries go
   * from this server's copy of the log, and the blobs only they pointed at are marked removed (no
   * longer served; the blob expiry job deletes the files). Messages this copy does not hold (never
   * mirrored, pruned, removed before) are skipped; a group not mirrored here changes nothing.
   *
   * @throws VOLLY_E_FORBIDDEN when this server mirrors that group from another hub
   */
  removed(origin: string, groupId: string, messageIds: readonly string[]): Promise<void>;
}

/** Builds the {@link MirrorRemovals}. */
export function createMirrorRemovals(ctx: FederationContext): MirrorRemovals {
  const { store } = ctx.service;
  return {
    async removed(origin, groupId, messageIds) {
      const mirror = await store.federation.findMirror(groupId);
      if (!mirror) return;
      if (mirror.hub !== origin) {
        throw new VollyError("VOLLY_E_FORBIDDEN", "That server does not host a group mirrored here.");
      }
      await store.transaction(async (tx) => {
        for (const messageId of messageIds) {
          const entry = await tx.log.findByMessageId(groupId, messageId);
          if (entry?.kind !== "application") continue;
          await tx.retention.deleteEntries({ groupId, afterSeq: entry.seq - 1, upToSeq: entry.seq });
        }
        await tx.blobs.release(groupId, messageIds);
      });
    },
  };
}
