import { encryptFile, generateFileKey } from "@volly/crypto";
import { type AttachmentPointer, newId, type ProfileContent, VollyError } from "@volly/protocol";
import type { AttachmentSources } from "../attachments/attachment-sources.js";
import type { OutgoingAttachment } from "../attachments/attachments-api.js";
import { pendingPointer } from "../attachments/outgoing-pointer.js";
import { uploadBlob } from "../attachments/tus-upload.js";
import type { ConversationRecord } from "../conversations/conversation-records.js";
import type { ConversationState } from "../conversations/conversation-state.js";
import type { Outbox } from "../messaging/outbox.js";
import type { ClientContext } from "../shared/client-context.js";
import type { VaultBatch } from "../storage/vault.js";
import { stageOwnAvatar } from "./avatar.js";
import { profileSentAfter } from "./profile-announce.js";

/** What publishing an avatar works with. */
export interface AvatarDeps {
  state: ConversationState;
  outbox: Outbox;
  sources: AttachmentSources;
  /** Notes this account's avatar (undefined: removed) for its other devices (account sync). */
  noteOwnAvatar?: (avatar: AttachmentPointer | undefined) => void;
}

/** The conversations a profile change is sent to: direct and group ones this device is still in. */
export async function profileTargets(state: ConversationState): Promise<ConversationRecord[]> {
  // community channels show the directory's name; left conversations cannot be sent to
  return (await state.list()).filter((c) => c.kind !== "channel" && !c.left);
}

/**
 * Encrypts and uploads an avatar image once (to the first of `targets`; the server lets its
 * uploader point at it from its other conversations) and returns its pointer.
 *
 * @throws VollyError VOLLY_E_USAGE (not an image type, a bad thumbnail or name, no conversation to
 *   share it in), what the upload throws (VOLLY_E_TOO_LARGE, VOLLY_E_QUOTA_EXCEEDED,
 *   VOLLY_E_SERVER_UNREACHABLE…)
 */
export async function uploadAvatar(
  ctx: ClientContext,
  deps: AvatarDeps,
  file: OutgoingAttachment,
  targets: readonly ConversationRecord[],
): Promise<AttachmentPointer> {
  if (typeof file?.mime !== "string" || !file.mime.toLowerCase().startsWith("image/")) {
    throw new VollyError("VOLLY_E_USAGE", "An avatar is an image (image/* media type).");
  }
  const first = targets[0];
  if (!first) {
    throw new VollyError("VOLLY_E_USAGE", "An avatar is shared through conversations: start one first.");
  }
  const size = await deps.sources.sizeOf(file.source);
  const key = generateFileKey();
  const pending = pendingPointer({ ...file, kind: "image" }, size, key);
  const blobId = await uploadBlob({
    api: ctx.api,
    conversationId: first.id,
    size: pending.ciphertextSize,
    open: () => encryptFile(key, deps.sources.readSource(file.source), size),
    onUrl: async () => undefined,
    onProgress: () => undefined,
  });
  return { ...pending, blobId };
}

/**
 * Sends `content` (a profile message) to each of `targets`, with `blobIds` and the "attachment"
 * declaration when it points at a blob, stages this device's own avatar, and flushes the outbox.
 * A conversation the message cannot be queued for is reported to diagnostics ("profile.send").
 *
 * @returns how many conversations it was queued for
 */
export async function sendProfile(
  ctx: ClientContext,
  deps: AvatarDeps,
  content: Omit<ProfileContent, "id" | "sentAt" | "v" | "type">,
  targets: readonly ConversationRecord[],
): Promise<number> {
  const batch = ctx.stores.batch();
  stageOwnAvatar(ctx, batch, content.avatar);
  await batch.commit();
  deps.noteOwnAvatar?.(content.avatar);
  const blobIds = content.avatar ? [content.avatar.blobId] : undefined;
  let sent = 0;
  for (const conv of targets) {
    const message: ProfileContent = { v: 1, type: "profile", id: newId(), ...content, sentAt: Date.now() };
    try {
      const record = await profileSentAfter(ctx, conv, {
        ...(content.displayName !== undefined ? { displayName: content.displayName } : {}),
        ...(content.avatar || content.removeAvatar ? { avatar: content.avatar ?? null } : {}),
      });
      const stage = (b: VaultBatch) => ctx.stores.profileSent.put(b, conv.id, record);
      if (blobIds) await deps.outbox.add(conv.id, message, undefined, ["attachment"], { blobIds, stage });
      else await deps.outbox.add(conv.id, message, undefined, undefined, { stage });
      sent++;
    } catch (err) {
      ctx.diagnostics.report("profile.send", err);
    }
  }
  await deps.outbox.flush().catch(ctx.diagnostics.catcher("outbox.flush"));
  return sent;
}

/**
 * The avatar of `accountId` as this device knows it: this account's own, else the newest one
 * (by the sender's `sentAt`) kept on that account in any conversation, or undefined (none set or
 * removed).
 */
export async function avatarOf(
  ctx: ClientContext,
  state: ConversationState,
  accountId: string,
): Promise<AttachmentPointer | undefined> {
  if (accountId === ctx.profile.accountId) return ctx.profile.avatar;
  let newest: { avatar?: AttachmentPointer; avatarAt: number } | undefined;
  for (const conv of await state.list()) {
    for (const m of [...(conv.members ?? []), ...(conv.formerMembers ?? [])]) {
      if (m.accountId !== accountId || m.avatarAt === undefined) continue;
      if (!newest || m.avatarAt > newest.avatarAt) {
        newest = { avatarAt: m.avatarAt, ...(m.avatar ? { avatar: m.avatar } : {}) };
      }
    }
  }
  return newest?.avatar;
}
