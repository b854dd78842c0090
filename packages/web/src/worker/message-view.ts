import {
  messageText,
  type ConversationSummary as SdkConversationSummary,
  type MessageRecord as SdkMessageRecord,
  type ThreadSummary as SdkThreadSummary,
} from "@volly/client";
import type { ConversationSummary, MessageRecord, ThreadSummary } from "./rpc-types.js";

/**
 * The UI's view of a message: the SDK record with its text body as `text` ("" for other kinds; a
 * membership event keeps its `body`, which the timeline and the sidebar render as a sentence; a
 * message deleted for everyone reads "Message deleted", what the sidebar previews — the timeline
 * renders its tombstone from `body`, never from `text`).
 */
export function messageView(message: SdkMessageRecord): MessageRecord {
  const text = message.body.type === "deleted" ? "Message deleted" : (messageText(message) ?? "");
  return { ...message, text };
}

/** A conversation summary with its last message as a {@link messageView}. */
export function summaryView(summary: SdkConversationSummary): ConversationSummary {
  const { lastMessage, ...rest } = summary;
  return lastMessage ? { ...rest, lastMessage: messageView(lastMessage) } : rest;
}

/** A channel thread with its root as a {@link messageView}. */
export function threadView(thread: SdkThreadSummary): ThreadSummary {
  const { root, ...rest } = thread;
  return root ? { ...rest, root: messageView(root) } : rest;
}
