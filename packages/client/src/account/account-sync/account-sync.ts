import { groupMembers, type MlsGroup } from "@volly/crypto";
import {
  type AccountSyncContent,
  type AttachmentPointer,
  fromBase64Url,
  type GroupMessageEvent,
  type HistoryChunkContent,
  LIMITS,
  newId,
  toBase64Url,
  VollyError,
} from "@volly/protocol";
import * as Y from "yjs";
import type { ConversationRecord } from "../../conversations/conversation-records.js";
import type { ConversationsService } from "../../conversations/conversations.js";
import type { Directory } from "../../conversations/directory.js";
import type { MessageRecord } from "../../messaging/message-records.js";
import type { Outbox } from "../../messaging/outbox.js";
import type { ClientContext } from "../../shared/client-context.js";
import type { KeyedQueue } from "../../shared/keyed-queue.js";
import { ListenerSet } from "../../shared/listeners.js";
import type { VaultBatch } from "../../storage/vault.js";
import type { SettingsService } from "../settings.js";
import type { UserSettings } from "../settings-api.js";
import {
  AccountDoc,
  LOCAL_ORIGIN,
  type SyncedContact,
  type SyncedConversation,
  type SyncedSchedule,
  type SyncedSchedules,
  type SyncedVerification,
} from "./account-doc.js";
import type {
  AccountSync,
  AccountSyncDiagnostic,
  AccountSyncRejection,
  HandOverResult,
  HistoryImport,
} from "./account-sync-api.js";
import { planHistoryHandOver, stageHistoryChunk } from "./history-handover.js";
import { ensureHistoryConversation, projectAccountDoc } from "./projection.js";
import { isOwnOnlyGroup, selfConversationId } from "./self-conversation.js";

const REMOTE_ORIGIN = "remote";
/** How many of a conversation's newest messages {@link AccountSyncService.noteRead} looks at. */
const READ_SCAN_LIMIT = 200;

/** The services {@link AccountSyncService} works with (VollyClient passes its own). */
export interface AccountSyncDeps {
  queue: KeyedQueue;
  outbox: Outbox;
  conversations: ConversationsService;
  /** Creates the self conversation (see `createSelfConversation` in conversations/creation.ts). */
  createSelf(id: string): Promise<ConversationRecord>;
  settings: SettingsService;
  directory: Directory;
}

/**
 * Records a conversation and its members' contacts in the account document (never its title); a
 * community channel's conversation is left out.
 */
function noteConversationIn(doc: AccountDoc, conv: ConversationRecord): void {
  // Each device follows its communities' channels itself (`communities/`): not synced.
  if (conv.kind === "channel") return;
  doc.noteConversation({
    id: conv.id,
    kind: conv.kind,
    createdAt: conv.createdAt,
    ...(conv.peerHandle !== undefined ? { peerHandle: conv.peerHandle } : {}),
  });
  for (const m of conv.members ?? []) doc.noteContact(m);
}

/** Each conversation's `lastReadAt` (ms), by id: what {@link AccountSync}'s reconcile has noted. */
function readsNoted(conversations: readonly ConversationRecord[]): Record<string, number> {
  const noted: Record<string, number> = {};
  for (const conv of conversations) if (conv.lastReadAt !== undefined) noted[conv.id] = conv.lastReadAt;
  return noted;
}

/**
 * The SDK's {@link AccountSync} (see there for each public member). The account document
 * ({@link AccountDoc}) is changed by local events (settings, conversations, names, read marks) as
 * Yjs transactions, each sealed into the vault and sent as AccountSyncContent; updates from the
 * other devices are applied with `Y.applyUpdate` by the receiving pipeline (`applyUpdateLocked`)
 * and projected into the local stores. A newly linked device is added to the self conversation
 * and receives the full state, and optionally the message history ({@link handOver}). All
 * document work runs in the self conversation's queue.
 */
