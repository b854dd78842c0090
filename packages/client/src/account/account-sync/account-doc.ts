import { AttachmentPointer, ID_PATTERN, LIMITS, matches, QUALIFIED_HANDLE_PATTERN } from "@volly/protocol";
import * as Y from "yjs";
import { parseScheduleRule } from "../../scheduled/schedule-rule.js";

/** A conversation as the account's synced list knows it. */
export interface SyncedConversation {
  /** The conversation's id. */
  id: string;
  /** "direct" or "group", as `ConversationRecord.kind`. */
  kind: "direct" | "group";
  /** For a direct conversation: the other person's handle (`user@server` for another server's account). */
  peerHandle?: string;
  /** ms since the Unix epoch, as the device that noted it first saw it. */
  createdAt: number;
}

/** A contact: an account this account shares (or shared) a conversation with. */
export interface SyncedContact {
  /** The account's id. */
  accountId: string;
  /** The account's handle, without `@` (`user@server` for another server's account). */
  handle: string;
  /** The name the account shows next to its handle, when known. */
  displayName?: string;
}

/** A contact the user marked verified (safety numbers), with the keys it had then. */
export interface SyncedVerification {
  /** The contact's account id. */
  accountId: string;
  /** The contact's handle when it was verified. */
  handle: string;
  /** SHA-256 (base64url, 43 characters) of the contact's device keys when it was verified (`keysFingerprint`). */
  keys: string;
  /** When it was marked verified (ms since the Unix epoch). */
  at: number;
}

/**
 * A recurring schedule's definition as the account's devices share it (`volly send --every`), so
 * each of them lists it, can cancel it, and tops up its occurrences on the server.
 */
export interface SyncedSchedule {
  /** The series id (the `seriesId` of its occurrences on the server). */
  id: string;
  /** The conversation its occurrences go to. */
  conversationId: string;
  /** The text every occurrence carries. */
  text: string;
  /** The rule in canonical form (see `scheduled/schedule-rule.ts`). */
  rule: string;
  /** The IANA time zone the rule's wall-clock times are in. */
  timeZone: string;
  /** When it was created (ms since the Unix epoch; the anchor of `every Ns`). */
  createdAt: number;
  /** The message every occurrence replies to. */
  replyTo?: string;
}

/** The account's recurring schedules: live definitions, and the ids of cancelled ones. */
export interface SyncedSchedules {
  /** Definitions not cancelled (well-formed ones only). */
  live: SyncedSchedule[];
  /** Series ids some device of the account cancelled (tombstones, kept so no device revives them). */
  cancelled: string[];
}

/** Transaction origin of changes made on this device (remote updates have another origin). */
export const LOCAL_ORIGIN = "local";
/** Longest synced conversation title (characters), as GroupMetaContent allows. */
const MAX_TITLE_CHARS = 64;
const ID = new RegExp(ID_PATTERN);
const QUALIFIED_HANDLE = new RegExp(QUALIFIED_HANDLE_PATTERN);
/**
 * Whether `h` is a handle as the server shows it: bare for its own accounts, `user@server` for
 * another server's (contacts, direct conversations and verified marks may name either); at most
 * 300 characters, as the protocol's `Handle`.
 */
function isShownHandle(h: string): boolean {
  return h.length <= 300 && QUALIFIED_HANDLE.test(h);
}

/**
 * The account's own Yjs document: one `Y.Map` per kind of data, so concurrent changes from several
 * devices merge (a key written concurrently resolves to one winner on every device; different keys
 * never conflict). Read marks are one key per (conversation, device), each only moved forward by
 * its own device, and the effective mark is their maximum, so a mark never goes backwards.
 * Recurring schedules are one key per series; a cancelled series is a key of a separate
 * tombstone map, which wins over any note of the definition.
 *
 * Values arriving from other devices are untrusted: every reader checks types and bounds and
 * ignores what does not fit. Setters return whether they changed anything (equal values are not
 * written again, so no update is produced).
 */
export class AccountDoc {
  /** The underlying Yjs document. */
  readonly ydoc: Y.Doc;

  /** @param state a full state from {@link encodeState} (omit for an empty document) */
  constructor(state?: Uint8Array) {
    this.ydoc = new Y.Doc();
    if (state && state.length > 0) Y.applyUpdate(this.ydoc, state);
  }

  /** The whole document as one Yjs update (`Y.encodeStateAsUpdate`). */
  encodeState(): Uint8Array {
    return Y.encodeStateAsUpdate(this.ydoc);
  }

  /** Synced settings as raw key/values (validate them before use). */
  settings(): Record<string, unknown> {
    return Object.fromEntries(this.map("settings").entries());
  }

