import type { EntityType } from "@volly/protocol";
import type { ApiKeyGrant } from "../services/api-keys/grants.js";
/** The identity and dispatch counter of a gateway session; survives its connection for resuming. */
export interface GatewaySession {
  sessionId: string;
  accountId: string;
  deviceId: string;
  handle: string;
  /** The account's kind: which budget its SENDs are charged to. */
  entityType: EntityType;
  /** Last DISPATCH sequence number sent (`s`); continues across RESUME. */
  seq: number;
  /** The API key the session was identified (or last resumed) with: its id, scopes and expiry. */
  apiKey?: ApiKeyGrant;
}

/** What the registry needs from the connection a session is attached to. */
export interface SessionHolder {
  /** The session was resumed on another connection: drop it and close this connection. */
  supersede(): void;
}

/** How long a closed session stays resumable (ms). */
export const RESUME_WINDOW_MS = 5 * 60 * 1000;

/** In-memory table of gateway sessions, attached (live connection) or recently closed (resumable). */
export interface SessionRegistry {
  /** Records a new session attached to `holder`. */
  attach(session: GatewaySession, holder: SessionHolder): void;
  /** `holder` closed: the session becomes resumable for {@link RESUME_WINDOW_MS} (if still its holder). */
  release(sessionId: string, holder: SessionHolder): void;
  /**
   * Re-attaches a session of `deviceId` to `holder`: a recently closed one, or one still attached to
   * another connection (which is superseded). Undefined when unknown, expired or another device's.
   */
  resume(sessionId: string, deviceId: string, holder: SessionHolder): GatewaySession | undefined;
  /** Stops the purge timer and forgets every session. */
  close(): void;
}

/**
 * Creates a {@link SessionRegistry}. Sessions are per node and in memory: after a restart every
 * RESUME gets INVALID_SESSION and clients IDENTIFY again (no message is lost: delivery restarts
 * from the durable cursors).
 *
 * @param now clock (ms)
 * @param windowMs how long a closed session stays resumable (ms)
 */
export function createSessionRegistry(now: () => number, windowMs = RESUME_WINDOW_MS): SessionRegistry {
  const entries = new Map<string, { session: GatewaySession; holder?: SessionHolder; closedAt: number }>();
  const purge = () => {
    const cutoff = now() - windowMs;
    for (const [id, entry] of entries) if (!entry.holder && entry.closedAt < cutoff) entries.delete(id);
  };
  const timer = setInterval(purge, Math.min(windowMs, 60_000));
  timer.unref();
  return {
    attach(session, holder) {
      entries.set(session.sessionId, { session, holder, closedAt: 0 });
    },
    release(sessionId, holder) {
      const entry = entries.get(sessionId);
      if (!entry || entry.holder !== holder) return;
      entry.holder = undefined;
      entry.closedAt = now();
    },
    resume(sessionId, deviceId, holder) {
      purge();
      const entry = entries.get(sessionId);
      if (!entry || entry.session.deviceId !== deviceId) return undefined;
      const previous = entry.holder;
      entry.holder = holder;
      if (previous && previous !== holder) previous.supersede();
      return entry.session;
    },
    close() {
      clearInterval(timer);
      entries.clear();
    },
  };
}
