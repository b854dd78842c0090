import { type GroupMetaContent, newId } from "@volly/protocol";
import type { MembershipBody, MembershipParty, MessageRecord } from "../messaging/message-records.js";
import type { VaultBatch } from "../storage/vault.js";
import type { ConversationRecord } from "./conversation-records.js";
import type { ConversationServices } from "./conversation-services.js";
import { type MembershipEventOrigin, toParty } from "./membership-timeline.js";
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

/**
 * Renames a group (see `Conversations.rename`): a group-meta message, then the stored title and
 * "You renamed the group to …" in its timeline (when the name changed).
 */
export async function rename(
  s: ConversationServices,
  conversationId: string,
  name: string,
): Promise<ConversationRecord> {
  const title = validName(name);
  await s.state.requireGroup(conversationId);
  const { updated, events } = await s.queue.run(conversationId, async () => {
    const meta = groupMeta(title);
    await s.outbox.addLocked(conversationId, meta);
    const before = await s.state.get(conversationId);
    const conv: ConversationRecord = { ...before, title, groupName: title };
    const batch = s.ctx.stores.conversations.save(s.ctx.stores.batch(), conv);
    const bodies = (before.groupName ?? before.title) === title ? [] : [renamed(s.timeline.self(), title)];
    const origin = { at: meta.sentAt, fromDeviceId: s.ctx.profile.deviceId };
    const events = s.timeline.stage(batch, conv, bodies, origin);
    await batch.commit();
    return { updated: conv, events };
  });
  s.state.changes.emit(updated);
  s.state.named.emit(updated);
  s.timeline.announce(events);
  await s.outbox.flush().catch(s.ctx.diagnostics.catcher("outbox.flush"));
  return updated;
}

/** A "renamed" membership event body. */
function renamed(actor: MembershipParty, name: string): MembershipBody {
  return { type: "membership", change: "renamed", actor, subjects: [], name };
}

/** Who sent a received group-meta message, and where it is in the log. */
export interface GroupMetaOrigin extends MembershipEventOrigin {
  /** The sender's account (its MLS credential, which the pipeline checked). */
  accountId: string;
}

/**
 * Applies a received group-meta message (a name for the group, inside the conversation's queue):
 * renames the conversation, and turns a conversation that started as direct (a 2-account group
 * joined by Welcome) into a group. A name other than the one last announced is a rename ("<sender>
 * renamed the group to …" in the timeline); the first name after joining is not. A conversation
 * that becomes a group here gets its "<them> added you" event. Stages the writes in `batch` and
 * returns the updated record and the staged events; the caller emits `changes` and `named`, and
 * announces the events, once the batch is committed.
 */
export async function applyGroupNameLocked(
  s: Pick<ConversationServices, "ctx" | "timeline">,
  advanced: ConversationRecord,
  name: string,
  batch: VaultBatch,
  origin: GroupMetaOrigin,
): Promise<{ conv: ConversationRecord; events: MessageRecord[] }> {
  const { stores } = s.ctx;
  const conv: ConversationRecord = { ...advanced, kind: "group", title: name, groupName: name };
  delete conv.joinedBy;
  if (advanced.kind === "direct" && advanced.peerHandle) {
    delete conv.peerHandle;
    if ((await stores.directConversations.get(advanced.peerHandle)) === advanced.id) {
      stores.directConversations.delete(batch, advanced.peerHandle);
    }
  }
  stores.conversations.save(batch, conv);
  const events: MessageRecord[] = [];
  const joined = advanced.kind === "direct" ? advanced.joinedBy : undefined;
  if (joined) {
    const body: MembershipBody = {
      type: "membership",
      change: "joined",
      actor: toParty(joined.by),
      subjects: [s.timeline.self()],
    };
    events.push(...s.timeline.stage(batch, conv, [body], { at: joined.at }));
  }
  const renaming =
    advanced.kind === "group" && advanced.groupName !== undefined && advanced.groupName !== name;
  if (renaming) {
    const actor = s.timeline.party(advanced, origin.accountId);
    events.push(...s.timeline.stage(batch, conv, [renamed(actor, name)], origin));
  }
  return { conv, events };
}
