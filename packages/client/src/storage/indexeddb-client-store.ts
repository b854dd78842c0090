import type { ClientStore, MessagePosition, StoreBatch, StoredMessageRow } from "./client-store.js";

/** Schema version of the IndexedDB database. */
const DB_VERSION = 2;
const KV = "kv";
/** Version 2: outgoing files (Blobs) kept until uploaded (`attachments/attachment-sources.ts`). */
const BLOBS = "blobs";
const MESSAGES = "messages";
const BY_CONVERSATION = "byConversation";

/**
 * {@link ClientStore} over IndexedDB, for browsers (works inside a Web Worker too: it only uses
 * `indexedDB` from the global scope). Object stores: `kv` (out-of-line string keys → bytes) and
 * `messages` (keyPath `id`, index `byConversation` on [conversationId, sortKey]); `commit` is one
 * readwrite transaction over both, so a batch lands entirely or not at all. `blobs` (version 2)
 * keeps outgoing files as Blobs until they are uploaded.
 */
export class IndexedDbClientStore implements ClientStore {
  private constructor(private readonly db: IDBDatabase) {}

  /**
   * Opens (creating or upgrading if needed) the database `name`.
   * @throws Error when IndexedDB is unavailable or the open is blocked/refused
   */
  static async open(name = "volly"): Promise<IndexedDbClientStore> {
    const factory = (globalThis as { indexedDB?: IDBFactory }).indexedDB;
    if (!factory) throw new Error("IndexedDB is not available in this environment.");
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const request = factory.open(name, DB_VERSION);
      request.onupgradeneeded = () => {
        const db = request.result;
        if (!db.objectStoreNames.contains(KV)) db.createObjectStore(KV);
        if (!db.objectStoreNames.contains(MESSAGES)) {
          const messages = db.createObjectStore(MESSAGES, { keyPath: "id" });
          messages.createIndex(BY_CONVERSATION, ["conversationId", "sortKey"]);
        }
        if (!db.objectStoreNames.contains(BLOBS)) db.createObjectStore(BLOBS);
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error ?? new Error(`Cannot open IndexedDB "${name}".`));
      request.onblocked = () =>
        reject(new Error(`IndexedDB "${name}" is blocked by another open connection.`));
    });
    // Another tab upgrading the schema: let it proceed (this connection becomes unusable).
    db.onversionchange = () => db.close();
    return new IndexedDbClientStore(db);
  }

  /** Reads one value of the `kv` store by key, or undefined. */
  async get(key: string): Promise<Uint8Array | undefined> {
    const value = await this.request<unknown>(KV, "readonly", (tx) => tx.objectStore(KV).get(key));
    return value === undefined ? undefined : toBytes(value);
  }

  /**
   * `[key, value]` pairs of `kv` whose key starts with `prefix`, in key order (IDBKeyRange.bound):
   * read with one getAllKeys and one getAll in one transaction (a cursor costs a round trip per
   * record: ~10× slower for a thousand conversations).
   */
  async list(prefix: string): Promise<Array<[string, Uint8Array]>> {
    const range = IDBKeyRange.bound(prefix, `${prefix}\uffff`, false, true);
    return new Promise((resolve, reject) => {
      const tx = this.db.transaction(KV, "readonly");
      const store = tx.objectStore(KV);
      const keys = store.getAllKeys(range);
      const values = store.getAll(range);
      tx.oncomplete = () => {
        const k = keys.result;
        const v = values.result;
        // Both read the same range in the same snapshot (a readonly transaction): same order, same length.
        resolve(k.map((key, i) => [String(key), toBytes(v[i])]));
      };
      tx.onerror = () => reject(tx.error ?? new Error("IndexedDB list failed."));
      tx.onabort = () => reject(tx.error ?? new Error("IndexedDB list aborted."));
    });
  }

  /** One row of the `messages` store by id. */
  async getMessage(id: string): Promise<StoredMessageRow | undefined> {
    const row = await this.request<unknown>(MESSAGES, "readonly", (tx) => tx.objectStore(MESSAGES).get(id));
    return row === undefined ? undefined : toRow(row);
  }

  /**
   * The newest `limit` rows of a conversation (index [conversationId, sortKey]), those before
   * `before` if given, oldest first.
   */
  async listMessages(
    conversationId: string,
    limit: number,
    before?: MessagePosition,
  ): Promise<StoredMessageRow[]> {
    if (limit <= 0) return [];
    const range = IDBKeyRange.bound(
      [conversationId, -Infinity],
      [conversationId, before?.sortKey ?? Infinity],
    );
    return new Promise((resolve, reject) => {
      const tx = this.db.transaction(MESSAGES, "readonly");
      const index = tx.objectStore(MESSAGES).index(BY_CONVERSATION);
      const newestFirst: StoredMessageRow[] = [];
      // An index cursor orders by index key, then primary key: "prev" gives sortKey DESC, id DESC
      // (the order SqliteClientStore uses).
      const cursor = index.openCursor(range, "prev");
      cursor.onsuccess = () => {
        const c = cursor.result;
        if (!c) return;
        const row = toRow(c.value);
        // Rows at `before`'s sort key come by id descending: skip those not before it.
        if (!before || row.sortKey < before.sortKey || row.id < before.id) newestFirst.push(row);
        if (newestFirst.length < limit) c.continue();
      };
      tx.oncomplete = () => resolve(newestFirst.reverse());
      tx.onerror = () => reject(tx.error ?? new Error("IndexedDB listMessages failed."));
      tx.onabort = () => reject(tx.error ?? new Error("IndexedDB listMessages aborted."));
    });
  }

  /** Rows of every conversation in id (primary key) order after `afterId`, at most `limit` (store migrations). */
  async scanMessages(afterId: string | undefined, limit: number): Promise<StoredMessageRow[]> {
    if (limit <= 0) return [];
    const range = afterId === undefined ? null : IDBKeyRange.lowerBound(afterId, true);
    return new Promise((resolve, reject) => {
      const tx = this.db.transaction(MESSAGES, "readonly");
      const out: StoredMessageRow[] = [];
      const cursor = tx.objectStore(MESSAGES).openCursor(range);
      cursor.onsuccess = () => {
        const c = cursor.result;
        if (!c) return;
        out.push(toRow(c.value));
        if (out.length < limit) c.continue();
      };
      tx.oncomplete = () => resolve(out);
      tx.onerror = () => reject(tx.error ?? new Error("IndexedDB scanMessages failed."));
      tx.onabort = () => reject(tx.error ?? new Error("IndexedDB scanMessages aborted."));
    });
  }

  /** Applies prefix deletions, puts, deletes and message rows in one readwrite transaction over both stores. */
  async commit(batch: StoreBatch): Promise<void> {
    const prefixes = batch.deletePrefixes ?? [];
    const puts = batch.puts ?? [];
    const deletes = batch.deletes ?? [];
    const messages = batch.messages ?? [];
    const deletedMessages = batch.deleteMessages ?? [];
    if (
      prefixes.length === 0 &&
      puts.length === 0 &&
      deletes.length === 0 &&
      messages.length === 0 &&
      deletedMessages.length === 0
    )
      return;
    await new Promise<void>((resolve, reject) => {
      const tx = this.db.transaction([KV, MESSAGES], "readwrite");
      let failure: unknown;
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error ?? new Error("IndexedDB commit failed."));
      tx.onabort = () => reject(failure ?? tx.error ?? new Error("IndexedDB commit aborted."));
      try {
        const kv = tx.objectStore(KV);
        const store = tx.objectStore(MESSAGES);
        // Same order as SqliteClientStore: prefix deletions, puts, deletes, messages, message deletions.
        for (const prefix of prefixes) kv.delete(IDBKeyRange.bound(prefix, `${prefix}\uffff`, false, true));
        for (const p of puts) kv.put(copy(p.value), p.key);
        for (const key of deletes) kv.delete(key);
        for (const m of messages) {
          store.put({ id: m.id, conversationId: m.conversationId, sortKey: m.sortKey, data: copy(m.data) });
        }
        for (const id of deletedMessages) store.delete(id);
      } catch (err) {
        // A request that throws synchronously (e.g. a bad key) does not abort the transaction by
        // itself: the requests issued before it would still commit. Abort so nothing lands.
        failure = err;
        tx.abort();
      }
    });
  }

  /** Keeps `blob` under `key` in the `blobs` store (IndexedDB stores a Blob by reference to its bytes on disk). */
  async putBlob(key: string, blob: Blob): Promise<void> {
    await this.request(BLOBS, "readwrite", (tx) => tx.objectStore(BLOBS).put(blob, key));
  }

  /** The Blob kept under `key`, or undefined. */
  async getBlob(key: string): Promise<Blob | undefined> {
    const value = await this.request<unknown>(BLOBS, "readonly", (tx) => tx.objectStore(BLOBS).get(key));
    return value instanceof Blob ? value : undefined;
  }

  /** Removes every Blob whose key starts with `prefix`. */
  async deleteBlobs(prefix: string): Promise<void> {
    const range = IDBKeyRange.bound(prefix, `${prefix}\uffff`, false, true);
    await this.request(BLOBS, "readwrite", (tx) => tx.objectStore(BLOBS).delete(range));
  }

  /** Closes the database connection. */
  async close(): Promise<void> {
    this.db.close();
  }

  private request<T>(
    storeName: string,
    mode: IDBTransactionMode,
    make: (tx: IDBTransaction) => IDBRequest,
  ): Promise<T> {
    return new Promise((resolve, reject) => {
      const tx = this.db.transaction(storeName, mode);
      const request = make(tx);
      tx.oncomplete = () => resolve(request.result as T);
      tx.onerror = () => reject(tx.error ?? request.error ?? new Error("IndexedDB request failed."));
      tx.onabort = () => reject(tx.error ?? new Error("IndexedDB request aborted."));
    });
  }
}

/** A standalone copy (structured clone of a view would otherwise copy its whole backing buffer). */
function copy(bytes: Uint8Array): Uint8Array {
  return bytes.slice();
}

function toBytes(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  throw new TypeError("IndexedDB holds a value that is not bytes.");
}

function toRow(value: unknown): StoredMessageRow {
  const r = value as { id: string; conversationId: string; sortKey: number; data: unknown };
  return { id: r.id, conversationId: r.conversationId, sortKey: r.sortKey, data: toBytes(r.data) };
}
