import type { ConversationSummary } from "@volly/bot";
import { toConversationSummary } from "@volly/bot";
import type { ConversationRecord, VollyClient } from "@volly/client";
import { VollyError } from "@volly/protocol";

/**
 * The conversation `id` when this account is a member of it now: one it was added or invited to
 * (or opened) and has neither left nor been removed from. This is the agent's whole reach: every
 * tool that names a conversation goes through here, so nothing reads or sends elsewhere.
 *
 * @param id a conversation id (22 base64url characters)
 * @throws VollyError VOLLY_E_UNKNOWN_CONVERSATION (not a conversation of this account: it was never
 *   invited), VOLLY_E_NOT_GROUP_MEMBER (it left or was removed)
 */
export async function memberConversation(client: VollyClient, id: string): Promise<ConversationRecord> {
  const conv = await client.conversations.get(id).catch((err: unknown) => {
    if (err instanceof VollyError && err.code === "VOLLY_E_UNKNOWN_CONVERSATION") {
      throw new VollyError(
        "VOLLY_E_UNKNOWN_CONVERSATION",
        `This agent is not a member of conversation ${id}: it can only read and send in conversations it was invited to (see list_conversations).`,
      );
    }
    throw err;
  });
  if (conv.self) {
    throw new VollyError("VOLLY_E_UNKNOWN_CONVERSATION", `Conversation ${id} is not one to read or send in.`);
  }
  if (conv.left) {
    throw new VollyError(
      "VOLLY_E_NOT_GROUP_MEMBER",
      `This agent is no longer a member of conversation ${id} (it left or was removed).`,
    );
  }
  return conv;
}

/**
 * The conversations this account is a member of now (not those it left or was removed from), most
 * recent activity first, as `ConversationSummary` JSON with their unread counts.
 */
export async function memberConversationSummaries(client: VollyClient): Promise<ConversationSummary[]> {
  return (await client.conversations.summaries())
    .filter((s) => !s.conversation.left)
    .map((s) => toConversationSummary(s.conversation, s.unread));
}
