import { encryptApplication, groupEpoch, isRemovedFromGroup } from "@volly/crypto";
import {
  type GroupMessageEvent,
  LIMITS,
  newId,
  parse,
  type ScheduledMessage,
  TextContent,
  toBase64Url,
  utf8,
  VollyError,
} from "@volly/protocol";
import type { SyncedSchedule, SyncedSchedules } from "../account/account-sync/account-doc.js";
import type { ConversationRecord } from "../conversations/conversation-records.js";
import type { ConversationState } from "../conversations/conversation-state.js";
import { channelOf, type MessageRecord } from "../messaging/message-records.js";
import type { ClientContext } from "../shared/client-context.js";
import type { KeyedQueue } from "../shared/keyed-queue.js";
import type { HeldOccurrence, ScheduleRecord } from "./schedule-records.js";
import { formatScheduleRule, nextOccurrences, parseAt, parseScheduleRule } from "./schedule-rule.js";
import {
  SCHEDULE_HORIZON,
  type ScheduledEntry,
  type ScheduledMessages,
  type ScheduleOptions,
} from "./scheduled-api.js";
import { TopUpTimer } from "./top-up-timer.js";

/** Own messages sent in a conversation after which held occurrences are encrypted again (see below). */
const RE_ENCRYPT_AFTER_SENDS = 5;
/** How long after a held occurrence's time the device tops its series up (ms). */
const TOP_UP_AFTER_RELEASE_MS = 250;

/**
 * Where recurring schedules' definitions are shared with the account's other devices (the account
 * document, `AccountSyncService`).
 */
export interface ScheduleDefinitions {
  /** The live definitions and cancelled series ids. */
  schedules(): Promise<SyncedSchedules>;
  /** Shares a new definition. Never throws. */
  noteSchedule(schedule: SyncedSchedule): Promise<void>;
  /** Marks a series cancelled on every device. Never throws. */
  cancelSchedule(id: string): Promise<void>;
}

/** What {@link ScheduledService} works with. */
export interface ScheduledDeps {
  queue: KeyedQueue;
  conversations: ConversationState;
  /** The account's shared schedule definitions (absent: this device keeps its own only). */
  definitions?: ScheduleDefinitions;
  /** Accept the test-only `every Ns` rule. */
  allowSecondIntervals?: boolean;
}

/**
 * The SDK's {@link ScheduledMessages}. Besides the public calls it keeps what this device holds on
 * the server decryptable:
 * - on every epoch change of a conversation it re-encrypts the occurrences it holds there at the
 *   new epoch and replaces them on the server (PUT), so a member added since can read them and the
 *   epoch never falls out of receivers' key retention (ts-mls keeps 4 past epochs);
 * - MLS receivers keep only 10 skipped generations of a sender's ratchet (ts-mls
 *   `retainKeysForGenerations`), and an occurrence was encrypted before this device's later
 *   messages: after {@link RE_ENCRYPT_AFTER_SENDS} of its own messages in the conversation it
 *   re-encrypts them too (and once at every start, as counts are not kept across restarts);
 * - a recurring schedule's definition is shared through the account document
 *   ({@link ScheduleDefinitions}); every device of the account adopts the definitions it finds
 *   there into its store, so each lists it, can cancel it (a tombstone in the document, then the
 *   server's rows), and tops it up;
 * - a recurring schedule is topped up to {@link SCHEDULE_HORIZON} occurrences whenever the client
 *   syncs (`topUp`), and while it runs each time an occurrence it knows of goes out (a timer armed
 *   for the next one, whichever device holds it), by whichever device of the account runs: it
 *   counts what the server holds of the series and adds only the missing occurrences, whose ids derive from the series and the
 *   time, so two devices topping up at once collide on the server's unique message id
 *   (VOLLY_E_MESSAGE_ID_CONFLICT) instead of holding an occurrence twice;
 * - it re-encrypts every held occurrence of a schedule it knows, whichever device encrypted it
 *   last, so the series stays readable when the creating device is gone;
 * - when its own occurrence comes back through the log (it cannot decrypt its own MLS message) it
 *   stores the message from the text it kept ({@link ScheduledService.releasedLocked}). Today's
 *   server never delivers a device's own entries back, so this waits for the server to echo
 *   released scheduled entries to the device that held them.
 */
