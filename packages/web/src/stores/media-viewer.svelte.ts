import type { AttachmentPointer } from "../worker/rpc-types.js";

/** Which file the media viewer shows, and whether a conversation's gallery is open. */
class MediaViewerStore {
  /** The viewer's file: conversation, message and blob. */
  open = $state<{ conversationId: string; messageId: string; blobId: string } | undefined>();
  /** The conversation whose gallery is open. */
  galleryOf = $state<string | undefined>();

  /** Opens the viewer on file `pointer` of message `messageId` in conversation `conversationId`. */
  show(conversationId: string, messageId: string, pointer: AttachmentPointer): void {
    this.open = { conversationId, messageId, blobId: pointer.blobId };
  }

  /** Closes the viewer. */
  close(): void {
    this.open = undefined;
  }
}

export const mediaViewer = new MediaViewerStore();
