import type { AttachmentPointer, ProfileContent } from "@volly/protocol";
import type { ConversationMember } from "../conversations/conversation-records.js";
import type { ClientContext } from "../shared/client-context.js";
import type { VaultBatch } from "../storage/vault.js";

/** What a profile message does to the sender's avatar: set it, remove it (`avatar` undefined). */
export interface AvatarChange {
  avatar: AttachmentPointer | undefined;
}

/**
 * The avatar change a ProfileContent carries, or undefined when it leaves the avatar as it is: no
 * `avatar` and no `removeAvatar`, both at once (malformed), or an avatar that is not an image.
 */
export function avatarChange(content: ProfileContent): AvatarChange | undefined {
  if (content.avatar && content.removeAvatar) return undefined;
  if (content.avatar) return content.avatar.kind === "image" ? { avatar: content.avatar } : undefined;
  if (content.removeAvatar) return { avatar: undefined };
  return undefined;
}

/**
 * A member with `change` applied when the message (sent at `sentAt`, ms) is newer than the one
 * that last changed its avatar; the same object when it is not (an older message arriving late
 * in one conversation does not undo a newer one).
 */
export function withAvatar(
  member: ConversationMember,
  change: AvatarChange,
  sentAt: number,
): ConversationMember {
  if (member.avatarAt !== undefined && member.avatarAt > sentAt) return member;
  const { avatar: _, ...rest } = member;
  return { ...rest, ...(change.avatar ? { avatar: change.avatar } : {}), avatarAt: sentAt };
}

/** Stages this device's profile record with a new avatar (or none) in `batch` (`client.profile` too). */
export function stageOwnAvatar(
  ctx: ClientContext,
  batch: VaultBatch,
  avatar: AttachmentPointer | undefined,
): void {
  const { avatar: _, ...rest } = ctx.profile;
  ctx.profile = { ...rest, ...(avatar ? { avatar } : {}) };
  ctx.stores.profile.put(batch, ctx.profile);
}
