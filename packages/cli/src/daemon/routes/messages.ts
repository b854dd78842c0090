import { stat } from "node:fs/promises";
import { isAbsolute } from "node:path";
import { type Bot, MessageEvent } from "@volly/bot";
import { VollyError } from "@volly/protocol";
import { defineRoute, type JsonRoute } from "../route-table.js";
import {
  ConversationParams,
  MessageParams,
  ReactionBody,
  ReactionResult,
  SendMessageBody,
} from "../schemas.js";

/** Checks that every path names a regular file this process can stat. Throws VOLLY_E_BAD_REQUEST. */
async function checkFiles(paths: string[]): Promise<void> {
  for (const path of paths) {
    if (!isAbsolute(path))
      throw new VollyError("VOLLY_E_BAD_REQUEST", `files[].path must be absolute: ${path}`);
    const info = await stat(path).catch(() => undefined);
    if (!info?.isFile())
      throw new VollyError("VOLLY_E_BAD_REQUEST", `No such file on the daemon's machine: ${path}`);
  }
}

/** `POST /v1/conversations/{id}/messages` and `POST …/messages/{messageId}/reactions`. */
export function messageRoutes(bot: Bot): JsonRoute[] {
  return [
    defineRoute({
      method: "POST",
      path: "/v1/conversations/{id}/messages",
      operationId: "sendMessage",
      summary:
        "Send a message (text, a reply, into a thread, with local files); answers once the server stored it",
      tags: ["messages"],
      schemas: { params: ConversationParams, body: SendMessageBody, responses: { 201: MessageEvent } },
      handler: async ({ params, body }) => {
        const files = (body.files ?? []).map((f) => f.path);
        if (body.text === "" && files.length === 0) {
          throw new VollyError("VOLLY_E_BAD_REQUEST", "Give a non-empty text, or files.");
        }
        await checkFiles(files);
        await bot.client.conversations.get(params.id); // VOLLY_E_UNKNOWN_CONVERSATION → 404
        const event = await bot.send(params.id, body.text, {
          ...(body.replyTo !== undefined ? { replyTo: body.replyTo } : {}),
          ...(body.threadId !== undefined ? { threadId: body.threadId } : {}),
          ...(files.length > 0 ? { files } : {}),
        });
        return { status: 201, body: event };
      },
    }),
    defineRoute({
      method: "POST",
      path: "/v1/conversations/{id}/messages/{messageId}/reactions",
      operationId: "react",
      summary: "React to a message with an emoji",
      tags: ["messages"],
      schemas: { params: MessageParams, body: ReactionBody, responses: { 201: ReactionResult } },
      handler: async ({ params, body }) => {
        await bot.client.conversations.get(params.id);
        await bot.react(params.id, params.messageId, body.emoji);
        return {
          status: 201,
          body: { conversationId: params.id, messageId: params.messageId, emoji: body.emoji },
        };
      },
    }),
  ];
}
