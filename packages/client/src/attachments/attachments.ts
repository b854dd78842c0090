import { generateFileKey } from "@volly/crypto";
import {
  ATTACHMENT_LIMITS,
  type AttachmentPointer,
  newId,
  parse,
  TextContent,
  type UploadLimitsResponse,
  VollyError,
} from "@volly/protocol";
import type { ConversationState } from "../conversations/conversation-state.js";
import type { MessageActions } from "../messaging/actions/message-actions.js";
import type { MessageEvents } from "../messaging/message-events.js";
import { channelOf, type MessageRecord, textBody } from "../messaging/message-records.js";
import type { ClientContext } from "../shared/client-context.js";
import { threadForSend } from "../threads/thread-roots.js";
import type { AttachmentFileJob, AttachmentJobRecord } from "./attachment-jobs.js";
import { type AttachmentOutbox, totalBytes } from "./attachment-outbox.js";
import type { AttachmentSources } from "./attachment-sources.js";
import type {
  AttachmentSendOptions,
  ByteRange,
  FileAttachments,
  GalleryItem,
  GalleryOptions,
  OutgoingAttachment,
} from "./attachments-api.js";
import { decryptedFile, decryptedRange, toReadableStream } from "./blob-download.js";
import { galleryOf } from "./gallery.js";
import type { LocalFiles } from "./local-files.js";
import { pendingPointer } from "./outgoing-pointer.js";

/** What {@link AttachmentsService} works with. */
export interface AttachmentsDeps {
  jobs: AttachmentOutbox;
  sources: AttachmentSources;
  conversations: ConversationState;
  events: MessageEvents;
  actions: MessageActions;
  /** Local file access (Node only). */
  files?: LocalFiles;
}

/** The SDK's {@link FileAttachments} (see there for each member). */
export class AttachmentsService implements FileAttachments {
  readonly progress;

  constructor(
    private readonly ctx: ClientContext,
    private readonly deps: AttachmentsDeps,
  ) {
    this.progress = deps.jobs.progress;
  }

  async send(
    conversationId: string,
    files: OutgoingAttachment[],
    options: AttachmentSendOptions = {},
  ): Promise<MessageRecord> {
    if (!Array.isArray(files) || files.length === 0 || files.length > ATTACHMENT_LIMITS.perMessage) {
      throw new VollyError("VOLLY_E_USAGE", `Send 1 to ${ATTACHMENT_LIMITS.perMessage} files at once.`);
    }
    const text = options.text ?? "";
    const conv = await this.deps.conversations.get(conversationId);
    if (conv.left)
      throw new VollyError("VOLLY_E_NOT_GROUP_MEMBER", "You are no longer in this conversation.");
    const id = newId();
    // Sizes and pointers first (nothing is read), then the server's limits, before any byte is read.
    const sizes = await Promise.all(files.map((f) => this.deps.sources.sizeOf(f.source)));
    const pointers = files.map((f, i) => pendingPointer(f, sizes[i] ?? 0, generateFileKey()));
    parse(
      TextContent,
      {
        v: 1,
        type: "text",
        id,
        text,
        sentAt: Date.now(),
        attachments: pointers.map((p) => ({ ...p, blobId: "A".repeat(43) })),
      },
      "VOLLY_E_USAGE",
    );
    await this.checkLimits(files, sizes);
    if (options.replyTo !== undefined) await this.deps.actions.targetOf(conversationId, options.replyTo);
    const threadId =
      options.threadId !== undefined
        ? await threadForSend(this.ctx.stores.messages, conv, options.threadId)
        : undefined;
    const { stores, profile } = this.ctx;
    const batch = stores.batch();
    const jobFiles: AttachmentFileJob[] = [];
    for (const [index, file] of files.entries()) {
      const pointer = pointers[index];
      if (!pointer) continue;
      jobFiles.push({ source: await this.deps.sources.keep(batch, id, index, file.source), pointer });
    }
    const job: AttachmentJobRecord = {
      messageId: id,
      conversationId,
      text,
      files: jobFiles,
      ...(options.replyTo !== undefined ? { replyTo: options.replyTo } : {}),
      ...(threadId !== undefined ? { threadId } : {}),
    };
    const sentAt = Date.now();
    const message: MessageRecord = {
      id,
      conversationId,
      ...channelOf(conv),
      from: profile.handle,
      fromAccountId: profile.accountId,
      fromDeviceId: profile.deviceId,
      direction: "out",
      body: textBody(text),
      sentAt,
      receivedAt: sentAt,
      status: "pending",
      recipients: (conv.members ?? []).map((m) => m.accountId),
      ...(options.replyTo !== undefined ? { replyTo: options.replyTo } : {}),
      ...(threadId !== undefined ? { threadId } : {}),
      upload: { sentBytes: 0, totalBytes: totalBytes(job), state: "uploading" },
    };
    stores.attachmentJobs.put(batch, id, job);
    stores.messages.put(batch, message);
    try {
      await batch.commit();
    } catch (err) {
      // Blobs kept before the failed batch are removed with the (absent) job's sources.
      await this.deps.sources.remove(stores.batch(), id).commit();
      throw err;
    }
    this.deps.events.updates.emit(message);
    void this.deps.jobs.start(id);
    return message;
  }

