import { Type } from "@sinclair/typebox";
import { MessageEvent } from "@volly/bot";
import { LIMITS, VollyError } from "@volly/protocol";
import { memberConversation } from "../member-conversations.js";
import { memberMessage } from "../member-events.js";
import { defineTool } from "../tool.js";
import { ConversationIdArg, MessageIdArg } from "./conversation-id.js";

/**
 * `send_message {conversationId, text, replyTo?}`: sends a text message as this agent's account into
 * a conversation it is a member of — never anywhere else (no new direct conversations, no
 * conversations it left) — and answers once the server stored it.
 */
export const sendMessage = defineTool({
  name: "send_message",
  title: "Send a message",
  description:
    "Sends a text message, end-to-end encrypted, as this agent into a conversation it is a member of " +
    "(only those from list_conversations; anything else is refused). Optional replyTo: the id of a message " +
    "of that conversation to answer. Returns the message once the server stored it.",
  input: Type.Object(
    {
      conversationId: ConversationIdArg,
      text: Type.String({
        minLength: 1,
        maxLength: LIMITS.maxTextChars,
        description: `the message (1–${LIMITS.maxTextChars} characters)`,
      }),
      replyTo: Type.Optional(MessageIdArg),
    },
    { additionalProperties: false },
  ),
  output: Type.Object({ message: MessageEvent }, { additionalProperties: false }),
  readOnly: false,
  async run(args, client) {
    const conv = await memberConversation(client, args.conversationId);
    const sent = await client.messaging.send(
      conv.id,
      args.text,
      args.replyTo !== undefined ? { replyTo: args.replyTo } : {},
    );
    const message = memberMessage(sent);
    if (!message) throw new VollyError("VOLLY_E_INTERNAL", "The sent message has no text body.");
    return { message };
  },
});
