/** Lets Node exit while only this timer is pending (no-op in browsers). */
export function unrefTimer(timer: unknown): void {
  (timer as { unref?: () => void } | undefined)?.unref?.();
}