export class AccountSyncService implements AccountSync {
  readonly selfId: string;
  readonly diagnostics = new ListenerSet<AccountSyncDiagnostic>();
  readonly historyImported = new ListenerSet<HistoryImport>();
  /** Fires (inside the self conversation's queue) after another device changed the recurring schedules. */
  readonly schedulesChanged = new ListenerSet<void>();
  private doc: AccountDoc | undefined;
  private readonly running = new Set<Promise<unknown>>();
  private creating: Promise<ConversationRecord | undefined> | undefined;
  private reconciling: Promise<void> | undefined;
  private projecting: Promise<void> = Promise.resolve();

  /**
   * Subscribes to local settings updates and conversation changes and names, which become updates
   * of the account document.
   */
  constructor(
    private readonly ctx: ClientContext,
    private readonly deps: AccountSyncDeps,
  ) {
    this.selfId = selfConversationId(ctx.profile.accountId);
    deps.settings.localUpdates.add((patch) => this.settingsChanged(patch));
    deps.conversations.changes.add((conv) => this.noteConversation(conv));
    deps.conversations.named.add((conv) => {
      if (conv.kind === "group") this.change((doc) => doc.setTitle(conv.id, conv.title));
    });
  }

  async contacts(): Promise<SyncedContact[]> {
    return (await this.snapshot()).contacts();
  }

  async conversationList(): Promise<SyncedConversation[]> {
    return (await this.snapshot()).conversations();
  }

  async readSeq(conversationId: string): Promise<number> {
    return (await this.snapshot()).readSeq(conversationId);
  }

  /** The contact's synced verification mark, if any (see `verification.ts`). */
  async verification(accountId: string): Promise<SyncedVerification | undefined> {
    return (await this.snapshot()).verification(accountId);
  }

  /**
   * Marks a contact verified (or clears the mark) in the account document, so every device of the
   * account sees it; resolves once stored locally (sending to the other devices follows).
   */
  async setVerification(
    accountId: string,
    value: Omit<SyncedVerification, "accountId"> | undefined,
  ): Promise<void> {
    await this.change((doc) => doc.setVerification(accountId, value));
  }

  /** The account's recurring schedule definitions and cancelled series (see `scheduled/`). */
  async schedules(): Promise<SyncedSchedules> {
    return (await this.snapshot()).schedules();
  }

  /**
   * Shares a recurring schedule's definition with the account's other devices; resolves once
   * stored locally (sending follows). Never throws.
   */
  async noteSchedule(schedule: SyncedSchedule): Promise<void> {
    await this.change((doc) => doc.noteSchedule(schedule));
  }

  /** Marks a recurring schedule cancelled on every device of the account (a tombstone). Never throws. */
  async cancelSchedule(id: string): Promise<void> {
    await this.change((doc) => doc.cancelSchedule(id, Date.now()));
  }

  async rejected(): Promise<Partial<Record<AccountSyncRejection, number>>> {
    return (await this.ctx.stores.accountRejected.get()) ?? {};
  }

  async selfConversation(): Promise<ConversationRecord | undefined> {
    const conv = await this.ctx.stores.conversations.get(this.selfId);
    return conv && !conv.left ? conv : undefined;
  }

  /**
   * Returns the self conversation, creating it (with this account's other devices that have key
   * packages) when this device has none. Returns undefined when another device created it and has
   * not added this one yet (VOLLY_E_GROUP_EXISTS). @throws VOLLY_E_SERVER_UNREACHABLE
   */
  async ensureSelfConversation(): Promise<ConversationRecord | undefined> {
    const known = await this.selfConversation();
    if (known) return known;
    this.creating ??= this.createIfMissing()
      .catch((err: unknown) => {
        // Another device of this account created it first: it adds this one (expected, not a failure).
        if (err instanceof VollyError && err.code === "VOLLY_E_GROUP_EXISTS") return undefined;
        throw err;
      })
      .finally(() => {
        this.creating = undefined;
      });
    const created = await this.creating;
    if (created) await this.sendFullState();
    return created;
  }