export class ScheduledService implements ScheduledMessages {
  private readonly sends = new Map<string, number>();
  /** Series cancelled by this client: never adopted again from an older read of the document. */
  private readonly cancelledHere = new Set<string>();
  /** Wakes this device when the next occurrence it knows of goes out, to top its series up. */
  private readonly nextRelease = new TopUpTimer(() => this.topUpSoon());
  private disposed = false;

  constructor(
    private readonly ctx: ClientContext,
    private readonly deps: ScheduledDeps,
  ) {}

  /**
   * Subscribes to epoch changes and shared definitions' changes (listeners; the top-up timer is
   * armed by the first top-up).
   *
   * @param definitionsChanged fires when another device changed the shared definitions (adopted
   *   and topped up in the background)
   */
  start(definitionsChanged?: { add(fn: () => void): unknown }): void {
    definitionsChanged?.add(() => this.topUpSoon());
    this.deps.conversations.epochs.add((change) => {
      if (change.left) return;
      this.track(this.refresh(change.conversationId, (h) => h.epoch !== change.epoch));
    });
  }

  private background: Promise<void> = Promise.resolve();
  private refreshedAll = false;

  /**
   * After each SYNCED: tops recurring schedules up and, the first time, re-encrypts everything this
   * device holds (send counts are not kept across restarts). Runs in the background.
   */
  syncedInBackground(): void {
    const all = !this.refreshedAll;
    this.refreshedAll = true;
    this.background = this.background
      .then(async () => {
        await this.topUp();
        if (!all) return;
        const ids = new Set((await this.ctx.stores.scheduled.list()).map(([, r]) => r.conversationId));
        for (const id of ids) await this.refresh(id, () => true);
      })
      .catch(this.ctx.diagnostics.catcher("scheduled.synced"));
  }

  /** Resolves once background top-ups and re-encryptions started so far have settled. Never rejects. */
  async idle(): Promise<void> {
    await this.background;
  }

  /** Stops the top-up timer and starts no more background top-ups (the client is closing). */
  dispose(): void {
    this.disposed = true;
    this.nextRelease.dispose();
  }

  /** Notes one own message sent in a conversation (re-encrypts held occurrences every few). */
  noteSent(conversationId: string): void {
    const n = (this.sends.get(conversationId) ?? 0) + 1;
    this.sends.set(conversationId, n);
    if (n < RE_ENCRYPT_AFTER_SENDS) return;
    this.sends.set(conversationId, 0);
    this.track(this.refresh(conversationId, () => true));
  }

  async schedule(conversationId: string, text: string, options: ScheduleOptions): Promise<ScheduledEntry> {
    if ((options.at === undefined) === (options.every === undefined)) {
      throw new VollyError("VOLLY_E_USAGE", "Give exactly one of at and every.");
    }
    const timeZone = options.timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
    try {
      new Intl.DateTimeFormat("en-US", { timeZone });
    } catch {
      throw new VollyError("VOLLY_E_USAGE", `Unknown time zone "${timeZone}".`, { timeZone });
    }
    const now = Date.now();
    const base = {
      conversationId,
      text,
      timeZone,
      createdAt: now,
      held: [] as HeldOccurrence[],
      ...(options.replyTo !== undefined ? { replyTo: options.replyTo } : {}),
    };
    if (options.at !== undefined) {
      const at =
        typeof options.at === "string"
          ? parseAt(options.at)
          : options.at instanceof Date
            ? options.at.getTime()
            : options.at;
      if (!Number.isFinite(at) || at <= now) {
        throw new VollyError("VOLLY_E_USAGE", "The time to send at is not in the future.", { at });
      }
      const record: ScheduleRecord = { id: newId(), at, ...base };
      await this.deps.queue.run(conversationId, async () => {
        record.held.push(await this.holdLocked(record, record.id, at));
        await this.save(record);
      });
      return entryOf(record, []);
    }
    const rule = parseScheduleRule(options.every ?? "", this.deps.allowSecondIntervals === true);
    const record: ScheduleRecord = { id: newId(), rule: formatScheduleRule(rule), ...base };
    // Check the text and membership before anything is stored.
    textContent(record, record.id, now);
    await this.deps.conversations.get(conversationId);
    await this.save(record);
    await this.deps.definitions?.noteSchedule(definitionOf(record));
    await this.deps.queue.run(conversationId, () => this.topUpLocked(record));
    await this.armNextRelease();
    return entryOf(record, []);
  }

