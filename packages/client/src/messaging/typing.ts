import type { TypingStartEvent } from "@volly/protocol";
import { ListenerSet } from "../shared/listeners.js";
import { unrefTimer } from "../shared/timers.js";
import type { Typing, TypingChange } from "./typing-api.js";

/** How long a typing indicator lasts without renewal (ms). */
export const TYPING_TTL_MS = 6_000;
/** Minimum interval between two TYPING frames for one conversation (ms). */
export const TYPING_THROTTLE_MS = 3_000;

interface TypingEntry {
  handle: string;
  timer: ReturnType<typeof setTimeout>;
}

/**
 * The SDK's {@link Typing} (see there for each public member): sends TYPING frames (op 14) through
 * `send` and applies TYPING_START dispatches (`handle`, fed by the sync pipeline).
 */
export class TypingService implements Typing {
  readonly changes = new ListenerSet<TypingChange>();
  private readonly lastSent = new Map<string, number>();
  private readonly typing = new Map<string, Map<string, TypingEntry>>();

  /**
   * @param send sends a TYPING frame for a group
   * @param ownAccountId this account (its own typing is never shown)
   * @param now clock (ms), for tests
   */
  constructor(
    private readonly send: (groupId: string) => void,
    private readonly ownAccountId: string,
    private readonly now: () => number = Date.now,
  ) {}

  notifyTyping(conversationId: string): void {
    const now = this.now();
    const last = this.lastSent.get(conversationId);
    if (last !== undefined && now - last < TYPING_THROTTLE_MS) return;
    this.lastSent.set(conversationId, now);
    this.send(conversationId);
  }

  stoppedTyping(conversationId: string): void {
    this.lastSent.delete(conversationId);
  }

  typingIn(conversationId: string): string[] {
    return [...(this.typing.get(conversationId)?.values() ?? [])].map((e) => e.handle);
  }

  /** Applies a TYPING_START dispatch (renews the entry's TYPING_TTL_MS). */
  handle(event: TypingStartEvent): void {
    if (event.accountId === this.ownAccountId) return;
    let entries = this.typing.get(event.groupId);
    if (!entries) {
      entries = new Map();
      this.typing.set(event.groupId, entries);
    }
    const existing = entries.get(event.accountId);
    if (existing) clearTimeout(existing.timer);
    const timer = setTimeout(() => this.clear(event.groupId, event.accountId), TYPING_TTL_MS);
    unrefTimer(timer);
    entries.set(event.accountId, { handle: event.handle, timer });
    if (!existing || existing.handle !== event.handle) this.emit(event.groupId);
  }

  /** Ends `accountId`'s typing entry in a conversation (e.g. their message arrived). */
  clear(conversationId: string, accountId: string): void {
    const entries = this.typing.get(conversationId);
    const entry = entries?.get(accountId);
    if (!entries || !entry) return;
    clearTimeout(entry.timer);
    entries.delete(accountId);
    if (entries.size === 0) this.typing.delete(conversationId);
    this.emit(conversationId);
  }

  /** Stops every timer (on close). */
  dispose(): void {
    for (const entries of this.typing.values()) for (const e of entries.values()) clearTimeout(e.timer);
    this.typing.clear();
  }

  private emit(conversationId: string): void {
    this.changes.emit({ conversationId, handles: this.typingIn(conversationId) });
  }
}
