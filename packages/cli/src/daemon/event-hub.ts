import type { MemberEvent } from "@volly/bot";

/** How many recent events the hub keeps for `Last-Event-ID` resume. */
export const RECENT_EVENTS = 1000;

/**
 * Fans the member's events out to every listener (SSE streams, the webhook dispatcher) and keeps the
 * last {@link RECENT_EVENTS} in memory so a stream that reconnects with `Last-Event-ID` gets what it
 * missed (SSE, WHATWG HTML §9.2). Older gaps are not filled: the REST history is the durable source.
 */
export class EventHub {
  private readonly recent: MemberEvent[] = [];
  private readonly listeners = new Set<(event: MemberEvent) => void>();

  /** Records `event` and hands it to every listener (a throwing listener does not stop the others). */
  publish(event: MemberEvent): void {
    this.recent.push(event);
    if (this.recent.length > RECENT_EVENTS) this.recent.shift();
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // one broken stream must not starve the others
      }
    }
  }

  /** Calls `listener` for every later event. Returns the unsubscribe function. */
  subscribe(listener: (event: MemberEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The kept events after the one with id `lastId` (none when it is unknown or the newest). */
  since(lastId: string): MemberEvent[] {
    const index = this.recent.findIndex((e) => e.id === lastId);
    return index < 0 ? [] : this.recent.slice(index + 1);
  }
}