  /** Sets one setting (the caller validated it). Returns true when the value changed. */
  setSetting(key: string, value: unknown): boolean {
    return this.setIfChanged(this.map("settings"), key, value);
  }

  /**
   * This account's avatar as its devices last noted it: its pointer, null once removed, undefined
   * when none was noted or the entry is malformed (untrusted: not an image AttachmentPointer).
   */
  ownAvatar(): AttachmentPointer | null | undefined {
    const raw = this.map("profile").get("avatar");
    if (raw === null) return null;
    return matches(AttachmentPointer, raw) && raw.kind === "image" ? raw : undefined;
  }

  /** Notes this account's avatar pointer (null: removed). Returns true when the value changed. */
  setOwnAvatar(avatar: AttachmentPointer | null): boolean {
    return this.setIfChanged(this.map("profile"), "avatar", avatar);
  }

  /** Every well-formed synced conversation entry. */
  conversations(): SyncedConversation[] {
    const out: SyncedConversation[] = [];
    for (const [id, raw] of this.map("conversations").entries()) {
      const entry = asConversation(id, raw);
      if (entry) out.push(entry);
    }
    return out;
  }

  /** Notes that a conversation exists (first writer's `createdAt` is kept). Returns true if changed. */
  noteConversation(entry: SyncedConversation): boolean {
    const map = this.map("conversations");
    const known = asConversation(entry.id, map.get(entry.id));
    if (known && known.kind === entry.kind && known.peerHandle === entry.peerHandle) return false;
    const value = {
      kind: entry.kind,
      createdAt: known?.createdAt ?? entry.createdAt,
      ...(entry.peerHandle !== undefined ? { peerHandle: entry.peerHandle } : {}),
    };
    map.set(entry.id, value);
    return true;
  }

  /** The synced name of a group conversation, if one was set and is well-formed. */
  title(conversationId: string): string | undefined {
    const raw = this.map("titles").get(conversationId);
    return typeof raw === "string" && raw.length > 0 && raw.length <= MAX_TITLE_CHARS ? raw : undefined;
  }

  /** Sets a group conversation's name. Returns true when it changed. */
  setTitle(conversationId: string, title: string): boolean {
    return this.setIfChanged(this.map("titles"), conversationId, title);
  }

  /** The conversation's read mark: the highest group-log seq any device of the account read (0: none). */
  readSeq(conversationId: string): number {
    let max = 0;
    const prefix = `${conversationId}/`;
    for (const [key, raw] of this.map("read").entries()) {
      if (key.startsWith(prefix) && Number.isSafeInteger(raw) && (raw as number) > max) max = raw as number;
    }
    return max;
  }

  /**
   * Moves this device's read mark of a conversation forward to `seq` (a group-log seq); a lower
   * value is ignored. Returns true when it changed.
   */
  markRead(conversationId: string, deviceId: string, seq: number): boolean {
    const key = `${conversationId}/${deviceId}`;
    const map = this.map("read");
    const current = map.get(key);
    if (Number.isSafeInteger(current) && (current as number) >= seq) return false;
    map.set(key, seq);
    return true;
  }

  /** Every well-formed contact, by handle. */
  contacts(): SyncedContact[] {
    const out: SyncedContact[] = [];
    for (const [accountId, raw] of this.map("contacts").entries()) {
      const contact = asContact(accountId, raw);
      if (contact) out.push(contact);
    }
    return out.sort((a, b) => a.handle.localeCompare(b.handle));
  }

  /** Notes a contact (handle and display name as the directory gave them). Returns true if changed. */
  noteContact(contact: SyncedContact): boolean {
    const map = this.map("contacts");
    const known = asContact(contact.accountId, map.get(contact.accountId));
    if (known && known.handle === contact.handle && known.displayName === contact.displayName) return false;
    map.set(contact.accountId, {
      handle: contact.handle,
      ...(contact.displayName !== undefined ? { displayName: contact.displayName } : {}),
    });
    return true;
  }

  /** The contact's verification, when the user marked it verified and it is well-formed. */
  verification(accountId: string): SyncedVerification | undefined {
    return asVerification(accountId, this.map("verified").get(accountId));
  }

  /** Marks a contact verified with its current keys, or (undefined) clears the mark. Returns true if changed. */
  setVerification(accountId: string, value: Omit<SyncedVerification, "accountId"> | undefined): boolean {
    const map = this.map("verified");
    if (value === undefined) {
      if (!map.has(accountId)) return false;
      map.delete(accountId);
      return true;
    }
    return this.setIfChanged(map, accountId, { handle: value.handle, keys: value.keys, at: value.at });
  }

