import { Type } from "@sinclair/typebox";
import { ConversationSummary } from "@volly/bot";
import { memberConversationSummaries } from "../member-conversations.js";
import { defineTool } from "../tool.js";

/**
 * `list_conversations`: the conversations this agent is a member of now (direct, group, community
 * channel), most recent activity first, with their unread counts. No arguments.
 */
export const listConversations = defineTool({
  name: "list_conversations",
  title: "List conversations",
  description:
    "Lists the Volly conversations this agent is a member of (it was invited or added to them), most recent " +
    "activity first: id, kind (direct, group, channel), name and unread count. Use an id with read_messages, " +
    "search_messages or send_message.",
  input: Type.Object({}, { additionalProperties: false }),
  output: Type.Object({ conversations: Type.Array(ConversationSummary) }, { additionalProperties: false }),
  readOnly: true,
  async run(_args, client) {
    return { conversations: await memberConversationSummaries(client) };
  },
});
