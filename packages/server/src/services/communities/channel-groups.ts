import { VollyError } from "@volly/protocol";
import type { Repositories } from "../../store/types.js";
import { loadChannelAccess } from "./community-access.js";

/**
 * Makes `groupId` the MLS group of a channel, inside the group's creation transaction: the creating
 * account must be able to view the channel, the channel must carry messages (not a category) and
 * must have no group yet (one group per channel, set once).
 *
 * @throws VOLLY_E_UNKNOWN_CHANNEL (no such channel, or hidden from the account), VOLLY_E_BAD_REQUEST
 *   (details.field "channelId": a category), VOLLY_E_GROUP_EXISTS (the channel has its group already)
 */
export async function bindChannelGroup(
  tx: Repositories,
  channelId: string,
  groupId: string,
  accountId: string,
  now: number,
): Promise<void> {
  const { channel } = await loadChannelAccess(tx, channelId, accountId, now, { lock: true });
  if (channel.type === "category") {
    throw new VollyError("VOLLY_E_BAD_REQUEST", "A category carries no messages.", { field: "channelId" });
  }
  if (!(await tx.communities.setChannelGroup(channelId, groupId))) {
    throw new VollyError("VOLLY_E_GROUP_EXISTS", "The channel has its group already.", {
      groupId: channel.groupId,
      channelId,
    });
  }
}
