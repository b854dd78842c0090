/**
 * `client.attachments` through the SDK worker (`sdk-surface.ts`): send with files, cancel,
 * open/download the decrypted bytes (moved from the worker, not copied), the gallery. Progress
 * arrives as "upload-progress" events (`stores/uploads.svelte.ts`).
 */
import { sdk } from "../sdk.js";

export type * from "./types.js";

/** The SDK's attachments, in the worker. */
export const attachments = sdk.attachments;
