import type { FederationContext } from "./federation-context.js";

/** How often one kind of federation warning about one server is logged at most (ms). */
export const WARNING_INTERVAL_MS = 30_000;

/**
 * A log whose warnings about one server are written at most once per {@link WARNING_INTERVAL_MS}
 * per message (with the number held back since the last one, `suppressed`): a server that is down
 * for an hour makes a line every 30 s, not one per retried request. Errors always go through.
 */
export function throttledLog(
  log: FederationContext["log"],
  now: () => number = Date.now,
): FederationContext["log"] {
  const last = new Map<string, { at: number; suppressed: number }>();
  return {
    warn(fields, msg) {
      const server = (fields as { server?: unknown }).server;
      const key = `${msg}\u0000${typeof server === "string" ? server : ""}`;
      const seen = last.get(key);
      const t = now();
      if (seen && t - seen.at < WARNING_INTERVAL_MS) {
        seen.suppressed++;
        return;
      }
      if (last.size > 10_000) last.clear();
      last.set(key, { at: t, suppressed: 0 });
      log.warn(seen && seen.suppressed > 0 ? { ...fields, suppressed: seen.suppressed } : fields, msg);
    },
    error: (fields, msg) => log.error(fields, msg),
  };
}