  /**
   * Creates the self conversation unless the delivery service already has it (asked first, so no
   * key packages of the other devices are claimed in vain). @throws VOLLY_E_GROUP_EXISTS
   */
  private async createIfMissing(): Promise<ConversationRecord> {
    try {
      await this.ctx.api.call("getGroup", {
        params: { groupId: this.selfId },
      });
    } catch (err) {
      if (!(err instanceof VollyError && err.code === "VOLLY_E_UNKNOWN_GROUP")) {
        if (err instanceof VollyError && err.code === "VOLLY_E_NOT_GROUP_MEMBER") {
          throw new VollyError("VOLLY_E_GROUP_EXISTS", undefined, { groupId: this.selfId });
        }
        throw err;
      }
      return this.deps.createSelf(this.selfId);
    }
    throw new VollyError("VOLLY_E_GROUP_EXISTS", undefined, { groupId: this.selfId });
  }

  /**
   * Publishes that this device read a conversation up to its newest message (the highest seq among
   * its newest 200 messages). Never throws.
   */
  async noteRead(conversationId: string): Promise<void> {
    const messages = await this.ctx.stores.messages
      .recent(conversationId, READ_SCAN_LIMIT)
      .catch((err: unknown) => {
        this.ctx.diagnostics.report("account-sync.note-read", err);
        return [];
      });
    const seq = Math.max(0, ...messages.map((m) => m.seq ?? 0));
    if (seq > 0) await this.change((doc) => doc.markRead(conversationId, this.ctx.profile.deviceId, seq));
  }

  /**
   * Sends the whole account document to the self conversation (after adding a device). Returns
   * false when this device is not in the self conversation or alone in it, or the state is larger
   * than LIMITS.maxAccountSyncUpdateChars (counted as "too-large").
   */
  async sendFullState(): Promise<boolean> {
    const sent = await this.track(
      this.deps.queue.run(this.selfId, async () => {
        if (!(await this.withOtherDevicesLocked())) return false;
        const doc = await this.docLocked();
        const ok = await this.sendUpdateLocked(doc.encodeState());
        if (ok) await this.ctx.stores.accountUnsent.delete(this.ctx.stores.batch()).commit();
        return ok;
      }),
    );
    await this.deps.outbox.flush();
    return sent;
  }

  /**
   * Hands this account's state — and with `history` its stored messages (see
   * `planHistoryHandOver`) — over to a device just added to the self conversation, encrypted in
   * it and addressed to `deviceId`. Resolves once the server stored everything (or the outbox
   * keeps retrying it).
   *
   * @param deviceId the new device's id
   * @param options.history hand the message history over (default true)
   * @throws VOLLY_E_SERVER_UNREACHABLE
   */
  async handOver(deviceId: string, options: { history?: boolean } = {}): Promise<HandOverResult> {
    const stateSent = await this.sendFullState();
    if (!stateSent || options.history === false) return { stateSent, messages: 0, chunks: 0, skipped: 0 };
    const conversations = await this.deps.conversations.list();
    const pending = (await this.ctx.stores.pendingActions.list()).flatMap(([, actions]) => actions);
    const plan = await planHistoryHandOver(this.ctx.stores.messages, conversations, deviceId, pending);
    await this.track(
      this.deps.queue.run(this.selfId, async () => {
        for (const chunk of plan.chunks) await this.deps.outbox.addLocked(this.selfId, chunk);
      }),
    );
    await this.deps.outbox.flush();
    return { stateSent, messages: plan.messages, chunks: plan.chunks.length, skipped: plan.skipped };
  }

  /**
   * Brings account sync up to date after the gateway synced (fire and forget; never throws):
   * notes local conversations, names, contacts and read marks into the document, sends what is
   * unsent, projects the document, creates the self conversation when this account has other
   * devices but none exists, and adds devices of this account missing from it (then sends them
   * the full state).
   */
  reconcile(): Promise<void> {
    this.reconciling ??= this.track(
      this.reconcileOnce()
        .catch(this.ctx.diagnostics.catcher("account-sync.reconcile"))
        .finally(() => {
          this.reconciling = undefined;
        }),
    );
    return this.reconciling;
  }

  /**
   * Whether an entry of the self conversation may be trusted as this account's own sync data: its
   * sender is this account and every leaf of the group (after the entry) carries this account's
   * credential (RFC 9420 §5.3). The conversation id alone is never trusted.
   */
  trusts(event: Pick<GroupMessageEvent, "senderAccountId">, newGroup: MlsGroup): boolean {
    const own = this.ctx.profile.accountId;
    return event.senderAccountId === own && isOwnOnlyGroup(newGroup, own);
  }

