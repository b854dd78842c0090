import type { AttachmentPointer } from "@volly/protocol";
import type { ConversationRecord } from "../../conversations/conversation-records.js";
import type { ConversationsService } from "../../conversations/conversations.js";
import type { ClientContext } from "../../shared/client-context.js";
import type { KeyedQueue } from "../../shared/keyed-queue.js";
import type { Stores } from "../../storage/stores.js";
import { stageOwnAvatar } from "../avatar.js";
import type { SettingsService } from "../settings.js";
import type { AccountDoc } from "./account-doc.js";

/** What {@link projectAccountDoc} writes to. */
export interface ProjectionTargets {
  stores: Stores;
  queue: KeyedQueue;
  conversations: ConversationsService;
  settings: SettingsService;
  /** This device's context: its profile takes the account's avatar. */
  ctx: ClientContext;
}

/**
 * Makes this device's local stores agree with the account document: synced settings are applied
 * (invalid ones skipped), a group conversation takes the synced name, and a conversation's
 * `readSeq` moves forward to the account's read mark (never backwards). Each conversation is
 * updated in its own queue and emits `changes`. Idempotent: run it after every remote update and
 * after each sync. Must not be called from inside a conversation's queue.
 *
 * @param doc the account document (read synchronously, so later changes do not tear a read)
 */
export async function projectAccountDoc(doc: AccountDoc, targets: ProjectionTargets): Promise<void> {
  const settings = doc.settings();
  const wanted = new Map<string, { title: string | undefined; readSeq: number }>();
  for (const conv of await targets.conversations.list()) {
    const want = { title: doc.title(conv.id), readSeq: doc.readSeq(conv.id) };
    // Only conversations the document would change are read again in their queue: at most starts
    // that is none, not every conversation's record unsealed a second time.
    if (projected(conv, want) !== undefined) wanted.set(conv.id, want);
  }
  await targets.settings.applySynced(settings);
  await projectOwnAvatar(doc.ownAvatar(), targets.ctx);
  for (const [id, want] of wanted) {
    const updated = await targets.queue.run(id, async () => {
      const conv = await targets.stores.conversations.get(id);
      const next = conv && projected(conv, want);
      if (next) await targets.stores.conversations.save(targets.stores.batch(), next).commit();
      return next;
    });
    if (updated) targets.conversations.changes.emit(updated);
  }
}

/**
 * The record `conv` becomes with the document's name (groups only) and read mark (never moving
 * back), or undefined when it already has them.
 */
function projected(
  conv: ConversationRecord,
  want: { title: string | undefined; readSeq: number },
): ConversationRecord | undefined {
  const title = conv.kind === "group" && want.title !== undefined ? want.title : conv.title;
  const readSeq = Math.max(conv.readSeq ?? 0, want.readSeq);
  if (title === conv.title && readSeq === (conv.readSeq ?? 0)) return undefined;
  return { ...conv, title, ...(readSeq > 0 ? { readSeq } : {}) };
}

/**
 * Makes this device's profile carry the avatar the account document notes (`noted`: see
 * {@link AccountDoc.ownAvatar}; null removes it, undefined leaves the profile as it is).
 */
async function projectOwnAvatar(
  noted: AttachmentPointer | null | undefined,
  ctx: ClientContext,
): Promise<void> {
  if (noted === undefined) return;
  const avatar = noted ?? undefined;
  if (JSON.stringify(avatar) === JSON.stringify(ctx.profile.avatar)) return;
  const batch = ctx.stores.batch();
  stageOwnAvatar(ctx, batch, avatar);
  await batch.commit();
}

/**
 * Creates a read-only (`left`) record for a conversation this device has history of but is not
 * in (e.g. one the account left before this device was linked), named from the account document,
 * so the handed-over messages can be shown. Does nothing when the conversation exists. Runs in the
 * conversation's queue; must not be called from inside it.
 *
 * @param firstSentAt sentAt (ms) of its oldest handed-over message, the record's createdAt fallback
 */
export async function ensureHistoryConversation(
  doc: AccountDoc,
  targets: Pick<ProjectionTargets, "stores" | "queue" | "conversations">,
  conversationId: string,
  firstSentAt: number,
): Promise<void> {
  const created = await targets.queue.run(conversationId, async () => {
    if (await targets.stores.conversations.has(conversationId)) return undefined;
    const entry = doc.conversations().find((c) => c.id === conversationId);
    const record: ConversationRecord = {
      id: conversationId,
      kind: entry?.kind ?? "group",
      title: doc.title(conversationId) ?? entry?.peerHandle ?? "conversation",
      createdAt: entry?.createdAt ?? firstSentAt,
      lastSeq: 0,
      members: [],
      left: true,
      ...(entry?.peerHandle !== undefined ? { peerHandle: entry.peerHandle } : {}),
    };
    await targets.stores.conversations.save(targets.stores.batch(), record).commit();
    return record;
  });
  if (created) targets.conversations.changes.emit(created);
}