  /** The account's recurring schedules (malformed entries are left out of both lists). */
  schedules(): SyncedSchedules {
    const cancelled = this.map("scheduledCancelled");
    const out: SyncedSchedules = { live: [], cancelled: [] };
    for (const [id, raw] of cancelled.entries()) {
      if (ID.test(id) && Number.isSafeInteger(raw)) out.cancelled.push(id);
    }
    for (const [id, raw] of this.map("scheduled").entries()) {
      if (cancelled.has(id) || !ID.test(id) || !isRecord(raw)) continue;
      const schedule = asSchedule(id, raw);
      if (schedule) out.live.push(schedule);
    }
    return out;
  }

  /**
   * Notes a recurring schedule's definition; a cancelled one stays cancelled. Returns true if
   * changed.
   */
  noteSchedule(schedule: SyncedSchedule): boolean {
    if (this.map("scheduledCancelled").has(schedule.id)) return false;
    const { id, ...value } = schedule;
    return this.setIfChanged(this.map("scheduled"), id, value);
  }

  /**
   * Marks a recurring schedule cancelled: a tombstone in a map of its own (a set that only grows),
   * so no concurrent or later note of the definition revives it. Returns true if changed.
   *
   * @param at when (ms since the Unix epoch)
   */
  cancelSchedule(id: string, at: number): boolean {
    const cancelled = this.map("scheduledCancelled");
    if (cancelled.has(id)) return false;
    cancelled.set(id, at);
    // The text need not be kept; a concurrent note that re-adds it stays cancelled all the same.
    this.map("scheduled").delete(id);
    return true;
  }

  private map(
    name:
      | "settings"
      | "profile"
      | "conversations"
      | "titles"
      | "read"
      | "contacts"
      | "verified"
      | "scheduled"
      | "scheduledCancelled",
  ): Y.Map<unknown> {
    return this.ydoc.getMap<unknown>(name);
  }

  private setIfChanged(map: Y.Map<unknown>, key: string, value: unknown): boolean {
    if (map.has(key) && JSON.stringify(map.get(key)) === JSON.stringify(value)) return false;
    map.set(key, value);
    return true;
  }
}

function isRecord(raw: unknown): raw is Record<string, unknown> {
  return typeof raw === "object" && raw !== null && !Array.isArray(raw);
}

function asConversation(id: string, raw: unknown): SyncedConversation | undefined {
  if (!ID.test(id) || !isRecord(raw)) return undefined;
  const { kind, createdAt, peerHandle } = raw;
  if ((kind !== "direct" && kind !== "group") || !Number.isSafeInteger(createdAt)) return undefined;
  if (peerHandle !== undefined && (typeof peerHandle !== "string" || !isShownHandle(peerHandle))) {
    return undefined;
  }
  return { id, kind, createdAt: createdAt as number, ...(peerHandle !== undefined ? { peerHandle } : {}) };
}

function asContact(accountId: string, raw: unknown): SyncedContact | undefined {
  if (!ID.test(accountId) || !isRecord(raw)) return undefined;
  const { handle, displayName } = raw;
  if (typeof handle !== "string" || !isShownHandle(handle)) return undefined;
  if (displayName !== undefined && (typeof displayName !== "string" || displayName.length > 64)) {
    return undefined;
  }
  return { accountId, handle, ...(displayName !== undefined ? { displayName } : {}) };
}

function asVerification(accountId: string, raw: unknown): SyncedVerification | undefined {
  if (!ID.test(accountId) || !isRecord(raw)) return undefined;
  const { handle, keys, at } = raw;
  if (typeof handle !== "string" || !isShownHandle(handle)) return undefined;
  if (typeof keys !== "string" || !/^[A-Za-z0-9_-]{43}$/.test(keys) || !Number.isSafeInteger(at))
    return undefined;
  return { accountId, handle, keys, at: at as number };
}

function asSchedule(id: string, raw: Record<string, unknown>): SyncedSchedule | undefined {
  const { conversationId, text, rule, timeZone, createdAt, replyTo } = raw;
  if (typeof conversationId !== "string" || !ID.test(conversationId)) return undefined;
  if (typeof text !== "string" || text.length > LIMITS.maxTextChars) return undefined;
  if (typeof rule !== "string" || typeof timeZone !== "string" || !Number.isSafeInteger(createdAt)) {
    return undefined;
  }
  if (replyTo !== undefined && (typeof replyTo !== "string" || !ID.test(replyTo))) return undefined;
  try {
    parseScheduleRule(rule, true);
    new Intl.DateTimeFormat("en-US", { timeZone });
  } catch {
    return undefined;
  }
  return {
    id,
    conversationId,
    text,
    rule,
    timeZone,
    createdAt: createdAt as number,
    ...(replyTo !== undefined ? { replyTo } : {}),
  };
}
