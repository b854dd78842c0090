import { Type } from "@sinclair/typebox";
import { type Bot, ConversationSummary, MessageEvent } from "@volly/bot";
import { defineRoute, type JsonRoute } from "../route-table.js";
import { ConversationParams, MessagesQuery } from "../schemas.js";

/** `GET /v1/conversations` and `GET /v1/conversations/{id}/messages`. */
export function conversationRoutes(bot: Bot): JsonRoute[] {
  return [
    defineRoute({
      method: "GET",
      path: "/v1/conversations",
      operationId: "listConversations",
      summary: "The conversations this member is in",
      tags: ["conversations"],
      schemas: { responses: { 200: Type.Array(ConversationSummary) } },
      handler: async () => ({ status: 200, body: await bot.conversations() }),
    }),
    defineRoute({
      method: "GET",
      path: "/v1/conversations/{id}/messages",
      operationId: "listMessages",
      summary: "The newest messages of a conversation, oldest first",
      tags: ["messages"],
      schemas: {
        params: ConversationParams,
        querystring: MessagesQuery,
        responses: { 200: Type.Array(MessageEvent) },
      },
      handler: async ({ params, query }) => {
        await bot.client.conversations.get(params.id); // VOLLY_E_UNKNOWN_CONVERSATION → 404
        return { status: 200, body: await bot.messages(params.id, { limit: query.limit ?? 50 }) };
      },
    }),
  ];
}