  /**
   * Applies an account-sync update received in the self conversation (inside its queue; the entry
   * is trusted, see {@link trusts}) to the document with `Y.applyUpdate`, seals the new state in
   * `batch` and commits it, then projects the document in the background. An update that does not
   * decode or apply is counted as "malformed" and changes nothing but the count. Throws only when
   * the store fails.
   */
  async applyUpdateLocked(content: AccountSyncContent, messageId: string, batch: VaultBatch): Promise<void> {
    let update: Uint8Array;
    try {
      update = fromBase64Url(content.update);
      Y.decodeUpdate(update);
    } catch {
      return this.rejectEntryLocked(batch, "malformed", messageId);
    }
    const doc = await this.docLocked();
    const schedulesBefore = JSON.stringify(doc.schedules());
    try {
      Y.applyUpdate(doc.ydoc, update, REMOTE_ORIGIN);
    } catch {
      this.doc = undefined; // drop what was half applied: reload the stored state next time
      return this.rejectEntryLocked(batch, "malformed", messageId);
    }
    await this.ctx.stores.accountDoc.put(batch, toBase64Url(doc.encodeState())).commit();
    this.scheduleProjection();
    if (JSON.stringify(doc.schedules()) !== schedulesBefore) this.schedulesChanged.emit();
  }

  /**
   * Counts an entry of the self conversation this device ignores (`cause`), commits `batch` (which
   * holds the new group state and the advanced conversation) and reports it on `diagnostics`.
   */
  async rejectEntryLocked(batch: VaultBatch, cause: AccountSyncRejection, messageId: string): Promise<void> {
    const counts = await this.rejected();
    counts[cause] = (counts[cause] ?? 0) + 1;
    await this.ctx.stores.accountRejected.put(batch, counts).commit();
    this.diagnostics.emit({ cause, messageId });
  }

  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  // ---- local changes ----

  private settingsChanged(patch: Partial<UserSettings>): void {
    void this.change((doc) => {
      for (const [key, value] of Object.entries(patch)) doc.setSetting(key, value);
    });
  }

  /**
   * Notes this account's new avatar (undefined: removed) in the account document, so devices
   * linked later learn it (see {@link projectAccountDoc}). Never throws.
   */
  noteOwnAvatar(avatar: AttachmentPointer | undefined): void {
    void this.change((doc) => {
      doc.setOwnAvatar(avatar ?? null);
    });
  }

  private noteConversation(conv: ConversationRecord): void {
    if (conv.self) return;
    void this.change((doc) => noteConversationIn(doc, conv));
  }

  /**
   * Runs `mutate` on the document as one local transaction in the self conversation's queue; if it
   * changed anything, seals the new state with the update merged into the unsent one and sends it
   * when this device is in the self conversation. `stage` adds writes to the batch that seals the
   * document (to its own batch when the document did not change), so they are stored only with it.
   * Never throws (failures are retried by the next change or reconcile, which send the unsent
   * update).
   */
  private change(mutate: (doc: AccountDoc) => void, stage?: (batch: VaultBatch) => void): Promise<void> {
    return this.track(
      this.deps.queue
        .run(this.selfId, async () => {
          const doc = await this.docLocked();
          const captured: Uint8Array[] = [];
          const capture = (update: Uint8Array, origin: unknown) => {
            if (origin === LOCAL_ORIGIN) captured.push(update);
          };
          doc.ydoc.on("update", capture);
          try {
            doc.ydoc.transact(() => mutate(doc), LOCAL_ORIGIN);
          } finally {
            doc.ydoc.off("update", capture);
          }
          const { stores } = this.ctx;
          if (captured.length === 0) {
            if (stage) {
              const batch = stores.batch();
              stage(batch);
              await batch.commit();
            }
            return false;
          }
          const unsent = await stores.accountUnsent.get();
          const merged = Y.mergeUpdates(unsent ? [fromBase64Url(unsent), ...captured] : captured);
          const batch = stores.accountDoc.put(stores.batch(), toBase64Url(doc.encodeState()));
          stage?.(batch);
          await stores.accountUnsent.put(batch, toBase64Url(merged)).commit();
          return this.sendUnsentLocked();
        })
        .then((sent) => {
          if (sent) void this.deps.outbox.flush().catch(this.ctx.diagnostics.catcher("outbox.flush"));
        })
        .catch(this.ctx.diagnostics.catcher("account-sync.change")),
    );
  }