  async list(): Promise<ScheduledEntry[]> {
    const scheduled = await this.reconcileSynced((await this.ctx.api.call("listScheduled")).scheduled);
    const records = new Map((await this.ctx.stores.scheduled.list()).map(([id, r]) => [id, r]));
    const rows = new Map<string, ScheduledMessage[]>();
    for (const row of scheduled) {
      const id = row.seriesId ?? row.messageId;
      rows.set(id, [...(rows.get(id) ?? []), row]);
    }
    const out: ScheduledEntry[] = [];
    for (const [id, held] of rows) {
      const record = records.get(id);
      out.push(record ? entryOf(record, held) : foreignEntry(id, held));
    }
    for (const [id, record] of records) {
      // A one-off no longer held went out (or was cancelled elsewhere). Its record stays until its
      // own copy comes back through the log (`releasedLocked`), which needs the text.
      if (!rows.has(id) && record.rule !== undefined) out.push(entryOf(record, []));
    }
    return out.sort((a, b) => (a.next ?? Number.MAX_SAFE_INTEGER) - (b.next ?? Number.MAX_SAFE_INTEGER));
  }

  async cancel(id: string): Promise<void> {
    const synced = (await this.deps.definitions?.schedules())?.live.find((d) => d.id === id);
    this.cancelledHere.add(id);
    if (synced) await this.deps.definitions?.cancelSchedule(id);
    const record = (await this.ctx.stores.scheduled.get(id)) ?? (synced && { ...synced, held: [] });
    // In the conversation's queue, so a top-up or re-encryption running now neither recreates an
    // occurrence nor saves the record again.
    const cancelAll = () => this.cancelLocked(id, record !== undefined, record?.rule);
    if (record) await this.deps.queue.run(record.conversationId, cancelAll);
    else await cancelAll();
  }

  private async cancelLocked(id: string, known: boolean, rule: string | undefined): Promise<void> {
    if (known) await this.ctx.stores.scheduled.delete(this.ctx.stores.batch(), id).commit();
    const { scheduled } = await this.ctx.api.call("listScheduled");
    const targets = scheduled.filter((s) => s.messageId === id || s.seriesId === id);
    let cancelled = 0;
    for (const target of targets) {
      try {
        await this.ctx.api.call("cancelScheduled", { params: { messageId: target.messageId } });
        cancelled++;
      } catch (error) {
        if (!(error instanceof VollyError && error.code === "VOLLY_E_UNKNOWN_SCHEDULED")) throw error;
      }
    }
    // Nothing held any more: never scheduled here, or a one-off that already went out.
    if (cancelled === 0 && (!known || rule === undefined)) {
      throw new VollyError(
        "VOLLY_E_UNKNOWN_SCHEDULED",
        known ? "It is already being sent or was sent." : undefined,
        { messageId: id },
      );
    }
  }

  /**
   * Adopts the account's shared definitions, then tops every recurring schedule up to
   * {@link SCHEDULE_HORIZON} occurrences held on the server (counting what any device holds).
   * Failures go to diagnostics; never throws.
   */
  async topUp(): Promise<void> {
    const definitions = await this.deps.definitions?.schedules();
    const shared = (definitions?.live.length ?? 0) + (definitions?.cancelled.length ?? 0);
    // Nothing scheduled on any device of the account: no need to ask the server.
    if (shared === 0 && (await this.ctx.stores.scheduled.list()).length === 0) {
      this.nextRelease.clear();
      return;
    }
    let rows: ScheduledMessage[];
    try {
      rows = await this.reconcileSynced((await this.ctx.api.call("listScheduled")).scheduled);
    } catch (error) {
      // Without the server's list this device cannot tell what is held: next sync.
      this.ctx.diagnostics.report("scheduled.topUp", error);
      return;
    }
    for (const [, record] of await this.ctx.stores.scheduled.list()) {
      await this.deps.queue
        .run(record.conversationId, async () => {
          const current = await this.ctx.stores.scheduled.get(record.id);
          if (!current || current.rule === undefined) return;
          // What any device of the account holds of the series counts (and is re-encrypted here).
          for (const row of rows) {
            if (row.seriesId !== current.id || current.held.some((h) => h.messageId === row.messageId)) {
              continue;
            }
            current.held.push({ messageId: row.messageId, releaseAt: row.releaseAt });
          }
          await this.topUpLocked(current);
        })
        .catch(this.ctx.diagnostics.catcher("scheduled.topUp"));
    }
    await this.armNextRelease();
  }

