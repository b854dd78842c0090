import {
  type HistoryChunkContent,
  HistoryMessage,
  HistoryPendingAction,
  LIMITS,
  matches,
  newId,
  utf8,
} from "@volly/protocol";
import type { ConversationRecord } from "../../conversations/conversation-records.js";
import type { MessageAction } from "../../messaging/actions/message-action.js";
import { carriedInHandOver } from "../../messaging/message-kinds.js";
import type { MessageBody, MessageRecord } from "../../messaging/message-records.js";
import { packChunks } from "../../shared/chunks.js";
import type { MessageStore } from "../../storage/message-stores.js";
import type { VaultBatch } from "../../storage/vault.js";

/**
 * Most JSON bytes of messages in one hand-over chunk: with the chunk's own fields and the MLS
 * overhead the ciphertext stays under LIMITS.maxMessageChars (350,000 base64url characters).
 */
export const HISTORY_CHUNK_BYTES = 200_000;
/** How many of each conversation's newest messages a hand-over carries. */
export const HISTORY_MAX_PER_CONVERSATION = 5_000;

/** The chunks of one hand-over, ready to send in the self conversation. */
export interface HistoryHandOverPlan {
  transfer: string;
  chunks: HistoryChunkContent[];
  /** Messages in the chunks. */
  messages: number;
  /** Actions in the chunks that wait here for a message not received yet. */
  pendingActions: number;
  /**
   * Messages left out: still pending here, or too large for one chunk. Records of kinds not handed
   * over (membership events) are not counted.
   */
  skipped: number;
}

/**
 * Reads this device's stored history of `conversations` (the newest
 * HISTORY_MAX_PER_CONVERSATION of each, oldest first) and packs it into hand-over chunks addressed
 * to device `to`, each at most HISTORY_CHUNK_BYTES of message JSON and
 * LIMITS.maxHistoryChunkMessages messages. Messages still pending here are left out (they reach
 * the new device through the group's log once sent). Actions waiting here for a message of those
 * conversations (`pending`) travel after the messages: the new device was not in the conversation
 * when they were sent, so it cannot get them from the log. Returns at least one chunk, so the
 * receiver always learns that the hand-over is complete.
 *
 * @param store this device's message store
 * @param conversations the conversations whose history to hand over
 * @param to the new device's id
 * @param pending the actions waiting on this device for their messages (any conversation)
 */
export async function planHistoryHandOver(
  store: MessageStore,
  conversations: readonly ConversationRecord[],
  to: string,
  pending: readonly MessageAction[] = [],
): Promise<HistoryHandOverPlan> {
  const transfer = newId();
  const entries: { entry: HistoryMessage | HistoryPendingAction; action?: true; size: number }[] = [];
  let skipped = 0;
  for (const conv of conversations) {
    for (const m of await store.recent(conv.id, HISTORY_MAX_PER_CONVERSATION)) {
      // Kinds not handed over (membership events: each device derives its own) are not counted.
      if (!carriedInHandOver(m.body)) continue;
      const entry = toHistoryMessage(m);
      const size = entry ? utf8(JSON.stringify(entry)).length : Number.POSITIVE_INFINITY;
      if (!entry || size > HISTORY_CHUNK_BYTES) skipped++;
      else entries.push({ entry, size });
    }
  }
  const messages = entries.length;
  const handedOver = new Set(conversations.map((c) => c.id));
  for (const action of pending) {
    const entry = toHistoryPendingAction(action);
    if (!handedOver.has(action.conversationId) || !entry) continue;
    const size = utf8(JSON.stringify(entry)).length;
    if (size <= HISTORY_CHUNK_BYTES) entries.push({ entry, action: true, size });
  }
  const groups = packChunks(entries, (e) => e.size, HISTORY_CHUNK_BYTES, LIMITS.maxHistoryChunkMessages);
  const sentAt = Date.now();
  const chunks = groups.map((list, index): HistoryChunkContent => {
    const actions = list.filter((e) => e.action).map((e) => e.entry as HistoryPendingAction);
    return {
      v: 1,
      type: "history",
      id: newId(),
      to,
      transfer,
      index,
      total: groups.length,
      messages: list.filter((e) => !e.action).map((e) => e.entry as HistoryMessage),
      ...(actions.length > 0 ? { pendingActions: actions } : {}),
      sentAt,
    };
  });
  return { transfer, chunks, messages, pendingActions: entries.length - messages, skipped };
}

/**
 * Stages the messages of a received hand-over chunk in `batch` as history: original ids, senders
 * and times, never marked unseen (so `volly receive` does not print them). Ids already stored, or
 * repeated within the chunk, are skipped.
 *
 * @returns the stored messages
 */
