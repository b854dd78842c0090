import { Type } from "@sinclair/typebox";
import { MessageEvent } from "@volly/bot";
import type { SearchHit } from "@volly/client";
import { memberConversation } from "../member-conversations.js";
import { memberMessage } from "../member-events.js";
import { defineTool } from "../tool.js";
import { ConversationIdArg } from "./conversation-id.js";

/** Matches `search_messages` returns when no limit is given. */
const DEFAULT_LIMIT = 20;
/** The most matches one `search_messages` call returns. */
const MAX_LIMIT = 200;

/** One match: the message and its relevance (BM25, higher is better). */
const SearchMatch = Type.Object(
  { score: Type.Number({ description: "relevance (BM25), higher is better" }), message: MessageEvent },
  { additionalProperties: false },
);

/**
 * `search_messages {query, conversationId?, limit?}`: full-text search over the messages this agent's
 * device decrypted (the SDK's local index, `client.search`; the server cannot search ciphertext),
 * newest first, optionally in one conversation it is a member of.
 */
export const searchMessages = defineTool({
  name: "search_messages",
  title: "Search messages",
  description:
    "Full-text search over the messages this agent has received or sent (a local index: every word must " +
    "match, case- and accent-insensitive, the last word also as a prefix). Newest first. Optional: " +
    "conversationId to search one conversation, limit. The query may carry operators such as " +
    "from:@handle, has:link, after:2026-11-01, before:2026-12-01.",
  input: Type.Object(
    {
      query: Type.String({ minLength: 1, maxLength: 500, description: "words to find (and operators)" }),
      conversationId: Type.Optional(ConversationIdArg),
      limit: Type.Optional(
        Type.Integer({
          minimum: 1,
          maximum: MAX_LIMIT,
          default: DEFAULT_LIMIT,
          description: `how many matches at most (1–${MAX_LIMIT}, default ${DEFAULT_LIMIT})`,
        }),
      ),
    },
    { additionalProperties: false },
  ),
  output: Type.Object({ matches: Type.Array(SearchMatch) }, { additionalProperties: false }),
  readOnly: true,
  async run(args, client) {
    const conv = args.conversationId ? await memberConversation(client, args.conversationId) : undefined;
    const hits = await client.search.messages(args.query, {
      limit: args.limit ?? DEFAULT_LIMIT,
      ...(conv ? { conversationId: conv.id } : {}),
    });
    return { matches: hits.flatMap(toMatch) };
  },
});

/** A hit as a match ([] for what is no text message). */
function toMatch(hit: SearchHit): Array<{ score: number; message: MessageEvent }> {
  const message = memberMessage(hit.message);
  return message ? [{ score: hit.score, message }] : [];
}
