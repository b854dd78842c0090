import { basename } from "node:path";
import type { MessageRecord, VollyClient } from "@volly/client";
import type { BotSendOptions } from "../bot-api.js";

/**
 * Sends a text — or, with `options.files`, files with `text` as their caption — into a
 * conversation and resolves once the server stored it (files: once they are encrypted, uploaded
 * and the message is stored). Files go as plain "file" attachments of type
 * application/octet-stream under their base name; use `client.attachments.send` for images with
 * dimensions, voice messages and the like.
 *
 * @returns the stored record (status "sent" or later)
 * @throws VollyError as `Messaging.send` (VOLLY_E_UNKNOWN_CONVERSATION, VOLLY_E_NOT_GROUP_MEMBER,
 *   VOLLY_E_USAGE, VOLLY_E_SERVER_UNREACHABLE: the message stays queued and is retried, …) and,
 *   with files, as `FileAttachments.send` / `whenSent` (VOLLY_E_TOO_LARGE, VOLLY_E_QUOTA_EXCEEDED, …)
 */
export async function sendMessage(
  client: VollyClient,
  conversationId: string,
  text: string,
  options: BotSendOptions = {},
): Promise<MessageRecord> {
  const { files, ...placement } = options;
  if (!files?.length) return client.messaging.send(conversationId, text, placement);
  const queued = await client.attachments.send(
    conversationId,
    files.map((path) => ({ source: { path }, name: basename(path), mime: "application/octet-stream" })),
    { ...placement, ...(text !== "" ? { text } : {}) },
  );
  return client.attachments.whenSent(queued.id);
}
