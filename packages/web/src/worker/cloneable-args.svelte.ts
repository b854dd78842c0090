import { transferables } from "./transferables.js";

/**
 * A call's arguments as the worker can receive them: `$state.snapshot` copies them into plain data
 * (structured clone refuses Svelte's reactive proxies, e.g. a `$state` array passed as is), and
 * because that copy belongs to this call alone its large buffers are transferred rather than copied
 * a second time by postMessage.
 */
export function cloneableArgs(args: unknown[]): { args: unknown[]; transfer: ArrayBuffer[] } {
  const plain = $state.snapshot(args) as unknown[];
  return { args: plain, transfer: transferables(plain) };
}
