import { Type } from "@sinclair/typebox";
import { MessageEvent } from "@volly/bot";
import { recentMemberMessages } from "../recent-messages.js";
import { defineTool } from "../tool.js";
import { ConversationIdArg } from "./conversation-id.js";

/** Messages `read_messages` returns when no limit is given. */
const DEFAULT_LIMIT = 50;
/** The most messages one `read_messages` call returns. */
const MAX_LIMIT = 500;

/**
 * `read_messages {conversationId, limit?}`: the newest text messages of a conversation this agent
 * is a member of, oldest first (membership events and deleted messages left out), then marks the
 * conversation read (as a person's client does when the conversation is shown).
 */
export const readMessages = defineTool({
  name: "read_messages",
  title: "Read recent messages",
  description:
    "Returns the newest messages of a conversation this agent is a member of, oldest first (decrypted on " +
    "this machine), and marks the conversation read. Each message has id, from.handle, text, sentAt " +
    "(ms since the epoch) and replyTo when it answers another message.",
  input: Type.Object(
    {
      conversationId: ConversationIdArg,
      limit: Type.Optional(
        Type.Integer({
          minimum: 1,
          maximum: MAX_LIMIT,
          default: DEFAULT_LIMIT,
          description: `how many messages at most (1–${MAX_LIMIT}, default ${DEFAULT_LIMIT})`,
        }),
      ),
    },
    { additionalProperties: false },
  ),
  output: Type.Object({ messages: Type.Array(MessageEvent) }, { additionalProperties: false }),
  readOnly: false,
  async run(args, client) {
    const messages = await recentMemberMessages(client, args.conversationId, args.limit ?? DEFAULT_LIMIT);
    await client.messaging.markRead(args.conversationId);
    return { messages };
  },
});