  /**
   * Sends the unsent update if this device is in the self conversation with other devices (inside
   * its queue). Alone in it, the update is dropped: a device added later gets the full state.
   */
  private async sendUnsentLocked(): Promise<boolean> {
    const unsent = await this.ctx.stores.accountUnsent.get();
    if (!unsent || !(await this.selfConversation())) return false;
    const others = await this.withOtherDevicesLocked();
    if (others) await this.sendUpdateLocked(fromBase64Url(unsent));
    await this.ctx.stores.accountUnsent.delete(this.ctx.stores.batch()).commit();
    return others;
  }

  /** True when this device is in the self conversation together with another device. */
  private async withOtherDevicesLocked(): Promise<boolean> {
    if (!(await this.selfConversation())) return false;
    const group = await this.deps.conversations.loadGroup(this.selfId).catch((err: unknown) => {
      // Without a readable state this device cannot send there (a resync repairs it): alone.
      this.ctx.diagnostics.report("account-sync.load-group", err);
      return undefined;
    });
    return group !== undefined && groupMembers(group).length > 1;
  }

  /** Queues one AccountSyncContent in the outbox (inside the self conversation's queue). */
  private async sendUpdateLocked(update: Uint8Array): Promise<boolean> {
    const encoded = toBase64Url(update);
    if (encoded.length > LIMITS.maxAccountSyncUpdateChars) {
      await this.countRejected("too-large");
      return false;
    }
    const content: AccountSyncContent = {
      v: 1,
      type: "account-sync",
      id: newId(),
      update: encoded,
      sentAt: Date.now(),
    };
    await this.deps.outbox.addLocked(this.selfId, content);
    return true;
  }

  // ---- incoming ----

  /**
   * Stores a history hand-over chunk addressed to this device as history (inside the self
   * conversation's queue), commits `batch`, then creates read-only records for conversations it is
   * not in, in the background. A chunk for another device only commits `batch`.
   *
   * @returns the messages stored
   */
  async importHistoryLocked(chunk: HistoryChunkContent, batch: VaultBatch): Promise<MessageRecord[]> {
    if (chunk.to !== this.ctx.profile.deviceId) {
      await batch.commit();
      return [];
    }
    const stored = await stageHistoryChunk(this.ctx.stores.messages, chunk, batch);
    await batch.commit();
    const firstSentAt = new Map<string, number>();
    for (const m of stored) {
      firstSentAt.set(m.conversationId, Math.min(firstSentAt.get(m.conversationId) ?? m.sentAt, m.sentAt));
    }
    const doc = await this.docLocked();
    // Outside this queue: the conversations' own queues create missing records.
    void this.track(
      (async () => {
        for (const [id, sentAt] of firstSentAt) {
          await ensureHistoryConversation(doc, this.targets(), id, sentAt);
        }
      })().catch(this.ctx.diagnostics.catcher("account-sync.history-conversations")),
    );
    this.historyImported.emit({
      transfer: chunk.transfer,
      index: chunk.index,
      total: chunk.total,
      stored: stored.length,
    });
    return stored;
  }

  private async countRejected(cause: AccountSyncRejection): Promise<void> {
    await this.rejectEntryLocked(this.ctx.stores.batch(), cause, "").catch(
      this.ctx.diagnostics.catcher("account-sync.count-rejected"),
    );
  }

  // ---- reconcile and projection ----

