import { type ChannelHistoryContent, LIMITS, matches, newId, SharedMessage, utf8 } from "@volly/protocol";
import {
  HISTORY_CHUNK_BYTES,
  HISTORY_MAX_PER_CONVERSATION,
} from "../account/account-sync/history-handover.js";
import type { ConversationRecord } from "../conversations/conversation-records.js";
import { channelOf, type MessageRecord, messageText } from "../messaging/message-records.js";
import { packChunks } from "../shared/chunks.js";
import type { MessageStore } from "../storage/message-stores.js";
import type { VaultBatch } from "../storage/vault.js";

/**
 * Reads what this device holds of a channel conversation's history since `since` (its newest
 * HISTORY_MAX_PER_CONVERSATION messages, oldest first: text someone wrote, sent or received, not
 * pending) and packs it into chunks addressed to the devices `to` (at most
 * LIMITS.maxHistoryRecipients), each at most HISTORY_CHUNK_BYTES of message JSON and
 * LIMITS.maxHistoryChunkMessages messages. Returns at least one chunk (an empty window still tells
 * the newcomers that nothing was sent since `since`).
 *
 * @param since start of the window (epoch ms)
 * @param to the joined devices' ids
 */
export async function planChannelHistory(
  store: MessageStore,
  conversationId: string,
  to: readonly string[],
  since: number,
): Promise<ChannelHistoryContent[]> {
  const entries: { message: SharedMessage; size: number }[] = [];
  for (const m of await store.recent(conversationId, HISTORY_MAX_PER_CONVERSATION)) {
    const message = toSharedMessage(m);
    if (!message || m.sentAt < since) continue;
    const size = utf8(JSON.stringify(message)).length;
    if (size <= HISTORY_CHUNK_BYTES) entries.push({ message, size });
  }
  const groups = packChunks(entries, (e) => e.size, HISTORY_CHUNK_BYTES, LIMITS.maxHistoryChunkMessages);
  const transfer = newId();
  const sentAt = Date.now();
  return groups.map((group, index) => ({
    v: 1,
    type: "channel-history",
    id: newId(),
    to: [...to],
    transfer,
    index,
    total: groups.length,
    since,
    messages: group.map((e) => e.message),
    sentAt,
  }));
}

/**
 * Stages the messages of a channel history chunk addressed to this device in `batch`, as history
 * labelled `sharedBy` (never marked unseen, so `volly receive` does not print them). Kept only
 * what the channel's policy allowed when this device joined (`floor`, epoch ms) up to the chunk's
 * own time: a sharer cannot place messages outside that. Ids already stored, or repeated, are
 * skipped (several sharers, or history this device received itself).
 *
 * @param conv the channel conversation
 * @param ownHandle this account's handle (its own earlier messages are "out")
 * @param sharedBy handle of the member whose device sent the chunk (MLS-authenticated)
 * @param floor earliest `sentAt` accepted (epoch ms)
 * @returns the stored messages
 */
export async function stageSharedHistory(
  store: MessageStore,
  batch: VaultBatch,
  chunk: ChannelHistoryContent,
  conv: ConversationRecord,
  ownHandle: string,
  sharedBy: string,
  floor: number,
): Promise<MessageRecord[]> {
  const stored: MessageRecord[] = [];
  const seen = new Set<string>();
  const receivedAt = Date.now();
  for (const m of chunk.messages) {
    if (m.sentAt < floor || m.sentAt > chunk.sentAt || seen.has(m.id) || (await store.has(m.id))) continue;
    // An empty text is only the caption of files.
    if (m.text === "" && !m.attachments?.length) continue;
    seen.add(m.id);
    const out = m.from === ownHandle;
    const record: MessageRecord = {
      id: m.id,
      conversationId: conv.id,
      ...channelOf(conv),
      from: m.from,
      fromDeviceId: m.fromDeviceId,
      ...(m.fromAccountId !== undefined ? { fromAccountId: m.fromAccountId } : {}),
      direction: out ? "out" : "in",
      body: { type: "text", text: m.text },
      ...(m.attachments?.length ? { attachments: m.attachments } : {}),
      sentAt: m.sentAt,
      receivedAt,
      status: out ? "sent" : "received",
      ...(m.threadId !== undefined ? { threadId: m.threadId } : {}),
      sharedBy,
    };
    store.put(batch, record);
    stored.push(record);
  }
  return stored;
}

function toSharedMessage(m: MessageRecord): SharedMessage | undefined {
  const text = messageText(m);
  if (text === undefined || m.status === "pending" || m.fromDeviceId === "") return undefined;
  const message: SharedMessage = {
    id: m.id,
    from: m.from,
    fromDeviceId: m.fromDeviceId,
    ...(m.fromAccountId !== undefined ? { fromAccountId: m.fromAccountId } : {}),
    text,
    sentAt: m.sentAt,
    ...(m.attachments?.length ? { attachments: m.attachments } : {}),
    ...(m.threadId !== undefined ? { threadId: m.threadId } : {}),
  };
  return matches(SharedMessage, message) ? message : undefined;
}
