import type { CursorPosition } from "../../store/types.js";
import type { ServiceContext } from "../context.js";

/** Delivery cursors: how far each device has durably processed each group's log, and its Welcomes. */
export interface CursorTracker {
  /**
   * Records that the device durably processed these groups up to `seq` and these Welcomes. Cursors
   * only move forward, never past the group's last seq (nor past left_seq once a membership ended),
   * and only for groups the device has a membership in; unknown ids are ignored.
   */
  ack(
    deviceId: string,
    cursors: readonly { groupId: string; seq: number }[],
    welcomeIds: readonly string[],
  ): Promise<void>;
  /**
   * Advances many devices' cursors at once (monotonic), without the checks of {@link ack}: for the
   * gateway, which caps each ack to what it dispatched to that device — entries of groups the device
   * reads, within its membership — so every position is valid by construction. Shares a transaction
   * with concurrent writes.
   */
  advanceCursors(positions: readonly CursorPosition[]): Promise<void>;
}

/** Builds the {@link CursorTracker}. */
export function createCursorTracker({ store, now }: ServiceContext): CursorTracker {
  return {
    async advanceCursors(positions) {
      if (positions.length === 0) return;
      await store.transactionShared((tx) => tx.cursors.advanceMany(positions));
    },

    async ack(deviceId, cursors, welcomeIds) {
      const at = now();
      await store.transactionShared(async (tx) => {
        for (const { groupId, seq } of cursors) {
          const membership = await tx.groups.findMembership(groupId, deviceId);
          if (!membership) continue;
          const group = await tx.groups.find(groupId);
          if (!group) continue;
          const capped = Math.min(seq, group.lastSeq, membership.leftSeq ?? Number.POSITIVE_INFINITY);
          if (capped > 0) await tx.cursors.advance(deviceId, groupId, capped);
        }
        if (welcomeIds.length > 0) await tx.welcomes.ack(deviceId, welcomeIds, at);
      });
    },
  };
}
