import type { OutgoingAttachment } from "../lib/attachments/types.js";
import { prepareAttachment } from "../lib/media/prepare.js";

/** Most files in one message: ATTACHMENT_LIMITS.perMessage of @volly/protocol. */
export const MAX_FILES = 10;

/** A file picked, dropped or pasted, shown in the composer's tray until sent or removed. */
export interface AttachmentDraft {
  id: number;
  /** The name as picked (the prepared attachment may differ in type, never in name). */
  name: string;
  /** "preparing": metadata stripped, thumbnail made…; "ready": can be sent; "failed": cannot. */
  state: "preparing" | "ready" | "failed";
  attachment?: OutgoingAttachment;
  /** An object URL of the image as it will be sent (revoked when the draft goes). */
  previewUrl?: string;
  /** Alt text for an image or video (read by screen readers on the other side). */
  alt: string;
}

let nextId = 1;

/**
 * The files waiting in each conversation's composer (a conversation's tray survives switching to
 * another one and back). Files are prepared (`prepareAttachment`) as soon as they are added.
 */
class AttachmentDrafts {
  byConversation = $state<Record<string, AttachmentDraft[]>>({});
  /** Why files were not added (too many), by conversation. */
  notice = $state<Record<string, string | undefined>>({});

  /** The files waiting in `conversationId`'s composer, in the order they were added. */
  list(conversationId: string): AttachmentDraft[] {
    return this.byConversation[conversationId] ?? [];
  }

  /** Adds `files` (at most {@link MAX_FILES} in all) and starts preparing them. */
  add(conversationId: string, files: readonly File[]): void {
    const current = this.list(conversationId);
    const room = Math.max(0, MAX_FILES - current.length);
    this.notice[conversationId] =
      files.length > room
        ? `A message carries at most ${MAX_FILES} files; the others were left out.`
        : undefined;
    const added = files.slice(0, room).map((file) => ({
      file,
      draft: { id: nextId++, name: file.name, state: "preparing" as const, alt: "" },
    }));
    this.byConversation[conversationId] = [...current, ...added.map((a) => a.draft)];
    for (const { file, draft } of added) void this.prepare(conversationId, draft.id, file);
  }

  private async prepare(conversationId: string, id: number, file: File): Promise<void> {
    let attachment: OutgoingAttachment | undefined;
    try {
      attachment = await prepareAttachment(file);
    } catch {
      attachment = undefined;
    }
    const draft = this.list(conversationId).find((d) => d.id === id);
    if (!draft) return; // removed meanwhile
    if (!attachment) {
      draft.state = "failed";
      return;
    }
    draft.attachment = attachment;
    if ((attachment.kind === "image" || attachment.kind === "video") && attachment.source instanceof Blob) {
      draft.previewUrl =
        attachment.kind === "image" ? URL.createObjectURL(attachment.source) : thumbnailObjectUrl(attachment);
    }
    draft.state = "ready";
  }

  /** Removes one file from the tray. */
  remove(conversationId: string, id: number): void {
    const list = this.list(conversationId);
    for (const d of list) if (d.id === id) revoke(d);
    this.byConversation[conversationId] = list.filter((d) => d.id !== id);
  }

  /** Empties the tray (after sending). */
  clear(conversationId: string): void {
    for (const d of this.list(conversationId)) revoke(d);
    this.byConversation[conversationId] = [];
    this.notice[conversationId] = undefined;
  }

  /** Whether every file of the tray is ready. */
  ready(conversationId: string): boolean {
    return this.list(conversationId).every((d) => d.state === "ready");
  }

  /** The tray's files as the SDK sends them, with their alt text. */
  outgoing(conversationId: string): OutgoingAttachment[] {
    return this.list(conversationId).flatMap((d) => {
      if (!d.attachment) return [];
      const alt = d.alt.trim().slice(0, 1000);
      return [{ ...d.attachment, ...(alt && d.attachment.kind !== "file" ? { alt } : {}) }];
    });
  }
}

function thumbnailObjectUrl(attachment: OutgoingAttachment): string | undefined {
  return attachment.thumbnail
    ? URL.createObjectURL(new Blob([attachment.thumbnail as Uint8Array<ArrayBuffer>]))
    : undefined;
}

function revoke(draft: AttachmentDraft): void {
  if (draft.previewUrl) URL.revokeObjectURL(draft.previewUrl);
}

export const attachmentDrafts = new AttachmentDrafts();