  /**
   * Arms the top-up timer for just after the earliest future occurrence of the recurring schedules
   * this device knows (whichever device holds it), or clears it when there is none.
   */
  private async armNextRelease(): Promise<void> {
    const now = Date.now();
    let next = Number.POSITIVE_INFINITY;
    for (const [, record] of await this.ctx.stores.scheduled.list()) {
      if (record.rule === undefined) continue;
      for (const h of record.held) if (h.releaseAt > now) next = Math.min(next, h.releaseAt);
    }
    if (Number.isFinite(next)) this.nextRelease.arm(next + TOP_UP_AFTER_RELEASE_MS);
    else this.nextRelease.clear();
  }

  /**
   * Brings this device's store in line with the account's shared definitions: adopts recurring
   * schedules another device created, shares its own that the document lacks, forgets cancelled
   * ones, and cancels what the server still holds of a cancelled series (a top-up that raced the
   * cancel). Returns `rows` without those.
   */
  private async reconcileSynced(rows: ScheduledMessage[]): Promise<ScheduledMessage[]> {
    const definitions = await this.deps.definitions?.schedules();
    if (!definitions) return rows;
    const { stores } = this.ctx;
    for (const def of definitions.live) {
      if (this.cancelledHere.has(def.id) || (await stores.scheduled.has(def.id))) continue;
      await this.deps.queue.run(def.conversationId, async () => {
        if (this.cancelledHere.has(def.id) || (await stores.scheduled.has(def.id))) return;
        await this.save({ ...def, held: [] });
      });
    }
    const cancelled = new Set(definitions.cancelled);
    const shared = new Set(definitions.live.map((d) => d.id));
    for (const [id, record] of await stores.scheduled.list()) {
      // Scheduled here before definitions were shared: share it now.
      if (record.rule !== undefined && !shared.has(id) && !cancelled.has(id)) {
        await this.deps.definitions?.noteSchedule(definitionOf(record));
      }
    }
    for (const id of cancelled) {
      const record = await stores.scheduled.get(id);
      if (!record) continue;
      await this.deps.queue.run(record.conversationId, () =>
        stores.scheduled.delete(stores.batch(), id).commit(),
      );
    }
    const kept: ScheduledMessage[] = [];
    for (const row of rows) {
      if (row.seriesId === undefined || !cancelled.has(row.seriesId)) {
        kept.push(row);
        continue;
      }
      await this.ctx.api
        .call("cancelScheduled", { params: { messageId: row.messageId } })
        .catch((error: unknown) => {
          if (!(error instanceof VollyError && error.code === "VOLLY_E_UNKNOWN_SCHEDULED")) throw error;
        });
    }
    return kept;
  }

  /**
   * For the receiving pipeline, in the conversation's queue: when an application entry of this
   * device is an occurrence it scheduled, stores it as a sent message (with the conversation's new
   * `lastSeq`) and returns it; else undefined. (Top-ups as occurrences go out are the timer's,
   * `nextRelease`: it covers every occurrence this device knows, whichever device sent it.)
   */
  async releasedLocked(
    event: GroupMessageEvent,
    advanced: ConversationRecord,
  ): Promise<MessageRecord | undefined> {
    if (event.kind !== "application" || event.senderDeviceId !== this.ctx.profile.deviceId) return undefined;
    const { stores } = this.ctx;
    for (const [, record] of await stores.scheduled.list()) {
      if (record.conversationId !== advanced.id) continue;
      const occurrence = record.held.find((h) => h.messageId === event.messageId);
      if (!occurrence) continue;
      const message: MessageRecord = {
        id: event.messageId,
        conversationId: advanced.id,
        ...channelOf(advanced),
        from: this.ctx.profile.handle,
        fromAccountId: this.ctx.profile.accountId,
        fromDeviceId: this.ctx.profile.deviceId,
        direction: "out",
        body: { type: "text", text: record.text },
        sentAt: occurrence.releaseAt,
        receivedAt: Date.now(),
        status: "sent",
        seq: event.seq,
        recipients: (advanced.members ?? []).map((m) => m.accountId),
        ...(record.replyTo !== undefined ? { replyTo: record.replyTo } : {}),
      };
      const batch = stores.conversations.save(stores.batch(), advanced);
      stores.messages.put(batch, message);
      const rest = { ...record, held: record.held.filter((h) => h.messageId !== event.messageId) };
      if (rest.rule === undefined) stores.scheduled.delete(batch, record.id);
      else stores.scheduled.put(batch, record.id, rest);
      await batch.commit();
      return message;
    }
    return undefined;
  }

