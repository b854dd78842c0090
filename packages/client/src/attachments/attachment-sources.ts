import { VollyError } from "@volly/protocol";
import { RECORD_PREFIXES } from "../storage/store-keys.js";
import type { Vault, VaultBatch } from "../storage/vault.js";
import type { KeptSource } from "./attachment-jobs.js";
import type { OutgoingAttachment } from "./attachments-api.js";
import type { LocalFiles } from "./local-files.js";

/** Bytes read at a time from a Blob or kept bytes (the file AEAD's chunk size). */
const PIECE = 64 * 1024;

/**
 * Keeps the sources of outgoing files until they are uploaded, so an upload survives a restart:
 * a path as it is (the file is read again), a Uint8Array sealed in the profile's store, a Blob in
 * the browser store's `blobs` object store (or, in a store without one, as sealed bytes).
 */
export class AttachmentSources {
  /**
   * @param vault the profile's vault
   * @param files local file access (Node), for `{ path }` sources
   */
  constructor(
    private readonly vault: Vault,
    private readonly files: LocalFiles | undefined,
  ) {}

  /** The plaintext size of a source (bytes), without reading it. Throws VOLLY_E_USAGE for a missing file. */
  async sizeOf(source: OutgoingAttachment["source"]): Promise<number> {
    if (source instanceof Uint8Array) return source.length;
    if (isBlob(source)) return source.size;
    return this.localFiles().size(source.path);
  }

  /**
   * Keeps `source` as file `index` of message `messageId`: bytes are staged in `batch` (they land
   * with the job), a Blob is written to the blob store now (a leftover of a failed batch is removed
   * with the message's sources by {@link remove}).
   */
  async keep(
    batch: VaultBatch,
    messageId: string,
    index: number,
    source: OutgoingAttachment["source"],
  ): Promise<KeptSource> {
    if (source instanceof Uint8Array) {
      batch.putBytes(sourceKey(messageId, index), source);
      return { type: "bytes" };
    }
    if (isBlob(source)) {
      const store = this.vault.store;
      if (store.putBlob) {
        await store.putBlob(sourceKey(messageId, index), source);
        return { type: "blob" };
      }
      batch.putBytes(sourceKey(messageId, index), new Uint8Array(await source.arrayBuffer()));
      return { type: "bytes" };
    }
    return { type: "path", path: source.path };
  }

  /**
   * Reads a kept source from the start, in pieces. Throws VOLLY_E_USAGE when it is gone (a file
   * deleted, a browser store cleared).
   */
  async *read(messageId: string, index: number, kept: KeptSource): AsyncIterable<Uint8Array> {
    if (kept.type === "path") {
      yield* this.localFiles().read(kept.path);
      return;
    }
    if (kept.type === "blob") {
      const blob = await this.vault.store.getBlob?.(sourceKey(messageId, index));
      if (!blob) throw gone();
      for (let at = 0; at < blob.size; at += PIECE) {
        yield new Uint8Array(await blob.slice(at, at + PIECE).arrayBuffer());
      }
      return;
    }
    const [entry] = await this.vault.listBytes(sourceKey(messageId, index));
    if (!entry) throw gone();
    const bytes = entry[1];
    for (let at = 0; at < bytes.length; at += PIECE) yield bytes.subarray(at, at + PIECE);
  }

  /**
   * Reads a caller's source from the start, in pieces, without keeping it (an upload that needs no
   * restart, such as an avatar). Throws VOLLY_E_USAGE for a missing file.
   */
  async *readSource(source: OutgoingAttachment["source"]): AsyncIterable<Uint8Array> {
    if (isBlob(source)) {
      for (let at = 0; at < source.size; at += PIECE) {
        yield new Uint8Array(await source.slice(at, at + PIECE).arrayBuffer());
      }
      return;
    }
    if (source instanceof Uint8Array) {
      for (let at = 0; at < source.length; at += PIECE) yield source.subarray(at, at + PIECE);
      return;
    }
    yield* this.localFiles().read(source.path);
  }

  /** Stages removing every kept source of a message in `batch`, and removes its Blobs after it commits. */
  remove(batch: VaultBatch, messageId: string): VaultBatch {
    const prefix = sourceKey(messageId);
    batch.deletePrefix(prefix);
    const store = this.vault.store;
    if (store.deleteBlobs) batch.onCommit(() => void store.deleteBlobs?.(prefix).catch(() => undefined));
    return batch;
  }

  private localFiles(): LocalFiles {
    if (!this.files) {
      throw new VollyError("VOLLY_E_USAGE", "Files given by path need the Node SDK (`@volly/client/node`).");
    }
    return this.files;
  }
}

/** The key of file `index` of a message's kept sources, or the prefix of all of them. */
function sourceKey(messageId: string, index?: number): string {
  const base = `${RECORD_PREFIXES.attachmentSource}${messageId}/`;
  return index === undefined ? base : `${base}${String(index).padStart(2, "0")}`;
}

function gone(): VollyError {
  return new VollyError("VOLLY_E_USAGE", "The file to upload is no longer available on this device.");
}

/** True for a Blob (or File), also across realms (a Blob from another window or worker). */
export function isBlob(value: unknown): value is Blob {
  return (
    (typeof Blob !== "undefined" && value instanceof Blob) ||
    (typeof value === "object" &&
      value !== null &&
      typeof (value as Blob).slice === "function" &&
      typeof (value as Blob).size === "number" &&
      typeof (value as Blob).arrayBuffer === "function")
  );
}
