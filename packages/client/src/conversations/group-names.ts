import { type GroupMetaContent, newId } from "@volly/protocol";
import type { VaultBatch } from "../storage/vault.js";
import type { ConversationRecord } from "./conversation-records.js";
import type { ConversationServices } from "./conversation-services.js";
import { validName } from "./names.js";

/** A group-meta content carrying a group's name (encrypted; the server never sees it). */
export function groupMeta(name: string): GroupMetaContent {
  return { v: 1, type: "group-meta", id: newId(), name, sentAt: Date.now() };
}

/** Queues a group's name for its members and sends it (in the background if the server is away). */
export async function sendGroupMeta(
  s: ConversationServices,
  conversationId: string,
  name: string,
): Promise<void> {
  await s.outbox.add(conversationId, groupMeta(name));
  await s.outbox.flush().catch(s.ctx.diagnostics.catcher("outbox.flush"));
}

/** Renames a group (see `Conversations.rename`): a group-meta message, then the stored title. */
export async function rename(
  s: ConversationServices,
  conversationId: string,
  name: string,
): Promise<ConversationRecord> {
  const title = validName(name);
  await s.state.requireGroup(conversationId);
  const updated = await s.queue.run(conversationId, async () => {
    await s.outbox.addLocked(conversationId, groupMeta(title));
    const conv = { ...(await s.state.get(conversationId)), title };
    await s.ctx.stores.conversations.save(s.ctx.stores.batch(), conv).commit();
    return conv;
  });
  s.state.changes.emit(updated);
  s.state.named.emit(updated);
  await s.outbox.flush().catch(s.ctx.diagnostics.catcher("outbox.flush"));
  return updated;
}

/**
 * Applies a received group-meta message (a name for the group, inside the conversation's queue):
 * renames the conversation, and turns a conversation that started as direct (a 2-account group
 * joined by Welcome) into a group. Stages the writes in `batch` and returns the updated record;
 * the caller emits `changes` and `named` once the batch is committed.
 */
export async function applyGroupNameLocked(
  s: Pick<ConversationServices, "ctx">,
  advanced: ConversationRecord,
  name: string,
  batch: VaultBatch,
): Promise<ConversationRecord> {
  const { stores } = s.ctx;
  const conv: ConversationRecord = { ...advanced, kind: "group", title: name };
  if (advanced.kind === "direct" && advanced.peerHandle) {
    delete conv.peerHandle;
    if ((await stores.directConversations.get(advanced.peerHandle)) === advanced.id) {
      stores.directConversations.delete(batch, advanced.peerHandle);
    }
  }
  stores.conversations.save(batch, conv);
  return conv;
}
