/**
 * How a call's arguments are copied before they are posted to the SDK worker (`rpc-client.ts`):
 * structured clone refuses Svelte's reactive proxies, so plain objects and arrays are rebuilt
 * through them; Blobs and Files are kept as they are (posting a Blob passes a handle to the same
 * bytes: nothing is read or copied — a file to upload is never loaded on the UI thread); anything
 * else goes through `snapshot` (`$state.snapshot` in the app: typed arrays come out as fresh copies,
 * owned by this call alone, which is why their buffers may then be transferred).
 */
import { transferables } from "./transferables.js";

/** Copies one value as the module comment says, with `snapshot` for what is neither plain nor a Blob. */
export function plainCopy(value: unknown, snapshot: (v: unknown) => unknown): unknown {
  if (typeof value !== "object" || value === null) return value;
  if (typeof Blob !== "undefined" && value instanceof Blob) return value;
  if (Array.isArray(value)) return value.map((v) => plainCopy(v, snapshot));
  if (Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plainCopy(v, snapshot)]));
  }
  return snapshot(value);
}

/**
 * A call's arguments copied ({@link plainCopy}) and the large buffers of that copy, to transfer
 * rather than copy a second time by postMessage. Blobs cross as handles, never as bytes.
 */
export function copyArgs(
  args: unknown[],
  snapshot: (v: unknown) => unknown,
): { args: unknown[]; transfer: ArrayBuffer[] } {
  const copied = args.map((a) => plainCopy(a, snapshot));
  return { args: copied, transfer: transferables(copied) };
}
