import type { Bus, BusHandler } from "./bus.js";
import type { BusMessage } from "./messages.js";

/**
 * A {@link Bus} for a single node: subscribers live in this process. Delivery is deferred to a
 * microtask (one per publish) so a publisher never runs subscriber code inside its own call, and a
 * throwing handler cannot affect the publisher or other handlers.
 *
 * @param onHandlerError called when a handler throws (default: ignore)
 */
export function createInProcessBus(onHandlerError: (error: unknown) => void = () => {}): Bus {
  const channels = new Map<string, Set<BusHandler>>();
  let closed = false;
  return {
    publish(channel, message: BusMessage) {
      if (closed) return;
      const handlers = channels.get(channel);
      if (!handlers || handlers.size === 0) return;
      // One microtask for all of the channel's handlers (a group's channel has one per member
      // connection). Iterating the live set skips handlers unsubscribed meanwhile.
      queueMicrotask(() => {
        for (const handler of handlers) {
          try {
            handler(message);
          } catch (error) {
            onHandlerError(error);
          }
        }
      });
    },
    subscribe(channel, handler) {
      if (closed) return () => {};
      let handlers = channels.get(channel);
      if (!handlers) {
        handlers = new Set();
        channels.set(channel, handlers);
      }
      handlers.add(handler);
      return () => {
        const set = channels.get(channel);
        if (!set) return;
        set.delete(handler);
        if (set.size === 0) channels.delete(channel);
      };
    },
    settled() {
      return Promise.resolve();
    },
    onResync() {
      return () => {};
    },
    connected() {
      return !closed;
    },
    async close() {
      closed = true;
      channels.clear();
    },
  };
}
