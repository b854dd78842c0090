import { type DecryptFailureCause, groupMembers, type MlsGroup, processMessage } from "@volly/crypto";
import {
  ApplicationContent,
  fromBase64Url,
  type GroupMessageEvent,
  matches,
  parse,
  VollyError,
} from "@volly/protocol";
import type { ConversationRecord } from "../conversations/conversation-records.js";
import { needsResync } from "../conversations/resync.js";
import type { KeyedQueue } from "../shared/keyed-queue.js";
import type { VaultBatch } from "../storage/vault.js";
import type {
  ContentHandler,
  ContentHandlerDeps,
  ContentOutcome,
  ContentType,
  IncomingEntry,
} from "./content/content-handler.js";
import { CONTENT_HANDLERS } from "./content/registry.js";
import type { DeliveryLog } from "./delivery-log.js";
import type { MessageEvents } from "./message-events.js";
import type { MessageRecord } from "./message-records.js";

/** What {@link IncomingMessages} works with (one of each per client). */
export interface IncomingDeps extends ContentHandlerDeps {
  queue: KeyedQueue;
  /** Recognises this device's own scheduled messages coming back through the log. */
  scheduled?: {
    releasedLocked(
      event: GroupMessageEvent,
      advanced: ConversationRecord,
    ): Promise<MessageRecord | undefined>;
  };
  deliveryLog: DeliveryLog;
  events: MessageEvents;
}

/**
 * The receiving pipeline of group-log entries: each entry is processed in its conversation's queue
 * — a commit (RFC 9420 §12.4.2), a departure, or an application message decrypted (RFC 9420 §6.3),
 * checked (the MLS sender must be the server's claimed sender, the content id the envelope's) and
 * handed to the handler of its content kind (`content/registry.ts`), which stores it with the new
 * group state in one batch before the entry is acknowledged. Duplicates (seq already processed,
 * message id already stored) are dropped, so the user sees each message once. Decryption failures
 * are counted by cause (`DeliveryLog`) and, when they show a lost or forked state, repaired by
 * rejoining the group.
 */
export class IncomingMessages {
  constructor(private readonly deps: IncomingDeps) {}

  /**
   * Processes one GROUP_MESSAGE entry, then fires the events of what it changed and queues a
   * delivery receipt for a new incoming message. Other failures than decryption (the store, the
   * server unreachable while settling an own commit) are thrown so the entry is not acknowledged.
   *
   * @returns the stored message, if the entry was one
   */
  async handle(event: GroupMessageEvent): Promise<MessageRecord | undefined> {
    const result = await this.deps.queue.run(event.groupId, () => this.handleLocked(event));
    return this.announce(result);
  }

  /**
   * Processes an application message that came over a direct path (`p2p/`; DESIGN.md "P2P and
   * federation") before its log entry: decrypted, checked and handled exactly like the log's copy
   * (RFC 9420 §6.3), stored without a seq, and noted so that the log's copy is dropped when it comes
   * (no MLS key is used twice). A message already stored or noted, a conversation this device does
   * not have or left, and a commit (only the server's log orders those) are dropped. Decryption
   * failures drop the message and are reported to diagnostics ("direct.undecryptable", cause only):
   * they never count as undecryptable nor trigger a rejoin — the log's copy still decides.
   *
   * @returns the stored message, if it was one
   */
  async handleDirect(entry: IncomingEntry & { kind: "application" }): Promise<MessageRecord | undefined> {
    const result = await this.deps.queue.run(entry.groupId, () => this.handleDirectLocked(entry));
    return this.announce(result);
  }

  /** Fires the events of what a handled message changed; queues a delivery receipt for a new one. */
  private announce(result: ContentOutcome | undefined): MessageRecord | undefined {
    const { events, conversations, receipts } = this.deps;
    if (result?.message) events.received.emit(result.message);
    conversations.timeline.announce(result?.events ?? []);
    for (const m of result?.updated ?? []) events.updates.emit(m);
    for (const a of result?.actions ?? []) events.actions.emit(a);
    if (result?.renamed) {
      conversations.state.changes.emit(result.renamed);
      conversations.state.named.emit(result.renamed);
    }
    if (result?.changed) conversations.state.changes.emit(result.changed);
    if (result?.message && result.message.direction === "in") {
      receipts.noteDelivered(result.message.conversationId, result.message.id);
    }
    return result?.message;
  }