export async function stageHistoryChunk(
  messages: MessageStore,
  chunk: HistoryChunkContent,
  batch: VaultBatch,
): Promise<MessageRecord[]> {
  const seen = new Set<string>();
  const stored: MessageRecord[] = [];
  for (const m of chunk.messages) {
    if (seen.has(m.id) || (await messages.has(m.id))) continue;
    const record = fromHistoryMessage(m);
    if (!record) continue;
    seen.add(m.id);
    messages.put(batch, record);
    stored.push(record);
  }
  return stored;
}

/**
 * A stored message as the hand-over carries it: its text (or, deleted for everyone, an empty text
 * and `deletedAt`/`deletedBy`), its files' pointers, reply, reactions, edits and pin; undefined
 * for one it cannot carry.
 */
function toHistoryMessage(m: MessageRecord): HistoryMessage | undefined {
  // Pending ones reach the new device through the group's log once sent.
  if (m.status === "pending") return undefined;
  const body = bodyFields(m.body);
  if (!body) return undefined;
  const entry: HistoryMessage = {
    id: m.id,
    conversationId: m.conversationId,
    from: m.from,
    fromDeviceId: m.fromDeviceId,
    direction: m.direction,
    sentAt: m.sentAt,
    receivedAt: m.receivedAt,
    status: m.status,
    ...body,
    ...(m.seq !== undefined ? { seq: m.seq } : {}),
    ...(m.recipients ? { recipients: m.recipients } : {}),
    ...(m.deliveredTo ? { deliveredTo: m.deliveredTo } : {}),
    ...(m.readBy ? { readBy: m.readBy } : {}),
    ...(m.fromAccountId !== undefined ? { fromAccountId: m.fromAccountId } : {}),
    ...(m.replyTo !== undefined ? { replyTo: m.replyTo } : {}),
    ...(m.reactions?.length ? { reactions: m.reactions } : {}),
    ...(m.edits?.length ? { edits: m.edits } : {}),
    ...(m.originalText !== undefined ? { originalText: m.originalText } : {}),
    ...(m.pinnedAt !== undefined ? { pinnedAt: m.pinnedAt } : {}),
    ...(m.threadId !== undefined ? { threadId: m.threadId } : {}),
    ...(m.body.type === "text" && m.attachments?.length ? { attachments: m.attachments } : {}),
  };
  return matches(HistoryMessage, entry) ? entry : undefined;
}

/** A waiting action as the hand-over carries it; undefined for one that does not fit the schema. */
function toHistoryPendingAction(a: MessageAction): HistoryPendingAction | undefined {
  const entry: HistoryPendingAction = {
    type: a.type,
    id: a.id,
    conversationId: a.conversationId,
    targetId: a.targetId,
    from: a.from,
    fromAccountId: a.fromAccountId,
    direction: a.direction,
    at: a.at,
    ...(a.communityId !== undefined ? { communityId: a.communityId } : {}),
    ...(a.channelId !== undefined ? { channelId: a.channelId } : {}),
    ...(a.seq !== undefined ? { seq: a.seq } : {}),
    ...(a.emoji !== undefined ? { emoji: a.emoji } : {}),
    ...(a.remove !== undefined ? { remove: a.remove } : {}),
    ...(a.text !== undefined ? { text: a.text } : {}),
    ...(a.pinned !== undefined ? { pinned: a.pinned } : {}),
  };
  return matches(HistoryPendingAction, entry) ? entry : undefined;
}

function bodyFields(body: MessageBody): Pick<HistoryMessage, "text" | "deletedAt" | "deletedBy"> | undefined {
  if (body.type === "text") return { text: body.text };
  if (body.type === "deleted") return { text: "", deletedAt: body.deletedAt, deletedBy: body.by };
  return undefined;
}

/**
 * The record of a handed-over message (see {@link toHistoryMessage}); undefined for an empty text
 * that is no tombstone.
 */
function fromHistoryMessage(m: HistoryMessage): MessageRecord | undefined {
  const { text, deletedAt, deletedBy, edits, ...rest } = m;
  if (deletedAt !== undefined && deletedBy !== undefined) {
    const { replyTo: _r, reactions: _x, originalText: _o, pinnedAt: _p, attachments: _a, ...kept } = rest;
    return { ...kept, body: { type: "deleted", deletedAt, by: deletedBy } };
  }
  // An empty text is only the caption of files.
  if (text.length === 0 && !rest.attachments?.length) return undefined;
  const lastEdit = edits?.at(-1);
  return {
    ...rest,
    body: { type: "text", text },
    ...(edits && lastEdit ? { edits, editedAt: lastEdit.editedAt } : {}),
  };
}
