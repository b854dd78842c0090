import type { DirectMessageFrame } from "@volly/protocol";

/** Bounds of a {@link RelayBuffer}. */
export interface RelayBufferLimits {
  /** Most frames kept (the oldest go first). */
  maxFrames: number;
  /** How long a frame is kept (ms). */
  ttlMs: number;
  /** How many message ids are remembered as seen (the oldest are forgotten first). */
  maxSeen: number;
}

/** The default bounds: 1,000 frames for an hour; 10,000 ids seen. */
export const RELAY_BUFFER_LIMITS: RelayBufferLimits = {
  maxFrames: 1_000,
  ttlMs: 60 * 60_000,
  maxSeen: 10_000,
};

/**
 * Store and forward for direct paths: the message frames this device sent or relayed recently, to
 * hand to a member device whose channel opens later, and the ids of every message frame seen, so
 * none is relayed twice (the flooding's de-duplication). In memory and bounded: the server's log,
 * not this buffer, is what makes a message durable.
 */
export class RelayBuffer {
  private readonly frames = new Map<string, { frame: DirectMessageFrame; at: number }>();
  private readonly seen = new Set<string>();

  /**
   * @param limits {@link RELAY_BUFFER_LIMITS} by default
   * @param now clock (ms), for tests
   */
  constructor(
    private readonly limits: RelayBufferLimits = RELAY_BUFFER_LIMITS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Marks a message id seen; false when it was seen before (drop the frame then). */
  markSeen(messageId: string): boolean {
    if (this.seen.has(messageId)) return false;
    this.seen.add(messageId);
    if (this.seen.size > this.limits.maxSeen) {
      const oldest = this.seen.values().next().value;
      if (oldest !== undefined) this.seen.delete(oldest);
    }
    return true;
  }

  /** Keeps a frame to forward later (replaces one with the same message id). */
  keep(frame: DirectMessageFrame): void {
    this.frames.delete(frame.messageId);
    this.frames.set(frame.messageId, { frame, at: this.now() });
    this.prune();
  }

  /** The frames kept, oldest first, after dropping those past their time. */
  kept(): DirectMessageFrame[] {
    this.prune();
    return [...this.frames.values()].map((k) => k.frame);
  }

  private prune(): void {
    const cutoff = this.now() - this.limits.ttlMs;
    for (const [id, k] of this.frames) {
      if (k.at >= cutoff && this.frames.size <= this.limits.maxFrames) break;
      this.frames.delete(id);
    }
  }
}
