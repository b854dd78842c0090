import type { BlobFileRef, Store } from "../../store/types.js";
import type { BlobFiles } from "./blob-files.js";

/**
 * Finishes removing blobs whose rows are marked "removed" (by a message deleted for everyone, by
 * retention, by their group emptying, or by expiry): deletes each file, then its row — in that
 * order, so a node dying in between leaves a "removed" row the expiry job finishes, never an
 * unknown file. Failures are left to the job's next run.
 *
 * @returns how many blobs went
 */
export async function finishRemoval(
  store: Store,
  files: BlobFiles,
  refs: readonly BlobFileRef[],
): Promise<number> {
  let removed = 0;
  for (const ref of refs) {
    await files.removeBlob(ref.blobId);
    if (await store.blobs.deleteRow(ref.id)) removed++;
  }
  return removed;
}
