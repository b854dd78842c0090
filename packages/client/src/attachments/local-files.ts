/**
 * Access to the local file system for `{ path }` sources and `saveTo`, given by the Node entry
 * point (`node.ts`: {@link nodeLocalFiles} in `node-files.ts`); absent in browsers, where those
 * calls fail with VOLLY_E_USAGE. Kept out of the SDK's core so browser bundles never load `node:fs`.
 */
export interface LocalFiles {
  /** The size of a regular file (bytes). Throws VollyError VOLLY_E_USAGE when it is not one. */
  size(path: string): Promise<number>;
  /** The file's bytes, streamed in pieces (never the whole file at once). */
  read(path: string): AsyncIterable<Uint8Array>;
  /**
   * Writes `chunks` to a temporary file beside `path` and renames it to `path` once every chunk
   * was written (a failure removes the temporary file and leaves nothing at `path`).
   */
  write(path: string, chunks: AsyncIterable<Uint8Array>): Promise<void>;
}