  private topUpPending = false;

  /** Runs {@link topUp} in the background once more (at most one waits at a time). */
  private topUpSoon(): void {
    if (this.topUpPending || this.disposed) return;
    this.topUpPending = true;
    this.background = this.background
      .then(() => {
        this.topUpPending = false;
        return this.topUp();
      })
      .catch(this.ctx.diagnostics.catcher("scheduled.topUp"));
  }

  private track(work: Promise<void>): void {
    const done = work.catch(this.ctx.diagnostics.catcher("scheduled.refresh"));
    this.background = Promise.all([this.background, done]).then(() => undefined);
  }

  /** Re-encrypts the held occurrences of a conversation that `which` selects, earliest first. */
  private refresh(conversationId: string, which: (h: HeldOccurrence) => boolean): Promise<void> {
    return this.deps.queue.run(conversationId, async () => {
      const records = (await this.ctx.stores.scheduled.list())
        .map(([, r]) => r)
        .filter((r) => r.conversationId === conversationId);
      const now = Date.now();
      const due = records
        .flatMap((record) =>
          record.held.filter((h) => h.releaseAt > now && which(h)).map((h) => ({ record, h })),
        )
        .sort((a, b) => a.h.releaseAt - b.h.releaseAt);
      for (const { record, h } of due) {
        const { epoch, ciphertext } = await this.encryptLocked(record, h.messageId, h.releaseAt);
        try {
          await this.ctx.api.call("replaceScheduled", {
            params: { messageId: h.messageId },
            body: { epoch, ciphertext },
          });
          h.epoch = epoch;
        } catch (error) {
          if (!(error instanceof VollyError && error.code === "VOLLY_E_UNKNOWN_SCHEDULED")) throw error;
          record.held = record.held.filter((x) => x.messageId !== h.messageId);
        }
      }
      for (const record of records) {
        if (await this.ctx.stores.scheduled.has(record.id)) await this.save(record);
      }
    });
  }

  /** Adds occurrences of a recurring schedule until the horizon is full; in its conversation's queue. */
  private async topUpLocked(record: ScheduleRecord): Promise<void> {
    const now = Date.now();
    // Past occurrences are kept a while: their own copies may still come back through the log
    // (`releasedLocked` needs the text); after the server's retention period they never will.
    record.held = record.held.filter((h) => h.releaseAt > now - LIMITS.retentionMs);
    const future = record.held.filter((h) => h.releaseAt > now);
    const rule = parseScheduleRule(record.rule ?? "", true);
    const last = record.held.reduce((max, h) => Math.max(max, h.releaseAt), now);
    const times = nextOccurrences(rule, {
      after: last,
      until: now + SCHEDULE_HORIZON.aheadMs,
      count: SCHEDULE_HORIZON.count - future.length,
      timeZone: record.timeZone,
      anchor: record.createdAt,
    });
    for (const t of times) {
      record.held.push(await this.holdLocked(record, await occurrenceId(record.id, t), t));
      await this.save(record);
    }
  }

  /** Encrypts one occurrence and hands it to the server. */
  private async holdLocked(
    record: ScheduleRecord,
    messageId: string,
    releaseAt: number,
  ): Promise<HeldOccurrence> {
    const { epoch, ciphertext } = await this.encryptLocked(record, messageId, releaseAt);
    try {
      await this.ctx.api.call("createScheduled", {
        body: {
          groupId: record.conversationId,
          messageId,
          epoch,
          ciphertext,
          releaseAt,
          ...(record.rule !== undefined ? { seriesId: record.id } : {}),
        },
      });
    } catch (error) {
      // Another device of the account holds this occurrence already (same derived id).
      if (!(error instanceof VollyError && error.code === "VOLLY_E_MESSAGE_ID_CONFLICT")) throw error;
      return { messageId, releaseAt };
    }
    return { messageId, releaseAt, epoch };
  }

