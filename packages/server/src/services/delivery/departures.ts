import { type LeaveGroupResponse, newId, VollyError } from "@volly/protocol";
import { groupChannel } from "../../bus/bus.js";
import type { ServiceContext } from "../context.js";
import { requireMember } from "../groups/membership.js";

/** A device leaving a group: a departure entry in the group's log, after which it reads nothing. */
export interface DepartureRecorder {
  /**
   * Leaves a group. In one transaction: appends a "departure" entry (empty payload, a new message id,
   * the current epoch) sent by the device, and ends its membership at that entry's seq, so it
   * receives nothing after. The remaining members receive the departure as a GROUP_MESSAGE and one
   * of them commits the device's Remove (RFC 9420 §12.1.3).
   *
   * @returns the departure entry's seq
   * @throws VOLLY_E_UNKNOWN_GROUP, VOLLY_E_NOT_GROUP_MEMBER (also when it already left); nothing is
   *   written then
   */
  leave(deviceId: string, groupId: string): Promise<LeaveGroupResponse>;
}

/** Builds the {@link DepartureRecorder}. */
export function createDepartureRecorder({ store, bus, now, metrics }: ServiceContext): DepartureRecorder {
  return {
    async leave(deviceId, groupId) {
      const seq = await store.transaction(async (tx) => {
        await requireMember(tx, deviceId, groupId);
        const next = await tx.groups.nextSeq(groupId);
        if (!next) throw new VollyError("VOLLY_E_UNKNOWN_GROUP", undefined, { groupId });
        // The group's row is locked: a concurrent leave or removal may have ended the membership.
        await requireMember(tx, deviceId, groupId);
        await tx.log.append({
          groupId,
          seq: next.lastSeq,
          kind: "departure",
          messageId: newId(),
          senderDeviceId: deviceId,
          epoch: next.epoch,
          payload: "",
          createdAt: now(),
        });
        await tx.groups.endMemberships(groupId, [deviceId], next.lastSeq);
        return next.lastSeq;
      });
      metrics?.messageIn("departure");
      bus.publish(groupChannel(groupId), { type: "group-appended", groupId, seq, kind: "departure" });
      return { seq };
    },
  };
}