  private async reconcileOnce(): Promise<void> {
    const { stores } = this.ctx;
    const conversations = await this.deps.conversations.list();
    // A read mark depends only on lastReadAt and the messages received by then: one noted at this
    // lastReadAt by an earlier reconcile is in the document already (marks never move back), so
    // only conversations read since are scanned — not every conversation's newest 200 messages at
    // every SYNCED, thousands of unseals for a big account.
    const noted = (await stores.accountReadsNoted.get()) ?? {};
    const reads = new Map<string, number>();
    let scanned = false;
    for (const conv of conversations) {
      if (conv.lastReadAt === undefined || noted[conv.id] === conv.lastReadAt) continue;
      scanned = true;
      const messages = await stores.messages.recent(conv.id, READ_SCAN_LIMIT);
      const seq = Math.max(
        0,
        ...messages.filter((m) => m.receivedAt <= (conv.lastReadAt ?? 0)).map((m) => m.seq ?? 0),
      );
      if (seq > 0) reads.set(conv.id, seq);
    }
    await this.change(
      (doc) => {
        for (const conv of conversations) {
          noteConversationIn(doc, conv);
          // Only names the document does not know yet: never overwrite a newer synced name.
          if (conv.kind === "group" && doc.title(conv.id) === undefined) doc.setTitle(conv.id, conv.title);
          const seq = reads.get(conv.id);
          if (seq !== undefined) doc.markRead(conv.id, this.ctx.profile.deviceId, seq);
        }
      },
      scanned ? (batch) => stores.accountReadsNoted.put(batch, readsNoted(conversations)) : undefined,
    );
    const sent = await this.track(this.deps.queue.run(this.selfId, () => this.sendUnsentLocked()));
    if (sent) void this.deps.outbox.flush().catch(this.ctx.diagnostics.catcher("outbox.flush"));
    await this.project();
    await this.ensureMembership();
  }

  /** Creates the self conversation when needed and adds this account's devices missing from it. */
  private async ensureMembership(): Promise<void> {
    const own = await this.deps.directory.account(this.ctx.profile.handle);
    const others = own.devices.filter((d) => d.deviceId !== this.ctx.profile.deviceId);
    if (others.length === 0) return;
    const self = (await this.selfConversation()) ?? (await this.ensureSelfConversation());
    if (!self) return;
    const group = await this.deps.conversations.loadGroup(this.selfId);
    const present = new Set(groupMembers(group).map((m) => m.credential.deviceId));
    const missing = others.filter((d) => !present.has(d.deviceId)).map((d) => d.deviceId);
    if (missing.length === 0) return;
    await this.deps.conversations.addDevices(this.selfId, missing);
    await this.sendFullState();
  }

  private scheduleProjection(): void {
    void this.track(this.project().catch(this.ctx.diagnostics.catcher("account-sync.projection")));
  }

  /** Projects the document onto the local stores, one projection at a time. */
  private project(): Promise<void> {
    this.projecting = this.projecting
      // A previous projection's failure went to its own caller: it must not stop this one.
      .catch(() => undefined)
      .then(async () => projectAccountDoc(await this.snapshot(), this.targets()));
    return this.projecting;
  }

  private targets() {
    return {
      stores: this.ctx.stores,
      queue: this.deps.queue,
      conversations: this.deps.conversations,
      settings: this.deps.settings,
      ctx: this.ctx,
    };
  }

  /** The document, loaded in the self conversation's queue (read it synchronously). */
  private snapshot(): Promise<AccountDoc> {
    return this.deps.queue.run(this.selfId, () => this.docLocked());
  }

  private async docLocked(): Promise<AccountDoc> {
    if (this.doc) return this.doc;
    const state = await this.ctx.stores.accountDoc.get();
    let doc: AccountDoc;
    try {
      doc = new AccountDoc(state ? fromBase64Url(state) : undefined);
    } catch (err) {
      // A stored state that does not decode: start over (the other devices send theirs again).
      this.ctx.diagnostics.report("account-sync.doc", err);
      doc = new AccountDoc();
    }
    this.doc = doc;
    return doc;
  }

  private track<T>(promise: Promise<T>): Promise<T> {
    this.running.add(promise);
    void promise.then(
      () => this.running.delete(promise),
      () => this.running.delete(promise),
    );
    return promise;
  }
}
