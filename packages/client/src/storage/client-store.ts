/**
 * A device's local store: raw bytes only (the vault above it seals every value). Implemented with
 * SQLite in Node (`SqliteClientStore`) and IndexedDB in browsers. All writes go through `commit`,
 * which applies a batch atomically — so a decrypted message and the new MLS group state land
 * together or not at all (as Signal-Desktop does).
 */
export interface ClientStore {
  /** Reads one value by key, or undefined. */
  get(key: string): Promise<Uint8Array | undefined>;
  /** Lists `[key, value]` pairs whose key starts with `prefix`, in key order. */
  list(prefix: string): Promise<Array<[string, Uint8Array]>>;
  /** Reads one stored message row by message id. */
  getMessage(id: string): Promise<StoredMessageRow | undefined>;
  /**
   * The newest `limit` message rows of a conversation, oldest first; with `before`, the newest of
   * those ordered before it (by sort key, then id in code-unit order): a page of older history.
   */
  listMessages(conversationId: string, limit: number, before?: MessagePosition): Promise<StoredMessageRow[]>;
  /**
   * Message rows of every conversation in id order, those with an id after `afterId` (from the
   * first when undefined), at most `limit`: how store migrations page through all messages.
   */
  scanMessages(afterId: string | undefined, limit: number): Promise<StoredMessageRow[]>;
  /** Applies a batch of writes atomically. */
  commit(batch: StoreBatch): Promise<void>;
  /**
   * Browser stores only: keeps a `Blob` (an outgoing file the user picked) under `key` so it
   * survives a reload until it is uploaded — the browser keeps the bytes on disk, not in memory.
   * Not sealed: the file's plaintext, on this device only, removed once uploaded or cancelled.
   */
  putBlob?(key: string, blob: Blob): Promise<void>;
  /** The Blob kept under `key` ({@link putBlob}), or undefined. */
  getBlob?(key: string): Promise<Blob | undefined>;
  /** Removes every Blob whose key starts with `prefix`. */
  deleteBlobs?(prefix: string): Promise<void>;
  /** Releases the store. */
  close(): Promise<void>;
}

/** A place in a conversation's message order: a row's sort key and id (see `ClientStore.listMessages`). */
export interface MessagePosition {
  /** The row's sort key (the message's `sentAt`, ms). */
  sortKey: number;
  /** The row's message id (orders rows of equal sort key, in code-unit order). */
  id: string;
}

/** One message row: routing fields in the clear (device-local), the message itself sealed in `data`. */
export interface StoredMessageRow {
  /** The message's id (the row's key). */
  id: string;
  /** The conversation it belongs to (rows are listed per conversation). */
  conversationId: string;
  /** Orders messages within a conversation (ms timestamp, ties broken by id). */
  sortKey: number;
  /** The sealed message record (opaque to the store). */
  data: Uint8Array;
}

/**
 * An atomic set of writes, applied in this order: prefix deletions, puts, deletes, message rows,
 * message row deletions (so a batch can clear a key range and write new values under it).
 */
export interface StoreBatch {
  /** Key prefixes whose every key is deleted, before the puts (e.g. all records of one group state). */
  deletePrefixes?: string[];
  /** Values to write, each replacing what its key held. */
  puts?: Array<{ key: string; value: Uint8Array }>;
  /** Keys to delete (a missing key is no error). */
  deletes?: string[];
  /** Message rows to write, each replacing the row of its id. */
  messages?: StoredMessageRow[];
  /** Ids of message rows to remove (a missing one is no error). */
  deleteMessages?: string[];
}