  /** Encrypts an occurrence's TextContent at the group's current epoch; the new state is saved first. */
  private async encryptLocked(
    record: ScheduleRecord,
    messageId: string,
    releaseAt: number,
  ): Promise<{ epoch: number; ciphertext: string }> {
    const content = textContent(record, messageId, releaseAt);
    const conv = await this.deps.conversations.get(record.conversationId);
    if (conv.left)
      throw new VollyError("VOLLY_E_NOT_GROUP_MEMBER", "You are no longer in this conversation.");
    const { stores } = this.ctx;
    const group = await stores.groupStates.load(record.conversationId);
    if (isRemovedFromGroup(group)) throw new VollyError("VOLLY_E_NOT_GROUP_MEMBER");
    const epoch = groupEpoch(group);
    const { newGroup, ciphertext } = await encryptApplication(
      this.ctx.suite,
      group,
      utf8(JSON.stringify(content)),
    );
    // Saved before the ciphertext leaves: a ratchet key is never used twice.
    await stores.groupStates.put(stores.batch(), record.conversationId, newGroup).commit();
    return { epoch, ciphertext: toBase64Url(ciphertext) };
  }

  private async save(record: ScheduleRecord): Promise<void> {
    await this.ctx.stores.scheduled.put(this.ctx.stores.batch(), record.id, record).commit();
  }
}

/** The TextContent an occurrence carries: its own id, sent "at" its release time. */
function textContent(record: ScheduleRecord, messageId: string, releaseAt: number): TextContent {
  return parse(
    TextContent,
    {
      v: 1,
      type: "text",
      id: messageId,
      text: record.text,
      sentAt: releaseAt,
      ...(record.replyTo !== undefined ? { replyTo: record.replyTo } : {}),
    },
    "VOLLY_E_USAGE",
  );
}

/**
 * The message id of a recurring schedule's occurrence: derived from the series and the time
 * (SHA-256, first 16 bytes, base64url), so devices topping up the same series agree on it.
 */
async function occurrenceId(seriesId: string, releaseAt: number): Promise<string> {
  const digest = new Uint8Array(
    await globalThis.crypto.subtle.digest(
      "SHA-256",
      new TextEncoder().encode(`volly-scheduled:${seriesId}:${releaseAt}`),
    ),
  );
  const id = toBase64Url(digest.slice(0, 16));
  return id.startsWith("-") ? `A${id.slice(1)}` : id;
}

/** The part of a recurring schedule the account's devices share. */
function definitionOf(record: ScheduleRecord): SyncedSchedule {
  return {
    id: record.id,
    conversationId: record.conversationId,
    text: record.text,
    rule: record.rule ?? "",
    timeZone: record.timeZone,
    createdAt: record.createdAt,
    ...(record.replyTo !== undefined ? { replyTo: record.replyTo } : {}),
  };
}

function entryOf(record: ScheduleRecord, rows: ScheduledMessage[]): ScheduledEntry {
  const now = Date.now();
  const times =
    rows.length > 0
      ? rows.map((r) => r.releaseAt)
      : record.held.map((h) => h.releaseAt).filter((t) => t > now);
  const failure = rows.find((r) => r.failure !== undefined)?.failure;
  return {
    id: record.id,
    conversationId: record.conversationId,
    text: record.text,
    ...(record.rule !== undefined ? { rule: record.rule, timeZone: record.timeZone } : {}),
    ...(times.length > 0 ? { next: Math.min(...times) } : {}),
    held: rows.length > 0 ? rows.filter((r) => r.failure === undefined).length : times.length,
    ...(failure !== undefined ? { failure } : {}),
    ...(record.replyTo !== undefined ? { replyTo: record.replyTo } : {}),
  };
}

function foreignEntry(id: string, rows: ScheduledMessage[]): ScheduledEntry {
  const first = rows[0] as ScheduledMessage;
  const failure = rows.find((r) => r.failure !== undefined)?.failure;
  return {
    id,
    conversationId: first.groupId,
    next: Math.min(...rows.map((r) => r.releaseAt)),
    held: rows.filter((r) => r.failure === undefined).length,
    ...(failure !== undefined ? { failure } : {}),
  };
}
