import { chmodSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { VollyError } from "@volly/protocol";
import Database from "better-sqlite3";

/** The SQLite file holding the queue, inside the dispatcher's `stateDir`. */
export const QUEUE_FILE = "webhooks.sqlite";

/** One queued delivery: one event for one endpoint. */
export interface QueuedDelivery {
  /** Enqueue order (increasing). */
  seq: number;
  url: string;
  /** The webhook id (= the event's id). */
  eventId: string;
  /** The JSON body to send. */
  body: string;
  /** Attempts made so far (all failed). */
  attempts: number;
}

/** How a delivery left the queue. Rows keep their state (not their body) for deduplication. */
export type FinalState = "delivered" | "failed" | "dropped" | "gone";

/** A disabled endpoint, as recorded. */
export interface DisabledEndpoint {
  url: string;
  /** ms since the Unix epoch */
  disabledAt: number;
  reason: string;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS deliveries (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  url TEXT NOT NULL,
  event_id TEXT NOT NULL,
  body TEXT,
  state TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_at INTEGER NOT NULL,
  enqueued_at INTEGER NOT NULL,
  done_at INTEGER,
  last_error TEXT,
  UNIQUE (url, event_id)
);
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries (url, state, next_at, seq);
CREATE TABLE IF NOT EXISTS disabled_endpoints (
  url TEXT PRIMARY KEY,
  disabled_at INTEGER NOT NULL,
  reason TEXT NOT NULL
);
`;

interface Row {
  seq: number;
  url: string;
  event_id: string;
  body: string;
  attempts: number;
}

/**
 * The durable webhook queue: a small SQLite database (`better-sqlite3`, WAL) in the state
 * directory, created with mode 0600 (directory 0700) since bodies are decrypted messages. Every
 * write is committed before the call returns, so a daemon that stops or crashes loses no queued
 * delivery; a delivery is removed from the queue (its body erased, its id kept) only once it is
 * delivered, given up, dropped or its endpoint gone — so a restart never resends a delivered one,
 * except one whose 2xx arrived in the instant before a crash (at-least-once: receivers deduplicate
 * on `webhook-id`, as Standard Webhooks, "Verifying signatures", recommends).
 *
 * Bounds: at most `maxPending` pending deliveries per endpoint (past it the oldest pending one is
 * dropped, see {@link QueueStore.enqueue}) and `keepFinished` finished ids per endpoint (for
 * deduplication of a re-enqueued event; the oldest are pruned). One open store per state dir at a
 * time (an exclusive SQLite lock).
 */
export class QueueStore {
  private readonly db: Database.Database;

  /**
   * Opens (creating if needed) the queue in `stateDir`.
   *
   * @param stateDir directory for the queue file (created with mode 0700 if missing)
   * @param maxPending pending deliveries kept per endpoint
   * @param keepFinished finished delivery ids kept per endpoint for deduplication
   * @throws VollyError VOLLY_E_USAGE when another process (or dispatcher) has this queue open
   * @throws the SQLite error when the file cannot be opened (e.g. not writable)
   */
  constructor(
    stateDir: string,
    private readonly maxPending: number,
    private readonly keepFinished: number,
  ) {
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    const file = join(stateDir, QUEUE_FILE);
    this.db = new Database(file, { timeout: 0 });
    try {
      chmodSync(file, 0o600);
      // One process at a time: two dispatchers on one queue would both send every delivery. The
      // exclusive lock is taken by the first write below and held until close().
      this.db.pragma("locking_mode = EXCLUSIVE");
      this.db.pragma("journal_mode = WAL");
      this.db.pragma("synchronous = NORMAL");
      // Bodies are plaintext messages: overwrite them on disk when a delivery's body is erased.
      this.db.pragma("secure_delete = ON");
      this.db.exec(SCHEMA);
    } catch (error) {
      this.db.close();
      if ((error as { code?: unknown }).code === "SQLITE_BUSY") {
        throw new VollyError(
          "VOLLY_E_USAGE",
          `The webhook queue in ${stateDir} is in use by another process.`,
        );
      }
      throw error;
    }
  }

  /**
   * Queues `body` for each URL, due now, unless that URL already has (or had) this event id.
   * When a URL's pending deliveries exceed `maxPending`, its oldest pending ones are dropped.
   *
   * @param urls endpoint URLs (enabled ones)
   * @param eventId the webhook id
   * @param body the JSON body
   * @param nowMs the current time, ms since the Unix epoch
   * @returns per URL: whether it was queued (false: a duplicate) and the deliveries dropped for room
   */
  enqueue(
    urls: readonly string[],
    eventId: string,
    body: string,
    nowMs: number,
  ): Array<{ url: string; queued: boolean; dropped: QueuedDelivery[] }> {
    const insert = this.db.prepare(
      `INSERT OR IGNORE INTO deliveries (url, event_id, body, state, attempts, next_at, enqueued_at)
       VALUES (?, ?, ?, 'pending', 0, ?, ?)`,
    );
    const overflow = this.db.prepare(
      `SELECT seq, url, event_id, body, attempts FROM deliveries WHERE url = ? AND state = 'pending'
       ORDER BY seq DESC LIMIT -1 OFFSET ?`,
    );
    return this.db.transaction(() =>
      urls.map((url) => {
        const queued = insert.run(url, eventId, body, nowMs, nowMs).changes === 1;
        const dropped = queued ? (overflow.all(url, this.maxPending) as Row[]).map(toDelivery) : [];
        for (const d of dropped) this.finish(d.seq, "dropped", nowMs, "queue full");
        return { url, queued, dropped };
      }),
    )();
  }

  /**
   * The pending deliveries of `url` due at `nowMs`, oldest due first, skipping `exclude` (in flight).
   *
   * @param limit most rows returned
   */
  due(url: string, nowMs: number, exclude: readonly number[], limit: number): QueuedDelivery[] {
    const rows = this.db
      .prepare(
        `SELECT seq, url, event_id, body, attempts FROM deliveries
         WHERE url = ? AND state = 'pending' AND next_at <= ? AND seq NOT IN (SELECT value FROM json_each(?))
         ORDER BY next_at, seq LIMIT ?`,
      )
      .all(url, nowMs, JSON.stringify(exclude), limit) as Row[];
    return rows.map(toDelivery);
  }

  /** When the next pending delivery of `url` not in `exclude` is due (ms since the epoch), if any. */
  nextDueAt(url: string, exclude: readonly number[]): number | undefined {
    const row = this.db
      .prepare(
        `SELECT MIN(next_at) AS at FROM deliveries
         WHERE url = ? AND state = 'pending' AND seq NOT IN (SELECT value FROM json_each(?))`,
      )
      .get(url, JSON.stringify(exclude)) as { at: number | null };
    return row.at ?? undefined;
  }

  /** Counts a failed attempt and schedules the next one at `nextAtMs`. */
  retryLater(seq: number, nextAtMs: number, error: string): void {
    this.db
      .prepare(`UPDATE deliveries SET attempts = attempts + 1, next_at = ?, last_error = ? WHERE seq = ?`)
      .run(nextAtMs, error, seq);
  }

  /** Takes a delivery out of the queue: erases its body, keeps its id, prunes old finished rows. */
  finish(seq: number, state: FinalState, nowMs: number, error?: string): void {
    const row = this.db
      .prepare(
        `UPDATE deliveries SET state = ?, body = NULL, done_at = ?, last_error = COALESCE(?, last_error),
         attempts = attempts + (CASE WHEN ? IN ('delivered', 'failed', 'gone') THEN 1 ELSE 0 END)
         WHERE seq = ? RETURNING url`,
      )
      .get(state, nowMs, error ?? null, state, seq) as { url: string } | undefined;
    if (!row) return;
    this.db
      .prepare(
        `DELETE FROM deliveries WHERE seq IN (
           SELECT seq FROM deliveries WHERE url = ? AND state <> 'pending' ORDER BY seq DESC LIMIT -1 OFFSET ?)`,
      )
      .run(row.url, this.keepFinished);
  }

  /**
   * Disables `url` (410 Gone) and takes its pending deliveries out of the queue (state `gone`).
   *
   * @returns false if it was already disabled
   */
  disable(url: string, reason: string, nowMs: number): boolean {
    return this.db.transaction(() => {
      const added =
        this.db
          .prepare(`INSERT OR IGNORE INTO disabled_endpoints (url, disabled_at, reason) VALUES (?, ?, ?)`)
          .run(url, nowMs, reason).changes === 1;
      this.db
        .prepare(
          `UPDATE deliveries SET state = 'gone', body = NULL, done_at = ? WHERE url = ? AND state = 'pending'`,
        )
        .run(nowMs, url);
      return added;
    })();
  }

  /** The record of a disabled endpoint, if `url` is disabled. */
  disabled(url: string): DisabledEndpoint | undefined {
    const row = this.db
      .prepare(`SELECT url, disabled_at, reason FROM disabled_endpoints WHERE url = ?`)
      .get(url) as { url: string; disabled_at: number; reason: string } | undefined;
    return row && { url: row.url, disabledAt: row.disabled_at, reason: row.reason };
  }

  /** Enables `url` again. @returns false if it was not disabled */
  enable(url: string): boolean {
    return this.db.prepare(`DELETE FROM disabled_endpoints WHERE url = ?`).run(url).changes === 1;
  }

  /** Pending deliveries of `url`. */
  pendingCount(url: string): number {
    const row = this.db
      .prepare(`SELECT COUNT(*) AS n FROM deliveries WHERE url = ? AND state = 'pending'`)
      .get(url) as { n: number };
    return row.n;
  }

  /** Closes the database. */
  close(): void {
    this.db.close();
  }
}

function toDelivery(row: Row): QueuedDelivery {
  return { seq: row.seq, url: row.url, eventId: row.event_id, body: row.body, attempts: row.attempts };
}
