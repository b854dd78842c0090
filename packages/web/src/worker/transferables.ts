/**
 * Which buffers of a message to transfer to the other thread rather than copy: postMessage copies
 * everything it is not told to transfer, and a transferred buffer is moved (detached on the
 * sender's side), so only buffers the sender owns exclusively — e.g. those of a fresh
 * `$state.snapshot` copy — may be listed.
 */

/** Buffers of at least this many bytes are transferred; smaller ones are cheaper to copy. */
export const TRANSFER_MIN_BYTES = 64 * 1024;

/**
 * The distinct `ArrayBuffer`s of at least `minBytes` bytes reachable from `value` through plain
 * objects, arrays, Maps and Sets, directly or behind a typed array or DataView (the whole buffer
 * behind a view is moved). SharedArrayBuffers cannot be transferred and are left out.
 *
 * @param value what is about to be posted
 * @param minBytes smallest buffer to transfer, in bytes
 */
export function transferables(value: unknown, minBytes = TRANSFER_MIN_BYTES): ArrayBuffer[] {
  const found = new Set<ArrayBuffer>();
  const seen = new Set<object>();
  const consider = (buffer: ArrayBufferLike) => {
    if (buffer instanceof ArrayBuffer && buffer.byteLength >= minBytes) found.add(buffer);
  };
  const visit = (v: unknown): void => {
    if (typeof v !== "object" || v === null || seen.has(v)) return;
    seen.add(v);
    if (v instanceof ArrayBuffer) consider(v);
    else if (ArrayBuffer.isView(v)) consider(v.buffer);
    else if (Array.isArray(v)) for (const item of v) visit(item);
    else if (v instanceof Map) {
      for (const [k, item] of v) {
        visit(k);
        visit(item);
      }
    } else if (v instanceof Set) for (const item of v) visit(item);
    else if (Object.getPrototypeOf(v) === Object.prototype) for (const item of Object.values(v)) visit(item);
  };
  visit(value);
  return [...found];
}
