import { type SendMessageBody, VollyError } from "@volly/protocol";
import type { Repositories } from "../../store/types.js";

/**
 * Checks a SEND's `blobIds` before anything is stored: a message pointing at blobs must declare
 * "attachment" (so a community channel's ATTACH_FILES permission is checked with it).
 *
 * @throws VOLLY_E_BAD_REQUEST (details.field "declares") when it does not
 */
export function checkBlobDeclaration(body: SendMessageBody): void {
  if (body.blobIds && !(body.declares ?? []).includes("attachment")) {
    throw new VollyError("VOLLY_E_BAD_REQUEST", 'A message with blobIds must declare "attachment".', {
      field: "declares",
    });
  }
}

/**
 * Records, in the SEND's transaction, that the message points at its `blobIds` (none: nothing to
 * do), so each blob is kept while the message is and removed with it.
 *
 * @param message the appended entry: its group, seq, sender device and time (ms; references older
 *   than the retention period go with it)
 * @throws VOLLY_E_BLOB_NOT_READY (details.blobId) when one is not a complete blob of the group —
 *   unknown, still uploading, removed, or another group's that the sender's account did not
 *   upload (an uploader may share its own blob into its other conversations); the caller's
 *   transaction rolls back
 */
export async function referenceBlobs(
  tx: Repositories,
  message: { groupId: string; seq: number; senderDeviceId: string; createdAt: number },
  body: SendMessageBody,
): Promise<void> {
  if (!body.blobIds) return;
  const missing = await tx.blobs.reference({ ...message, messageId: body.messageId }, body.blobIds);
  if (missing !== undefined) throw new VollyError("VOLLY_E_BLOB_NOT_READY", undefined, { blobId: missing });
}
