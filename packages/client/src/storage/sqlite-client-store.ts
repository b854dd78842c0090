import Database from "better-sqlite3";
import type { ClientStore, MessagePosition, StoreBatch, StoredMessageRow } from "./client-store.js";

/**
 * {@link ClientStore} over a SQLite file (better-sqlite3), for Node clients (CLI, bots, bridges).
 * WAL mode, `synchronous=FULL`: a committed batch survives a crash of the process.
 */
export class SqliteClientStore implements ClientStore {
  private readonly db: Database.Database;

  /** Opens (creating if needed) the store at `file`. */
  constructor(file: string) {
    this.db = new Database(file);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = FULL");
    this.db.pragma("busy_timeout = 5000");
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value BLOB NOT NULL);
      CREATE TABLE IF NOT EXISTS messages (
        id TEXT PRIMARY KEY, conversation_id TEXT NOT NULL, sort_key INTEGER NOT NULL, data BLOB NOT NULL);
      CREATE INDEX IF NOT EXISTS messages_by_conversation ON messages (conversation_id, sort_key, id);
    `);
  }

  /** Reads one value by key, or undefined. */
  async get(key: string): Promise<Uint8Array | undefined> {
    const row = this.db.prepare("SELECT value FROM kv WHERE key = ?").get(key) as
      | { value: Buffer }
      | undefined;
    return row ? new Uint8Array(row.value) : undefined;
  }

  /** `[key, value]` pairs whose key starts with `prefix`, in key order. */
  async list(prefix: string): Promise<Array<[string, Uint8Array]>> {
    const rows = this.db
      .prepare("SELECT key, value FROM kv WHERE key >= ? AND key < ? ORDER BY key")
      .all(prefix, `${prefix}\uffff`) as Array<{ key: string; value: Buffer }>;
    return rows.map((r) => [r.key, new Uint8Array(r.value)]);
  }

  /** One message row by id. */
  async getMessage(id: string): Promise<StoredMessageRow | undefined> {
    const row = this.db.prepare("SELECT * FROM messages WHERE id = ?").get(id) as RawRow | undefined;
    return row ? toRow(row) : undefined;
  }

  /** The newest `limit` rows of a conversation (sort key, then id), before `before` if given, oldest first. */
  async listMessages(
    conversationId: string,
    limit: number,
    before?: MessagePosition,
  ): Promise<StoredMessageRow[]> {
    const rows = (
      before
        ? this.db
            .prepare(
              "SELECT * FROM messages WHERE conversation_id = ? AND (sort_key < ? OR (sort_key = ? AND id < ?)) ORDER BY sort_key DESC, id DESC LIMIT ?",
            )
            .all(conversationId, before.sortKey, before.sortKey, before.id, limit)
        : this.db
            .prepare(
              "SELECT * FROM messages WHERE conversation_id = ? ORDER BY sort_key DESC, id DESC LIMIT ?",
            )
            .all(conversationId, limit)
    ) as RawRow[];
    return rows.reverse().map(toRow);
  }

  /** Rows of every conversation in id order after `afterId`, at most `limit` (store migrations). */
  async scanMessages(afterId: string | undefined, limit: number): Promise<StoredMessageRow[]> {
    const rows = this.db
      .prepare("SELECT * FROM messages WHERE id > ? ORDER BY id LIMIT ?")
      .all(afterId ?? "", limit) as RawRow[];
    return rows.map(toRow);
  }

  /** Applies prefix deletions, puts, deletes and message rows in one SQLite transaction. */
  async commit(batch: StoreBatch): Promise<void> {
    const put = this.db.prepare(
      "INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
    );
    const del = this.db.prepare("DELETE FROM kv WHERE key = ?");
    const delPrefix = this.db.prepare("DELETE FROM kv WHERE key >= ? AND key < ?");
    const msg = this.db.prepare(
      "INSERT INTO messages (id, conversation_id, sort_key, data) VALUES (?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET data = excluded.data",
    );
    const delMsg = this.db.prepare("DELETE FROM messages WHERE id = ?");
    this.db.transaction(() => {
      for (const prefix of batch.deletePrefixes ?? []) delPrefix.run(prefix, `${prefix}\uffff`);
      for (const p of batch.puts ?? []) put.run(p.key, Buffer.from(p.value));
      for (const k of batch.deletes ?? []) del.run(k);
      for (const m of batch.messages ?? []) msg.run(m.id, m.conversationId, m.sortKey, Buffer.from(m.data));
      for (const id of batch.deleteMessages ?? []) delMsg.run(id);
    })();
  }

  /**
   * Writes a consistent copy of the whole store to `file` (SQLite's online backup; safe while the
   * store is in use). The copy is as sealed as the store: the PIN still opens it.
   */
  async backup(file: string): Promise<void> {
    await this.db.backup(file);
  }

  /** Closes the database. */
  async close(): Promise<void> {
    this.db.close();
  }
}

interface RawRow {
  id: string;
  conversation_id: string;
  sort_key: number;
  data: Buffer;
}

function toRow(r: RawRow): StoredMessageRow {
  return { id: r.id, conversationId: r.conversation_id, sortKey: r.sort_key, data: new Uint8Array(r.data) };
}
