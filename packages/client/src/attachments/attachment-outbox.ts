import { encryptFile } from "@volly/crypto";
import {
  type ErrorCode,
  fromBase64Url,
  type MessageDeclaration,
  parse,
  retryClass,
  TextContent,
  VollyError,
} from "@volly/protocol";
import type { ConversationState } from "../conversations/conversation-state.js";
import type { MentionChecks } from "../messaging/mention-checks.js";
import type { MessageEvents } from "../messaging/message-events.js";
import { channelOf, type MessageRecord } from "../messaging/message-records.js";
import type { Outbox } from "../messaging/outbox.js";
import type { ClientContext } from "../shared/client-context.js";
import type { KeyedQueue } from "../shared/keyed-queue.js";
import { ListenerSet } from "../shared/listeners.js";
import { RetryBackoff } from "../shared/timers.js";
import { type AttachmentFileJob, type AttachmentJobRecord, pointerOf } from "./attachment-jobs.js";
import type { AttachmentSources } from "./attachment-sources.js";
import type { AttachmentProgress, UploadState } from "./attachments-api.js";
import { terminateUpload, uploadBlob } from "./tus-upload.js";

/** Retry delays of a job after a temporary failure (ms): doubles from `min` up to `max`. */
const RETRY = { min: 1_000, max: 30_000 } as const;

/** What {@link AttachmentOutbox} works with (shared with the rest of the client). */
export interface AttachmentOutboxDeps {
  queue: KeyedQueue;
  outbox: Outbox;
  events: MessageEvents;
  conversations: ConversationState;
  mentions: MentionChecks;
  sources: AttachmentSources;
}

/** How one job ended in this run: sent (the record), or refused/failed (the error). */
type Outcome = { ok: true; message: MessageRecord } | { ok: false; error: unknown };

/**
 * The first stages of an outgoing message with files, as dependent, persisted jobs: **upload**
 * (per file: tus uploads the ciphertext, hashed on the way to give the blob id — resumed from the
 * server's offset with the upload URL kept in the job), then **message** (the pointers go into a
 * TextContent encrypted by the outbox, in the batch that deletes the job), then **send** (the
 * outbox's flush; it sends with `blobIds` and the "attachment" declaration). A restart resumes
 * every job where its record says; a job is run by one task at a time, so each file is uploaded
 * and the message sent exactly once.
 */
export class AttachmentOutbox {
  /** Upload progress (see `FileAttachments.progress`). */
  readonly progress = new ListenerSet<AttachmentProgress>();
  private readonly running = new Map<string, { abort: AbortController; done: Promise<Outcome> }>();
  private readonly speed = new Map<string, { at: number; bytes: number; rate: number }>();
  private readonly retry = new RetryBackoff(RETRY.min, RETRY.max);
  private disposed = false;
  private resuming: Promise<void> = Promise.resolve();

  constructor(
    private readonly ctx: ClientContext,
    private readonly deps: AttachmentOutboxDeps,
  ) {}

  /** Starts every stored job that is not running or failed (after a restart, on each connection). */
  resumeAll(): Promise<void> {
    const listed = this.resuming.then(async () => {
      if (this.disposed) return;
      for (const [id, job] of await this.ctx.stores.attachmentJobs.list()) {
        if (!job.failed) void this.start(id);
      }
    });
    this.resuming = listed.catch(() => undefined);
    return listed;
  }

  /**
   * Runs job `messageId` unless it runs already; resolves with how this run ended (never rejects).
   */
  start(messageId: string): Promise<Outcome> {
    const current = this.running.get(messageId);
    if (current) return current.done;
    const abort = new AbortController();
    const done = this.run(messageId, abort.signal)
      .then(
        (message): Outcome => ({ ok: true, message }),
        (error: unknown): Outcome => ({ ok: false, error }),
      )
      .finally(() => this.running.delete(messageId));
    this.running.set(messageId, { abort, done });
    return done;
  }

  /** Resolves once every running job has ended its current run. */
  async idle(): Promise<void> {
    await this.resuming;
    while (this.running.size > 0) await Promise.all([...this.running.values()].map((r) => r.done));
  }

