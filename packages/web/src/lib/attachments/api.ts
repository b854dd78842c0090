/**
 * `client.attachments` through the SDK worker: send with files, cancel, open/download the
 * decrypted bytes, the gallery (progress arrives as "upload-progress" events, `stores/uploads`).
 */
import { sdk } from "../sdk.js";
import type { AttachmentsRemote } from "./types.js";

export type * from "./types.js";

/** The SDK's attachments, in the worker. */
export const attachments: AttachmentsRemote = (sdk as unknown as { attachments: AttachmentsRemote })
  .attachments;
