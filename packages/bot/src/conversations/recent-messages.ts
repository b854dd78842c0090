import type { VollyClient } from "@volly/client";
import { VollyError } from "@volly/protocol";
import type { MessageEvent } from "../events.js";
import { isDeliverable, toMessageEvent } from "../incoming/message-events.js";
import type { SenderTypes } from "../incoming/sender-types.js";

/** Default and maximum of `Bot.messages`' `limit`. */
export const MESSAGES_LIMIT = { default: 50, max: 500 } as const;

/**
 * The newest messages of a conversation, oldest first, as {@link MessageEvent} JSON (both
 * directions; membership events and history shared by others' devices left out).
 *
 * @param limit how many at most: an integer 1–500 (default 50)
 * @throws VollyError VOLLY_E_USAGE (a bad limit), VOLLY_E_UNKNOWN_CONVERSATION
 */
export async function recentMessages(
  client: VollyClient,
  senders: SenderTypes,
  conversationId: string,
  limit: number = MESSAGES_LIMIT.default,
): Promise<MessageEvent[]> {
  if (!Number.isInteger(limit) || limit < 1 || limit > MESSAGES_LIMIT.max) {
    throw new VollyError("VOLLY_E_USAGE", `limit is an integer from 1 to ${MESSAGES_LIMIT.max}.`);
  }
  await client.conversations.get(conversationId);
  // Membership events share the timeline: read more than asked, keep the newest `limit` messages.
  const records = (await client.messaging.history(conversationId, limit * 4))
    .filter(isDeliverable)
    .slice(-limit);
  return Promise.all(records.map(async (r) => toMessageEvent(r, await senders.of(r.from))));
}