  private async handleLocked(event: GroupMessageEvent): Promise<ContentOutcome | undefined> {
    const { ctx, conversations, deliveryLog } = this.deps;
    await conversations.commits.settleLocked(event.groupId).catch((err: unknown) => {
      // an entry of a conversation this device does not have: counted below
      if (!(err instanceof VollyError && err.code === "VOLLY_E_UNKNOWN_CONVERSATION")) throw err;
    });
    const { stores } = ctx;
    const conv = await stores.conversations.get(event.groupId);
    if (!conv) {
      await deliveryLog.countUndecryptable("missing-state");
      return undefined;
    }
    if (event.seq <= conv.lastSeq) return undefined;
    const advanced: ConversationRecord = { ...conv, lastSeq: event.seq };
    if (conv.left) {
      await stores.conversations.save(stores.batch(), advanced).commit();
      return undefined;
    }
    if (event.kind === "departure") {
      await conversations.departures.recordLocked(advanced, event);
      return undefined;
    }
    if (await stores.directReceived.has(event.messageId)) {
      // decrypted from a direct path already: its keys are used; the record gets the log's seq
      const batch = stores.directReceived.delete(
        stores.conversations.save(stores.batch(), advanced),
        event.messageId,
      );
      const stored = await stores.messages.get(event.messageId);
      if (stored && stored.seq === undefined) stores.messages.put(batch, { ...stored, seq: event.seq });
      await batch.commit();
      return undefined;
    }
    if (await stores.messages.has(event.messageId)) {
      await stores.conversations.save(stores.batch(), advanced).commit();
      return undefined;
    }
    // This device's scheduled message, released by the server: it cannot decrypt its own.
    const released = await this.deps.scheduled?.releasedLocked(event, advanced);
    if (released) return { message: released };
    try {
      return await this.decryptLocked(event, advanced);
    } catch (err) {
      if (!(err instanceof VollyError && err.code === "VOLLY_E_DECRYPT_FAILED")) throw err;
      const cause = String(err.details?.cause ?? "other") as DecryptFailureCause;
      if (isBeforeJoin(cause, err.details, advanced)) {
        await deliveryLog.skipBeforeJoin(advanced);
        return undefined;
      }
      await deliveryLog.countUndecryptable(cause, advanced);
      if (needsResync(cause, err.details, event.kind)) await this.recoverLocked(advanced, cause);
      return undefined;
    }
  }

  private async handleDirectLocked(entry: IncomingEntry): Promise<ContentOutcome | undefined> {
    const { stores } = this.deps.ctx;
    const conv = await stores.conversations.get(entry.groupId);
    if (!conv || conv.left || conv.self) return undefined;
    if ((await stores.directReceived.has(entry.messageId)) || (await stores.messages.has(entry.messageId))) {
      return undefined;
    }
    try {
      return await this.decryptLocked(entry, conv);
    } catch (err) {
      if (!(err instanceof VollyError && err.code === "VOLLY_E_DECRYPT_FAILED")) throw err;
      this.deps.ctx.diagnostics.report("direct.undecryptable", err);
      return undefined;
    }
  }

  /**
   * Decrypts an entry and applies it (a commit, or content through its handler). A message from a
   * direct path (no seq) leaves the conversation's seq as it is and is noted in `directReceived`.
   */
  private async decryptLocked(event: IncomingEntry, advanced: ConversationRecord): Promise<ContentOutcome> {
    const { ctx, conversations } = this.deps;
    const group = await conversations.state.loadGroup(advanced.id).catch((err: unknown) => {
      // no stored state, or one that does not decode: lost
      throw err instanceof VollyError &&
        (err.code === "VOLLY_E_UNKNOWN_CONVERSATION" || err.code === "VOLLY_E_DECRYPT_FAILED")
        ? new VollyError("VOLLY_E_DECRYPT_FAILED", err.message, { cause: "missing-state" })
        : err;
    });
    // The leaves before a commit, for its membership events (processing consumes `group`).
    const before = event.kind === "commit" ? groupMembers(group) : [];
    const processed = await processMessage(ctx.suite, group, fromBase64Url(event.payload));
    if (processed.kind === "commit") {
      if (event.seq === undefined) {
        throw new VollyError("VOLLY_E_DECRYPT_FAILED", "A commit never travels over a direct path.", {
          cause: "other",
        });
      }
      const applied = await conversations.commits.applyIncomingLocked(advanced, processed.newGroup, {
        before,
        committer: processed.sender,
        at: event.createdAt,
        seq: event.seq,
        ...(processed.sender ? { fromDeviceId: processed.sender.deviceId } : {}),
      });
      if (applied.departed.length > 0) conversations.departures.schedule(advanced.id);
      return {};
    }
    if (
      processed.sender.deviceId !== event.senderDeviceId ||
      processed.sender.accountId !== event.senderAccountId
    ) {
      throw new VollyError("VOLLY_E_DECRYPT_FAILED", "Sender does not match the MLS credential.", {
        cause: "bad-signature",
      });
    }
    const { stores } = ctx;
    const batch = stores.conversations.save(
      stores.groupStates.put(stores.batch(), advanced.id, processed.newGroup),
      advanced,
    );
    if (event.seq === undefined) stores.directReceived.put(batch, event.messageId, advanced.id);
    if (advanced.self) return this.selfContentLocked(event, advanced, processed, batch);
    const content = parse(ApplicationContent, parseJson(processed.plaintext), "VOLLY_E_DECRYPT_FAILED");
    if (content.id !== event.messageId) {
      throw new VollyError("VOLLY_E_DECRYPT_FAILED", "Message id mismatch.", { cause: "other" });
    }
    const handler = handlerOf(content.type);
    if (handler.scope === "self") {
      // Only meaningful in the account's self conversation: ignored elsewhere.
      await batch.commit();
      return {};
    }
    const own = event.senderAccountId === ctx.profile.accountId;
    return handler.apply({ content, event, advanced, batch, newGroup: processed.newGroup, own }, this.deps);
  }