  async cancel(messageId: string): Promise<void> {
    await this.deps.jobs.cancel(messageId);
  }

  async whenSent(messageId: string): Promise<MessageRecord> {
    const outcome = await this.deps.jobs.start(messageId);
    if (outcome.ok) return outcome.message;
    if (outcome.error instanceof VollyError) throw outcome.error;
    // A file that could not be read (removed, changed size): the job says so in its record.
    throw new VollyError("VOLLY_E_USAGE", `The files could not be sent: ${(outcome.error as Error).message}`);
  }

  open(pointer: AttachmentPointer, range?: ByteRange): ReadableStream<Uint8Array> {
    const source = range
      ? decryptedRange(this.ctx.api, pointer, range)
      : decryptedFile(this.ctx.api, pointer);
    return toReadableStream(source);
  }

  async download(pointer: AttachmentPointer): Promise<Uint8Array> {
    const out = new Uint8Array(pointer.size);
    let at = 0;
    for await (const chunk of decryptedFile(this.ctx.api, pointer)) {
      if (at + chunk.length > out.length) {
        throw new VollyError("VOLLY_E_BLOB_MISMATCH", "The file is longer than its pointer says.");
      }
      out.set(chunk, at);
      at += chunk.length;
    }
    if (at !== pointer.size)
      throw new VollyError("VOLLY_E_BLOB_MISMATCH", "The file is shorter than its pointer says.");
    return out;
  }

  async saveTo(pointer: AttachmentPointer, path: string): Promise<void> {
    if (!this.deps.files) {
      throw new VollyError("VOLLY_E_USAGE", "saveTo needs the Node SDK (`@volly/client/node`).");
    }
    await this.deps.files.write(path, decryptedFile(this.ctx.api, pointer));
  }

  gallery(conversationId: string, options: GalleryOptions = {}): Promise<GalleryItem[]> {
    return galleryOf(this.ctx.stores.messages, conversationId, options);
  }

  /** Resumes the stored jobs (after a restart, and on each connection). */
  resume(): Promise<void> {
    return this.deps.jobs.resumeAll();
  }

  /** Resolves once running uploads ended their current run (used on close). */
  idle(): Promise<void> {
    return this.deps.jobs.idle();
  }

  /** Stops retrying uploads (used on close). */
  dispose(): void {
    this.deps.jobs.dispose();
  }

  /**
   * Refuses files over the server's limits before any byte is read (`GET /v1/uploads/limits`):
   * VOLLY_E_TOO_LARGE (details.limit, details.size, details.name), VOLLY_E_QUOTA_EXCEEDED. When
   * the server cannot be reached the files are queued unchecked (the upload's creation checks them).
   */
  private async checkLimits(files: OutgoingAttachment[], sizes: number[]): Promise<void> {
    let limits: UploadLimitsResponse;
    try {
      limits = await this.ctx.api.call("uploadLimits");
    } catch (err) {
      // Offline the files wait in the outbox like text; the server checks again when the upload is
      // created, before any byte is sent (a refusal then marks the message failed).
      if (err instanceof VollyError && err.code === "VOLLY_E_SERVER_UNREACHABLE") return;
      throw err;
    }
    let total = 0;
    for (const [i, size] of sizes.entries()) {
      const name = files[i]?.name ?? "";
      if (size > limits.maxFileBytes) {
        throw new VollyError(
          "VOLLY_E_TOO_LARGE",
          `${name} is ${size} bytes; this server takes files up to ${limits.maxFileBytes} bytes.`,
          { limit: limits.maxFileBytes, size, name },
        );
      }
      total += size;
    }
    if (limits.usedBytes + total > limits.quotaBytes) {
      throw new VollyError(
        "VOLLY_E_QUOTA_EXCEEDED",
        `These files need ${total} bytes; ${Math.max(0, limits.quotaBytes - limits.usedBytes)} bytes of your storage are left.`,
        { quota: limits.quotaBytes, used: limits.usedBytes, size: total },
      );
    }
  }
}
