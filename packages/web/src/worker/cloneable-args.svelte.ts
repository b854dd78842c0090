import { transferables } from "./transferables.js";

/**
 * A copy of `value` as structured clone accepts it: plain objects and arrays rebuilt (through
 * Svelte's reactive proxies, which structured clone refuses), Blobs and Files kept as they are
 * (posting a Blob passes a handle to the same bytes: nothing is read or copied), anything else
 * through `$state.snapshot` (typed arrays come out as fresh copies, owned by this call alone).
 */
function plain(value: unknown): unknown {
  if (typeof value !== "object" || value === null) return value;
  if (typeof Blob !== "undefined" && value instanceof Blob) return value;
  if (Array.isArray(value)) return value.map(plain);
  if (Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  }
  return $state.snapshot(value);
}

/**
 * A call's arguments as the worker can receive them (see {@link plain}), and, because that copy
 * belongs to this call alone, its large buffers to transfer rather than copy a second time by
 * postMessage. Blobs (a file to upload) cross as handles, never as bytes.
 */
export function cloneableArgs(args: unknown[]): { args: unknown[]; transfer: ArrayBuffer[] } {
  const copied = args.map(plain);
  return { args: copied, transfer: transferables(copied) };
}
