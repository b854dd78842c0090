import { type DeleteMessageResponse, VollyError } from "@volly/protocol";
import { describeError } from "../../describe-error.js";
import { finishRemoval } from "../blobs/blob-removal.js";
import { accountPermissionsIn, channelRolesOf, requirePermission } from "../communities/community-access.js";
import type { ServiceContext } from "../context.js";

/** The authenticated caller of a deletion. */
export interface MessageDeleter {
  accountId: string;
  deviceId: string;
}

/** Removing one application message's ciphertext from a group's log (delete for everyone). */
export interface MessageRemover {
  /**
   * Deletes the log entry of application message `messageId` in `groupId`, crediting its bytes back
   * to the group's and the sender's quotas. The caller's device must be a current member; its
   * account must have sent the entry or, when the group is a community channel's, hold
   * MANAGE_MESSAGES in that channel (resolved from the community's role table now). The content is
   * never read: the encrypted "delete" that makes devices show a tombstone travels separately. Blobs
   * only this message pointed at are removed with it (no longer served; files deleted after the commit).
   *
   * A message that pointed at blobs can still be deleted after its log entry was pruned (delivered):
   * it is then found by its blob references, and deleting it removes those blobs.
   *
   * @throws VOLLY_E_UNKNOWN_GROUP, VOLLY_E_NOT_GROUP_MEMBER (the caller's device), VOLLY_E_UNKNOWN_MESSAGE
   *   (no application entry with that id: never sent, already deleted, or pruned without blobs), VOLLY_E_FORBIDDEN
   *   (details.permission "MANAGE_MESSAGES"; details.reason "not-sender" outside community channels)
   */
  deleteMessage(caller: MessageDeleter, groupId: string, messageId: string): Promise<DeleteMessageResponse>;
}

/** Builds the {@link MessageRemover} over the store. */
export function createMessageRemover({ store, now, blobFiles, log }: ServiceContext): MessageRemover {
  return {
    async deleteMessage(caller, groupId, messageId) {
      const { response, released } = await store.transaction(async (tx) => {
        const group = await tx.groups.find(groupId);
        if (!group) throw new VollyError("VOLLY_E_UNKNOWN_GROUP", undefined, { groupId });
        const membership = await tx.groups.findMembership(groupId, caller.deviceId);
        if (!membership || membership.leftSeq !== null) {
          throw new VollyError("VOLLY_E_NOT_GROUP_MEMBER", undefined, { groupId });
        }
        const logged = await tx.log.findByMessageId(groupId, messageId);
        const entry = logged?.kind === "application" ? logged : undefined;
        // A message pointing at blobs is known by its references after its log entry was pruned.
        const target = entry ?? (logged ? undefined : await tx.blobs.findMessage(groupId, messageId));
        if (!target) throw new VollyError("VOLLY_E_UNKNOWN_MESSAGE", undefined, { groupId, messageId });
        // The sending device's account, revoked or not (a revoked device's messages stay its account's).
        const [sender] = await tx.devices.findMany([target.senderDeviceId]);
        if (sender?.accountId !== caller.accountId) {
          const roles = await channelRolesOf(tx, groupId);
          if (!roles) {
            throw new VollyError("VOLLY_E_FORBIDDEN", "Only its sender may delete this message.", {
              permission: "MANAGE_MESSAGES",
              reason: "not-sender",
            });
          }
          const permissions = await accountPermissionsIn(tx, roles, caller.accountId, now());
          requirePermission(permissions ?? 0, "MANAGE_MESSAGES");
        }
        if (entry) await tx.retention.deleteEntries({ groupId, afterSeq: entry.seq - 1, upToSeq: entry.seq });
        // Blobs only this message pointed at stop being served with the commit.
        const released = await tx.blobs.release(groupId, [messageId]);
        return { response: { messageId, seq: target.seq }, released };
      });
      if (blobFiles && released.length > 0) {
        await finishRemoval(store, blobFiles, released).catch((error: unknown) =>
          log?.error({ err: describeError(error) }, "blob removal failed"),
        );
      }
      return response;
    },
  };
}
