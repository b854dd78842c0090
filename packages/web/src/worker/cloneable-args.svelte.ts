import { copyArgs } from "./cloneable.js";

/**
 * A call's arguments as the worker can receive them, with Svelte's `$state.snapshot` for values
 * that are neither plain objects, arrays nor Blobs (see `cloneable.ts`), and the buffers to move.
 */
export function cloneableArgs(args: unknown[]): { args: unknown[]; transfer: ArrayBuffer[] } {
  return copyArgs(args, (v) => $state.snapshot(v));
}
