/**
 * What of a result the worker moves to the UI rather than copies (postMessage's transfer list), by
 * the result's view: the buffer of downloaded bytes (a fresh array the SDK keeps no reference to),
 * and a stream of decrypted bytes (a transferable stream: the UI reads it while the worker fills
 * it, chunk by chunk, nothing buffered whole). Every other view is copied: its buffers may still be
 * the SDK's own, and moving one would detach it under the SDK.
 */
import type { ResultView } from "./sdk-surface.js";

/** The transfer list of `value`, a result in `view`. */
export function resultTransfer(view: ResultView, value: unknown): Transferable[] {
  if (view === "bytes" && value instanceof Uint8Array && value.buffer instanceof ArrayBuffer) {
    return value.byteLength > 0 ? [value.buffer] : [];
  }
  if (view === "stream" && typeof ReadableStream !== "undefined" && value instanceof ReadableStream) {
    return [value];
  }
  return [];
}
