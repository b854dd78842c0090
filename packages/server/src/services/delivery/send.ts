import { type SendMessageBody, type SendMessageResponse, VollyError } from "@volly/protocol";
import { groupChannel } from "../../bus/bus.js";
import { StoreConflict } from "../../store/store-conflict.js";
import type { LogEntryRecord } from "../../store/types.js";
import { checkBlobDeclaration, referenceBlobs } from "../blobs/blob-references.js";
import type { ServiceContext } from "../context.js";
import type { MembershipPolicies } from "../groups/membership-policies.js";
import { checkQuota, type ServiceLimits } from "../service-limits.js";
import { toGroupMessageEvent } from "./events.js";

/** The account of the device sending a message, as GROUP_MESSAGE names it. */
export interface MessageSender {
  accountId: string;
  handle: string;
}

/** Appending application messages to a group's log (RFC 9420 §16.9: the delivery service orders them). */
export interface MessageAppender {
  /**
   * Appends an application message; resolves only once it is durable. Its ciphertext's characters
   * count against the storage quotas of the group and of the sender's account, checked in the same
   * transaction as the append (the counters are updated by the statements that allocate the seq and
   * by one more), until the retention job prunes it. Idempotent by messageId: the
   * same id with the same ciphertext returns the original seq with `duplicate: true`. Messages
   * arriving together share one commit and are appended in call order (see
   * Store.transactionShared), so a sender's next message may be sent before this one is stored. With `sender` (the
   * authenticated device's account), the bus notification carries the stored entry, so receivers
   * that are up to date dispatch it without reading the store, and the account is charged by its id
   * (else it is found from the device in the same statement). Who may send is the group's
   * membership policy's decision (admin policy: current members).
   *
   * With `body.blobIds` the message must declare "attachment", and each blob must be complete and
   * of this group; which blobs it points at is recorded in the same transaction (so they are
   * removed with it, `services/blobs/`).
   *
   * @throws VOLLY_E_UNKNOWN_GROUP, VOLLY_E_NOT_GROUP_MEMBER, VOLLY_E_MESSAGE_ID_CONFLICT,
   *   VOLLY_E_BAD_REQUEST (an epoch the group has not reached, details.currentEpoch; blobIds without
   *   the "attachment" declaration, details.field "declares"), VOLLY_E_BLOB_NOT_READY (details.blobId),
   *   VOLLY_E_QUOTA_EXCEEDED (details.scope "group" or "account", limit, used, size); nothing is
   *   stored on error
   */
  sendMessage(
    deviceId: string,
    groupId: string,
    body: SendMessageBody,
    sender?: MessageSender,
  ): Promise<SendMessageResponse>;
}

/**
 * Builds the {@link MessageAppender}.
 *
 * @param policies the membership policies groups follow, by name
 * @param limits the storage quotas (`accountBytes`, `groupBytes`)
 */
export function createMessageAppender(
  { store, bus, now, metrics }: ServiceContext,
  policies: MembershipPolicies,
  limits: Pick<ServiceLimits, "accountBytes" | "groupBytes">,
): MessageAppender {
  return {
    async sendMessage(deviceId, groupId, body, sender) {
      const duplicateOf = (previous: LogEntryRecord) => {
        if (previous.kind === "application" && previous.payload === body.ciphertext) {
          return { seq: previous.seq, duplicate: true };
        }
        throw new VollyError("VOLLY_E_MESSAGE_ID_CONFLICT", undefined, { messageId: body.messageId });
      };
      checkBlobDeclaration(body);
      let result: SendMessageResponse;
      let appended: LogEntryRecord | undefined;
      try {
        // Group commit: messages arriving together share one commit (one fsync on SQLite). Four
        // statements: allocating the seq first locks the group's row (and names its membership
        // policy, and charges the group's quota), so no commit removing this device can land between
        // the policy's check and the append; a message id already stored fails the append's unique
        // (group, message id) constraint, which rolls the allocation back and is answered below as a
        // retry; the sender's account is charged last, so its row (PostgreSQL) is locked only until
        // the commit.
        const size = body.ciphertext.length;
        result = await store.transactionShared(async (tx) => {
          const next = await tx.groups.nextSeq(groupId, size);
          if (!next) throw new VollyError("VOLLY_E_UNKNOWN_GROUP", undefined, { groupId });
          await policies[next.membershipPolicy].authorizeSend(
            deviceId,
            { id: groupId, membershipPolicy: next.membershipPolicy },
            tx,
            body.declares ?? [],
          );
          if (body.epoch > next.epoch) {
            throw new VollyError("VOLLY_E_BAD_REQUEST", "The group has not reached that epoch.", {
              currentEpoch: next.epoch,
            });
          }
          checkQuota("group", limits.groupBytes, next.storedBytes, size);
          const record = {
            groupId,
            seq: next.lastSeq,
            kind: "application" as const,
            messageId: body.messageId,
            senderDeviceId: deviceId,
            epoch: body.epoch,
            payload: body.ciphertext,
            createdAt: now(),
          };
          await tx.log.append(record);
          await referenceBlobs(tx, record, body);
          const accountBytes = sender
            ? await tx.storage.chargeAccount(sender.accountId, size)
            : (await tx.storage.chargeAccountOf(deviceId, size))?.storedBytes;
          if (accountBytes !== undefined) checkQuota("account", limits.accountBytes, accountBytes, size);
          appended = record;
          return { seq: next.lastSeq, duplicate: false };
        });
      } catch (error) {
        // A retry (the id is stored already, or its original won a race on another node) lost the
        // unique (group, message id) constraint; its writes rolled back, so no seq was used.
        if (!(error instanceof StoreConflict)) throw error;
        const previous = await store.log.findByMessageId(groupId, body.messageId);
        if (!previous) throw error;
        return duplicateOf(previous);
      }
      if (!result.duplicate) {
        metrics?.messageIn("application");
        bus.publish(groupChannel(groupId), {
          type: "group-appended",
          groupId,
          seq: result.seq,
          kind: "application",
          ...(sender && appended
            ? {
                entry: toGroupMessageEvent({
                  ...appended,
                  senderAccountId: sender.accountId,
                  senderHandle: sender.handle,
                }),
              }
            : {}),
        });
      }
      return result;
    },
  };
}
