import { attachments } from "../lib/attachments/api.js";
import { onSdkEvent } from "../lib/sdk.js";
import type { UploadProgress } from "../worker/rpc-types.js";
import { messages } from "./messages.svelte.js";

/**
 * Upload progress of outgoing messages with files, by message id, from the SDK's
 * `attachments.progress` (forwarded by the worker as "upload-progress" events); a message's entry
 * is dropped once it is sent or cancelled.
 */
class UploadStore {
  byMessage = $state<Record<string, UploadProgress>>({});

  constructor() {
    onSdkEvent((event) => {
      if (event.type === "upload-progress") this.byMessage[event.progress.messageId] = event.progress;
      else if ((event.type === "message-update" || event.type === "message") && !event.message.upload) {
        delete this.byMessage[event.message.id];
      }
    });
  }

  /** The latest progress of message `messageId`'s upload, if one is known. */
  of(messageId: string): UploadProgress | undefined {
    return this.byMessage[messageId];
  }

  /** Cancels the upload of `messageId` (the SDK ends it on the server) and removes the message. */
  async cancel(conversationId: string, messageId: string): Promise<void> {
    await attachments.cancel(messageId);
    delete this.byMessage[messageId];
    messages.remove(conversationId, messageId);
  }
}

export const uploads = new UploadStore();