  /**
   * Content of the account's self conversation: trusted only from this account in a group of only
   * its devices, and only of kinds scoped "self"; anything else is counted (`AccountSync.rejected`)
   * and ignored — never undecryptable.
   */
  private async selfContentLocked(
    event: IncomingEntry,
    advanced: ConversationRecord,
    processed: { newGroup: MlsGroup; plaintext: Uint8Array },
    batch: VaultBatch,
  ): Promise<ContentOutcome> {
    const { accountSync } = this.deps;
    if (!accountSync.trusts(event, processed.newGroup)) {
      await accountSync.rejectEntryLocked(batch, "foreign", event.messageId);
      return {};
    }
    const content = parseContentOrUndefined(processed.plaintext);
    if (!content || content.id !== event.messageId || handlerOf(content.type).scope !== "self") {
      await accountSync.rejectEntryLocked(batch, "malformed", event.messageId);
      return {};
    }
    const input = { content, event, advanced, batch, newGroup: processed.newGroup, own: true };
    return handlerOf(content.type).apply(input, this.deps);
  }

  /**
   * Rejoins the group by external commit after an entry showed this device's state is lost or
   * forked, and logs it (cause and conversation id, never content). A failure (e.g. no GroupInfo
   * stored, the server unreachable) is logged and left for the next entry to retry.
   */
  private async recoverLocked(advanced: ConversationRecord, cause: string): Promise<void> {
    const { conversations, deliveryLog } = this.deps;
    try {
      const applied = await conversations.commits.recoverLocked(advanced);
      if (applied.departed.length > 0) conversations.departures.schedule(advanced.id);
    } catch (err) {
      deliveryLog.reportFailedRecovery(advanced.id, cause, err);
      return;
    }
    await deliveryLog.countRecovery(advanced.id, cause);
  }
}

/**
 * Whether a decryption failure is an entry of an epoch before this device joined the group
 * (`ConversationRecord.joinedEpoch`): an application message encrypted before the commit that added
 * this device (or before its rejoin) and appended after it — the delivery service accepts past
 * epochs' messages, as MLS allows for messages in flight during a commit (RFC 9420 §15.3). This
 * device never had that epoch's keys, so the message was not meant for it.
 *
 * @param details the error's details (`messageEpoch` for "wrong-epoch")
 */
function isBeforeJoin(
  cause: DecryptFailureCause,
  details: Record<string, unknown> | undefined,
  conv: ConversationRecord,
): boolean {
  const messageEpoch = details?.messageEpoch;
  return (
    cause === "wrong-epoch" &&
    typeof messageEpoch === "number" &&
    conv.joinedEpoch !== undefined &&
    messageEpoch < conv.joinedEpoch
  );
}

/** The handler of a content kind, for content whose kind is only known at run time. */
function handlerOf(type: ContentType): ContentHandler<ContentType> {
  return CONTENT_HANDLERS[type] as ContentHandler<ContentType>;
}

function parseJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new VollyError("VOLLY_E_DECRYPT_FAILED", "The content is not JSON.", { cause: "malformed" });
  }
}

function parseContentOrUndefined(bytes: Uint8Array): ApplicationContent | undefined {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return undefined;
  }
  return matches(ApplicationContent, json) ? json : undefined;
}