  /**
   * Stops job `messageId` (its upload ended on the server), removes it, its kept sources and its
   * pending record. Returns false when there is no such job (already in the outbox or sent).
   */
  async cancel(messageId: string): Promise<boolean> {
    const running = this.running.get(messageId);
    if (running) {
      running.abort.abort();
      await running.done;
    }
    const job = await this.ctx.stores.attachmentJobs.get(messageId);
    if (!job) return false;
    for (const file of job.files) {
      if (file.uploadUrl && !file.uploaded) await terminateUpload(this.ctx.api, file.uploadUrl);
    }
    await this.deps.queue.run(job.conversationId, async () => {
      const { stores } = this.ctx;
      const batch = stores.attachmentJobs.delete(stores.batch(), messageId);
      this.deps.sources.remove(batch, messageId);
      stores.messages.delete(batch, messageId, job.conversationId);
      await batch.commit();
    });
    return true;
  }

  /** Stops the retry timer and running uploads (they resume on the next start). */
  dispose(): void {
    this.disposed = true;
    this.retry.dispose();
  }

  private async run(messageId: string, signal: AbortSignal): Promise<MessageRecord> {
    const { stores } = this.ctx;
    const job = await stores.attachmentJobs.get(messageId);
    if (!job) {
      // Already in the outbox (or sent): the outbox sends it.
      return this.afterFlush(messageId);
    }
    if (job.failed) throw new VollyError(job.failed.code as ErrorCode, job.failed.message);
    try {
      for (const [index, file] of job.files.entries()) {
        if (file.uploaded) continue;
        await this.upload(job, index, file, signal);
      }
      if (signal.aborted) throw abortError();
      await this.queueMessage(job);
      this.retry.reset();
      this.speed.delete(messageId);
    } catch (err) {
      if (signal.aborted || (err as Error).name === "AbortError") throw err;
      if (err instanceof VollyError && retryClass(err) !== "never") {
        this.scheduleRetry();
        throw err;
      }
      await this.fail(job, err);
      throw err;
    }
    return this.afterFlush(messageId);
  }

  /**
   * Uploads file `index` of a job in one pass (the ciphertext is hashed as it is uploaded), saving
   * its progress, then its blob id with `uploaded`. A job saved by an earlier version may hold a
   * blob id from a hashing pass of its own: it is declared to the server, which checks it.
   */
  private async upload(
    job: AttachmentJobRecord,
    index: number,
    file: AttachmentFileJob,
    signal: AbortSignal,
  ) {
    const key = fromBase64Url(file.pointer.key);
    const ciphertext = () =>
      encryptFile(key, this.deps.sources.read(job.messageId, index, file.source), file.pointer.size);
    const before = job.files.slice(0, index).reduce((n, f) => n + f.pointer.ciphertextSize, 0);
    const total = totalBytes(job);
    const blobId = await uploadBlob({
      api: this.ctx.api,
      conversationId: job.conversationId,
      ...(file.blobId !== undefined ? { blobId: file.blobId } : {}),
      size: file.pointer.ciphertextSize,
      open: ciphertext,
      ...(file.uploadUrl ? { uploadUrl: file.uploadUrl } : {}),
      onUrl: async (url) => {
        file.uploadUrl = url;
        await this.save(job);
      },
      onProgress: (sent) => this.report(job, before + sent, total),
      signal,
    });
    file.blobId = blobId;
    file.uploaded = true;
    await this.save(job, {
      sentBytes: before + file.pointer.ciphertextSize,
      totalBytes: total,
      state: "uploading",
    });
  }

