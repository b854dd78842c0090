import type { MessageRecord, TextBody } from "@volly/client";
import type { AttachmentPointer, EntityType } from "@volly/protocol";
import type { MemberAttachment, MessageEvent } from "../events.js";

/** A stored message whose body is text (a message someone sent, possibly only files with no caption). */
export type TextRecord = MessageRecord & { body: TextBody };

/**
 * Whether a stored record is a message a member hands on: a text (or files) someone sent — not a
 * membership event, not a tombstone, and not a channel's history shared by another member's device
 * (`sharedBy`: old messages given to a newcomer, not new ones).
 */
export function isDeliverable(record: MessageRecord): record is TextRecord {
  return record.body.type === "text" && record.sharedBy === undefined;
}

/**
 * A file pointer as machine members see it: `volly receive --json`'s shape (`id` and `sha256` are
 * the blob id, which is the SHA-256 of the ciphertext).
 */
export function toMemberAttachment(pointer: AttachmentPointer): MemberAttachment {
  return {
    id: pointer.blobId,
    name: pointer.name,
    size: pointer.size,
    mime: pointer.mime,
    sha256: pointer.blobId,
  };
}

/**
 * The JSON event of a stored text message (the shared {@link MessageEvent} shape).
 *
 * @param record a record {@link isDeliverable} accepted
 * @param entityType the sender account's entity type, when known
 */
export function toMessageEvent(record: TextRecord, entityType?: EntityType): MessageEvent {
  return {
    type: "message",
    id: record.id,
    conversationId: record.conversationId,
    ...(record.communityId !== undefined ? { communityId: record.communityId } : {}),
    ...(record.channelId !== undefined ? { channelId: record.channelId } : {}),
    ...(record.threadId !== undefined ? { threadId: record.threadId } : {}),
    from: {
      accountId: record.fromAccountId ?? "",
      handle: record.from,
      ...(entityType !== undefined ? { entityType } : {}),
      ...(record.fromDeviceId ? { deviceId: record.fromDeviceId } : {}),
    },
    direction: record.direction,
    text: record.body.text,
    sentAt: record.sentAt,
    ...(record.replyTo !== undefined ? { replyTo: record.replyTo } : {}),
    attachments: (record.attachments ?? []).map(toMemberAttachment),
  };
}
