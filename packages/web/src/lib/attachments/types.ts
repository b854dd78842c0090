/**
 * The types of `client.attachments` as the UI uses them: the SDK's own, plus the gallery item as
 * the worker's view (its message with `text`). Nothing here loads the worker client: plain modules
 * (media processing, tests) can use them.
 */
export type { AttachmentKind, AttachmentPointer } from "@volly/protocol";
export type { GalleryItem, OutgoingAttachment, UploadProgress } from "../../worker/rpc-types.js";
