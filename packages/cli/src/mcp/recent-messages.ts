import type { MessageEvent } from "@volly/bot";
import type { VollyClient } from "@volly/client";
import { memberConversation } from "./member-conversations.js";
import { memberMessage } from "./member-events.js";

/**
 * The newest text messages of a conversation this account is a member of, oldest first, as
 * `MessageEvent` JSON (membership events and deleted messages left out).
 *
 * @param limit how many at most (the callers' schemas bound it: 1–500)
 * @throws VollyError VOLLY_E_UNKNOWN_CONVERSATION, VOLLY_E_NOT_GROUP_MEMBER (see memberConversation)
 */
export async function recentMemberMessages(
  client: VollyClient,
  conversationId: string,
  limit: number,
): Promise<MessageEvent[]> {
  const conv = await memberConversation(client, conversationId);
  // The timeline also holds membership events: read twice as far back, then keep the newest texts.
  const records = await client.messaging.history(conv.id, limit * 2);
  return records.flatMap((m) => memberMessage(m) ?? []).slice(-limit);
}
