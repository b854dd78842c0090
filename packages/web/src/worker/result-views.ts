/**
 * The views results cross to the UI in (the `ResultView` each member of `SDK_SURFACE` declares):
 * one function per view, so a new view is a new entry here, never a `case`.
 */
import type { ConversationSummary, MessageRecord, SearchHit, ThreadSummary } from "@volly/client";

import type { CommunityResponse } from "@volly/protocol";
import { communityView } from "./community-view.js";
import { messageView, summaryView, threadView } from "./message-view.js";
import type { ResultView } from "./sdk-surface.js";

/** The UI's form of an SDK result, by view. */
export const RESULT_VIEWS: { readonly [V in ResultView]: (value: never) => unknown } = {
  "as-is": (value: unknown) => value,
  message: (message: MessageRecord) => messageView(message),
  messages: (messages: MessageRecord[]) => messages.map(messageView),
  summaries: (summaries: ConversationSummary[]) => summaries.map(summaryView),
  hits: (hits: SearchHit[]) => hits.map((hit) => ({ ...hit, message: messageView(hit.message) })),
  community: (community: CommunityResponse) => communityView(community),
  threads: (threads: ThreadSummary[]) => threads.map(threadView),
  gallery: (items: Array<{ message: MessageRecord; attachment: unknown }>) =>
    items.map((item) => ({ ...item, message: messageView(item.message) })),
  bytes: (bytes: Uint8Array) => bytes,
  stream: (stream: ReadableStream<Uint8Array>) => stream,
};
