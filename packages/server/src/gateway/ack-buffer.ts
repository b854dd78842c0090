import type { DeliveryService } from "../services/delivery.js";

/** How long acks wait to be written together (ms). */
export const ACK_FLUSH_INTERVAL_MS = 100;

/**
 * Collects the gateway ACKs of this node's connections and writes them to the store together: per
 * device, the highest seq per group and the acknowledged Welcomes, at most every `intervalMs`,
 * through the delivery service (whose writes share transactions). A client acks every entry it
 * processed; written one by one, acks would cost more than the messages. Delaying an ack is safe:
 * delivery is at-least-once and clients drop entries they already processed, so an ack lost in a
 * crash only means a redelivery.
 */
export interface AckBuffer {
  /** Records a device's ack; it is written within the flush interval. */
  add(
    deviceId: string,
    cursors: readonly { groupId: string; seq: number }[],
    welcomeIds: readonly string[],
  ): void;
  /**
   * Writes the device's pending acks now and resolves once they (and any write of its acks already
   * under way) are stored. Await it before reading the device's backlog, so a reconnecting client is
   * not sent what it acknowledged on its previous connection. Never rejects (failures are reported).
   */
  settle(deviceId: string): Promise<void>;
  /** Writes everything pending and stops the timer. */
  close(): Promise<void>;
}

interface Pending {
  cursors: Map<string, number>;
  welcomeIds: Set<string>;
}

/**
 * Creates the node's {@link AckBuffer}.
 * @param onError called with a failed write's error (the acks of that write are dropped: the
 *   entries will be delivered again)
 */
export function createAckBuffer(
  delivery: Pick<DeliveryService, "ack">,
  onError: (error: unknown) => void,
  intervalMs = ACK_FLUSH_INTERVAL_MS,
): AckBuffer {
  const pending = new Map<string, Pending>();
  const writing = new Map<string, Promise<void>>();
  let timer: NodeJS.Timeout | undefined;

  const write = (deviceId: string): Promise<void> => {
    const acks = pending.get(deviceId);
    if (!acks) return writing.get(deviceId) ?? Promise.resolve();
    pending.delete(deviceId);
    const previous = writing.get(deviceId) ?? Promise.resolve();
    const cursors = [...acks.cursors].map(([groupId, seq]) => ({ groupId, seq }));
    const done = previous
      .then(() => delivery.ack(deviceId, cursors, [...acks.welcomeIds]))
      .catch(onError)
      .finally(() => {
        if (writing.get(deviceId) === done) writing.delete(deviceId);
      });
    writing.set(deviceId, done);
    return done;
  };

  const flushAll = () => {
    timer = undefined;
    return Promise.all([...pending.keys()].map(write)).then(() => undefined);
  };

  return {
    add(deviceId, cursors, welcomeIds) {
      let acks = pending.get(deviceId);
      if (!acks) {
        acks = { cursors: new Map(), welcomeIds: new Set() };
        pending.set(deviceId, acks);
      }
      for (const { groupId, seq } of cursors) {
        if (seq > (acks.cursors.get(groupId) ?? 0)) acks.cursors.set(groupId, seq);
      }
      for (const id of welcomeIds) acks.welcomeIds.add(id);
      if (!timer) {
        timer = setTimeout(() => void flushAll(), intervalMs);
        timer.unref();
      }
    },
    settle(deviceId) {
      return write(deviceId);
    },
    async close() {
      if (timer) clearTimeout(timer);
      await flushAll();
      await Promise.all(writing.values());
    },
  };
}