  /**
   * The message step: the TextContent with every pointer, encrypted into the outbox in the batch
   * that deletes the job and its kept sources, the record updated ("sending", pointers set).
   */
  private async queueMessage(job: AttachmentJobRecord): Promise<void> {
    const conv = await this.deps.conversations.get(job.conversationId);
    const { mentions, declares } = job.text
      ? await this.deps.mentions.outgoing(job.text, channelOf(conv))
      : { mentions: undefined, declares: undefined };
    const attachments = job.files.map(pointerOf);
    await this.deps.queue.run(job.conversationId, async () => {
      const { stores } = this.ctx;
      const pending = await stores.messages.get(job.messageId);
      if (!pending || !(await stores.attachmentJobs.has(job.messageId))) return;
      const content: TextContent = parse(
        TextContent,
        {
          v: 1,
          type: "text",
          id: job.messageId,
          text: job.text,
          sentAt: pending.sentAt,
          attachments,
          ...(job.replyTo !== undefined ? { replyTo: job.replyTo } : {}),
          ...(job.threadId !== undefined ? { threadId: job.threadId } : {}),
          ...(mentions ? { mentions } : {}),
        },
        "VOLLY_E_USAGE",
      );
      const total = totalBytes(job);
      const message: MessageRecord = {
        ...pending,
        attachments,
        ...(mentions ? { mentions } : {}),
        upload: { sentBytes: total, totalBytes: total, state: "sending" },
      };
      const declared: MessageDeclaration[] = ["attachment", ...(declares ?? [])];
      await this.deps.outbox.addLocked(job.conversationId, content, message, declared, {
        blobIds: [...new Set(attachments.map((a) => a.blobId))],
        stage: (batch) => {
          stores.attachmentJobs.delete(batch, job.messageId);
          this.deps.sources.remove(batch, job.messageId);
        },
      });
      this.deps.events.updates.emit(message);
    });
  }

  /** Flushes the outbox and returns the record once sent; throws the refusal, or unreachable. */
  private async afterFlush(messageId: string): Promise<MessageRecord> {
    await this.deps.outbox.flush();
    const stored = await this.ctx.stores.messages.get(messageId);
    if (stored && stored.status !== "pending") return stored;
    const refused = this.deps.outbox.refusal(messageId);
    if (refused) throw refused;
    if (!stored) throw new VollyError("VOLLY_E_UNKNOWN_MESSAGE", `No message ${messageId} to send.`);
    throw new VollyError(
      "VOLLY_E_SERVER_UNREACHABLE",
      "The message is queued and will be sent when the server is reachable.",
    );
  }

  /** Saves the job (and, with `upload`, the record's upload state) in one batch. */
  private async save(job: AttachmentJobRecord, upload?: UploadState): Promise<void> {
    await this.deps.queue.run(job.conversationId, async () => {
      const { stores } = this.ctx;
      if (!(await stores.attachmentJobs.has(job.messageId))) return;
      const batch = stores.attachmentJobs.put(stores.batch(), job.messageId, job);
      let updated: MessageRecord | undefined;
      if (upload) {
        const pending = await stores.messages.get(job.messageId);
        if (pending?.status === "pending") {
          updated = { ...pending, upload };
          stores.messages.put(batch, updated);
        }
      }
      await batch.commit();
      if (updated) this.deps.events.updates.emit(updated);
    });
  }

  /** Marks a job failed for good: the record's upload state says why; `cancel` removes it. */
  private async fail(job: AttachmentJobRecord, err: unknown): Promise<void> {
    const error =
      err instanceof VollyError
        ? { code: err.code, message: err.message }
        : { code: "VOLLY_E_USAGE", message: `The file cannot be read: ${(err as Error).message}` };
    job.failed = error;
    await this.save(job, { sentBytes: 0, totalBytes: totalBytes(job), state: "failed", error });
  }

  private report(job: AttachmentJobRecord, sentBytes: number, total: number): void {
    const now = Date.now();
    const last = this.speed.get(job.messageId);
    let rate = last?.rate ?? 0;
    if (last && now - last.at >= 250) {
      rate = Math.round(((sentBytes - last.bytes) * 1000) / (now - last.at));
      this.speed.set(job.messageId, { at: now, bytes: sentBytes, rate: Math.max(0, rate) });
    } else if (!last) {
      this.speed.set(job.messageId, { at: now, bytes: sentBytes, rate: 0 });
    }
    this.progress.emit({
      messageId: job.messageId,
      conversationId: job.conversationId,
      sentBytes,
      totalBytes: total,
      bytesPerSecond: Math.max(0, rate),
    });
  }

  private scheduleRetry(): void {
    this.retry.schedule(
      () => void this.resumeAll().catch(this.ctx.diagnostics.catcher("attachments.resume")),
    );
  }
}

/** Ciphertext bytes of all of a job's files. */
export function totalBytes(job: AttachmentJobRecord): number {
  return job.files.reduce((n, f) => n + f.pointer.ciphertextSize, 0);
}

function abortError(): Error {
  const err = new Error("The upload was cancelled.");
  err.name = "AbortError";
  return err;
}
