import { redactUrl, type ServerConfig } from "../config.js";
import type { BusErrorKind } from "../metrics.js";
import type { Bus } from "./bus.js";
import { createInProcessBus } from "./in-process-bus.js";
import { createRedisBus } from "./redis-bus.js";

/** Which bus a configuration selects, for logs: "in-process", or the Redis URL (password redacted). */
export function describeBus(config: ServerConfig): string {
  return config.redisUrl !== undefined ? redactUrl(config.redisUrl) : "in-process";
}

/**
 * Opens the bus a configuration selects: Redis pub/sub when `config.redisUrl` is set (scaled shape),
 * else the in-process bus (embedded shape, one node).
 *
 * @param onError called with every bus failure (a handler that threw; Redis connection, publish,
 *   subscribe and invalid-message errors)
 * @throws Error when Redis does not answer within 10 s
 */
export async function openConfiguredBus(
  config: ServerConfig,
  onError: (kind: BusErrorKind, error: unknown) => void,
): Promise<Bus> {
  if (config.redisUrl !== undefined) return createRedisBus({ url: config.redisUrl, onError });
  return createInProcessBus((error) => onError("handler", error));
}
