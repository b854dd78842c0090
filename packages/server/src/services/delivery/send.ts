import { type SendMessageBody, type SendMessageResponse, VollyError } from "@volly/protocol";
import { groupChannel } from "../../bus/bus.js";
import { StoreConflict } from "../../store/store-conflict.js";
import type {
  DeferredSends,
  LogEntryRecord,
  MembershipPolicyName,
  SharedRepositories,
} from "../../store/types.js";
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

/** Most groups whose membership policy a {@link MessageAppender} remembers (then it starts over). */
const MAX_KNOWN_POLICIES = 100_000;

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
  /**
   * The policy each group follows, as its seq allocations returned it (a group's never changes): a
   * send to a group known here may be deferred whole (the deferred allocation checks it again).
   */
  const knownPolicies = new Map<string, MembershipPolicyName>();

  /** Refuses a message for an epoch the group has not reached. */
  const checkEpoch = (body: SendMessageBody, groupEpoch: number) => {
    if (body.epoch > groupEpoch) {
      throw new VollyError("VOLLY_E_BAD_REQUEST", "The group has not reached that epoch.", {
        currentEpoch: groupEpoch,
      });
    }
  };

  /**
   * The send deferred whole to the end of its batch (PostgreSQL, a batch run without savepoints):
   * its allocation, its policy's check, its append and its quota checks are each one statement for
   * every deferred send of the batch. Returns the entry, whose seq is set at the batch's end; false
   * when the send cannot be deferred whole (the group's policy is not known yet, or its check
   * cannot be deferred).
   */
  const sendDeferred = (
    deferred: DeferredSends,
    deviceId: string,
    groupId: string,
    body: SendMessageBody,
    sender: MessageSender,
  ): LogEntryRecord | false => {
    const membershipPolicy = knownPolicies.get(groupId);
    const group = membershipPolicy && { id: groupId, membershipPolicy };
    if (
      !group ||
      !policies[group.membershipPolicy].deferSendCheck?.(deviceId, group, deferred, body.declares ?? [])
    ) {
      return false;
    }
    const size = body.ciphertext.length;
    const entry = { ...entryOf(deviceId, groupId, body), seq: 0 };
    deferred.send({
      entry,
      accountId: sender.accountId,
      bytes: size,
      membershipPolicy: group.membershipPolicy,
      check(allocated, accountBytes) {
        checkEpoch(body, allocated.epoch);
        checkQuota("group", limits.groupBytes, allocated.storedBytes, size);
        if (accountBytes !== undefined) checkQuota("account", limits.accountBytes, accountBytes, size);
      },
    });
    return entry;
  };

  /**
   * The send with its own statements: allocating the seq first locks the group's row (and names its
   * membership policy, and charges the group's quota), so no commit removing this device can land
   * between the policy's check and the append; the sender's account is charged last, so its row
   * (PostgreSQL) is locked only until the commit. With `deferred` (PostgreSQL, a batch run without
   * savepoints) the policy's check and the append with its charge go to the batch's end.
   */
  const sendNow = async (
    tx: SharedRepositories,
    deferred: DeferredSends | undefined,
    deviceId: string,
    groupId: string,
    body: SendMessageBody,
    sender: MessageSender | undefined,
  ): Promise<LogEntryRecord> => {
    const size = body.ciphertext.length;
    const declares = body.declares ?? [];
    // after the sends to this group deferred earlier in the batch (by any sender): the log keeps
    // the calls' order
    await tx.deferred?.allocatePending(groupId);
    const next = await tx.groups.nextSeq(groupId, size);
    if (!next) throw new VollyError("VOLLY_E_UNKNOWN_GROUP", undefined, { groupId });
    if (knownPolicies.size >= MAX_KNOWN_POLICIES) knownPolicies.clear();
    knownPolicies.set(groupId, next.membershipPolicy);
    const group = { id: groupId, membershipPolicy: next.membershipPolicy };
    const policy = policies[next.membershipPolicy];
    if (!(deferred && policy.deferSendCheck?.(deviceId, group, deferred, declares))) {
      await policy.authorizeSend(deviceId, group, tx, declares);
    }
    checkEpoch(body, next.epoch);
    checkQuota("group", limits.groupBytes, next.storedBytes, size);
    const record = { ...entryOf(deviceId, groupId, body), seq: next.lastSeq };
    // a send locks its rows in the order group, blobs, account: with blobs, the account is
    // charged in a statement of its own after they are referenced
    let accountBytes: number | undefined;
    if (deferred && sender) {
      deferred.appendCharging(record, sender.accountId, size, (total) => {
        if (total !== undefined) checkQuota("account", limits.accountBytes, total, size);
      });
    } else if (sender && body.blobIds === undefined) {
      accountBytes = await tx.log.appendCharging(record, sender.accountId, size);
    } else {
      await tx.log.append(record);
      await referenceBlobs(tx, record, body);
      accountBytes = sender
        ? await tx.storage.chargeAccount(sender.accountId, size)
        : (await tx.storage.chargeAccountOf(deviceId, size))?.storedBytes;
    }
    if (accountBytes !== undefined) checkQuota("account", limits.accountBytes, accountBytes, size);
    return record;
  };

  /** The log entry of an application message, without its seq. */
  const entryOf = (
    deviceId: string,
    groupId: string,
    body: SendMessageBody,
  ): Omit<LogEntryRecord, "seq"> => ({
    groupId,
    kind: "application",
    messageId: body.messageId,
    senderDeviceId: deviceId,
    epoch: body.epoch,
    payload: body.ciphertext,
    createdAt: now(),
  });

  return {
    async sendMessage(deviceId, groupId, body, sender) {
      checkBlobDeclaration(body);
      let appended: LogEntryRecord;
      try {
        // Group commit: messages arriving together share one commit (one fsync on SQLite). Four
        // statements per message (three on PostgreSQL with the sender known, whose append and
        // charge are one; none of its own in a PostgreSQL batch run without savepoints, which
        // defers the send whole). A message id already stored fails the append's unique (group,
        // message id) constraint, which rolls the allocation back and is answered below as a retry.
        appended = await store.transactionShared(async (tx) => {
          // with blobs, or without a known sender, nothing is deferred but the policy's check
          const deferred = sender && body.blobIds === undefined ? tx.deferred : undefined;
          if (deferred && sender) {
            const entry = sendDeferred(deferred, deviceId, groupId, body, sender);
            if (entry) return entry;
          }
          return sendNow(tx, deferred, deviceId, groupId, body, sender);
        });
      } catch (error) {
        // A retry (the id is stored already, or its original won a race on another node) lost the
        // unique (group, message id) constraint; its writes rolled back, so no seq was used.
        if (!(error instanceof StoreConflict)) throw error;
        const previous = await store.log.findByMessageId(groupId, body.messageId);
        if (!previous) throw error;
        if (previous.kind === "application" && previous.payload === body.ciphertext) {
          return { seq: previous.seq, duplicate: true };
        }
        throw new VollyError("VOLLY_E_MESSAGE_ID_CONFLICT", undefined, { messageId: body.messageId });
      }
      metrics?.messageIn("application");
      bus.publish(groupChannel(groupId), {
        type: "group-appended",
        groupId,
        seq: appended.seq,
        kind: "application",
        ...(sender
          ? {
              entry: toGroupMessageEvent({
                ...appended,
                senderAccountId: sender.accountId,
                senderHandle: sender.handle,
              }),
            }
          : {}),
      });
      return { seq: appended.seq, duplicate: false };
    },
  };
}
