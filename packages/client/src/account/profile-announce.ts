import { type AttachmentPointer, type MessageDeclaration, newId, type ProfileContent } from "@volly/protocol";
import type { ConversationRecord } from "../conversations/conversation-records.js";
import type { OutboxExtras } from "../messaging/outbox.js";
import type { ClientContext } from "../shared/client-context.js";

/**
 * What of this account's profile this device last sent to a conversation, and to which member
 * accounts (`stores.profileSent`, by conversation id). Compared with the current profile and
 * membership before this device speaks there (see {@link profileAnnouncement}).
 */
export interface ProfileSentRecord {
  /** The display name sent, when there was one. */
  displayName?: string;
  /** The avatar's blob id sent, when one was set (absent: none, or removed). */
  avatarBlobId?: string;
  /** The other member accounts of the conversation then (account ids). */
  members: string[];
}

/** A profile message to queue before another one, with what the outbox stores along. */
export interface ProfileAnnouncement {
  content: ProfileContent;
  declares?: MessageDeclaration[];
  extras: OutboxExtras;
}

/** The record of `content` sent to `conv` now. */
export function profileSentRecord(
  content: Pick<ProfileContent, "displayName" | "avatar">,
  conv: ConversationRecord,
): ProfileSentRecord {
  return {
    ...(content.displayName !== undefined ? { displayName: content.displayName } : {}),
    ...(content.avatar ? { avatarBlobId: content.avatar.blobId } : {}),
    members: (conv.members ?? []).map((m) => m.accountId).sort(),
  };
}

/**
 * The record for `conv` once a profile change (`change`: a new display name and/or avatar, null for
 * an avatar removed) is sent there: the last record with the change applied, the members now.
 */
export async function profileSentAfter(
  ctx: ClientContext,
  conv: ConversationRecord,
  change: { displayName?: string; avatar?: AttachmentPointer | null },
): Promise<ProfileSentRecord> {
  const last = await ctx.stores.profileSent.get(conv.id);
  const displayName = change.displayName ?? last?.displayName;
  const avatarBlobId = change.avatar === undefined ? last?.avatarBlobId : change.avatar?.blobId;
  return {
    ...(displayName !== undefined ? { displayName } : {}),
    ...(avatarBlobId !== undefined ? { avatarBlobId } : {}),
    members: profileSentRecord({}, conv).members,
  };
}

/**
 * The profile message (this account's current display name and avatar) this device should send to
 * `conv` before its own next message there, or undefined when every current member already got the
 * current profile from this device (a member who left does not count; nothing is sent to community
 * channels, the self conversation, or when there is nothing to tell). Its `extras.stage` records
 * what was sent, in the batch that queues it. Call it in the conversation's queue.
 */
export async function profileAnnouncement(
  ctx: ClientContext,
  conv: ConversationRecord,
): Promise<ProfileAnnouncement | undefined> {
  if (conv.kind === "channel" || conv.self || conv.left) return undefined;
  const { displayName, avatar } = ctx.profile;
  const last = await ctx.stores.profileSent.get(conv.id);
  const next = profileSentRecord({ displayName, avatar }, conv);
  if (last) {
    const known = new Set(last.members);
    const same =
      last.displayName === next.displayName &&
      last.avatarBlobId === next.avatarBlobId &&
      next.members.every((id) => known.has(id));
    if (same) return undefined;
  }
  // a removal is only worth telling where this device had sent an avatar
  const removeAvatar = !avatar && last?.avatarBlobId !== undefined;
  if (displayName === undefined && !avatar && !removeAvatar) return undefined;
  const content: ProfileContent = {
    v: 1,
    type: "profile",
    id: newId(),
    ...(displayName !== undefined ? { displayName } : {}),
    ...(avatar ? { avatar } : {}),
    ...(removeAvatar ? { removeAvatar: true } : {}),
    sentAt: Date.now(),
  };
  const stage: NonNullable<OutboxExtras["stage"]> = (batch) => {
    ctx.stores.profileSent.put(batch, conv.id, next);
  };
  return avatar
    ? { content, declares: ["attachment"], extras: { blobIds: [avatar.blobId], stage } }
    : { content, extras: { stage } };
}
