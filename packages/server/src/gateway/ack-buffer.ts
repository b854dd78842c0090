import type { DeliveryService } from "../services/delivery/delivery-service.js";
import type { CursorPosition } from "../store/types.js";

/** How long acks wait to be written together (ms). */
export const ACK_FLUSH_INTERVAL_MS = 1000;

/**
 * Cursor positions per store write. A flush of every device's acks at once (500 connections: 500
 * rows) holds the event loop for milliseconds on SQLite, which every message in flight then waits
 * out; written in slices, one after the other, sends interleave with them.
 */
export const ACK_WRITE_CHUNK = 64;

/**
 * Collects the gateway ACKs of this node's connections and writes them to the store together: per
 * device, the highest seq per group and the acknowledged Welcomes, at most every `intervalMs`,
 * through the delivery service (whose writes share transactions). A client acks every entry it
 * processed; written one by one, acks would cost more than the messages. Delaying an ack is safe:
 * delivery is at-least-once and clients drop entries they already processed, so an ack lost in a
 * crash only means a redelivery.
 */
export interface AckBuffer {
  /**
   * Records a device's ack; it is written within the flush interval (1 s). Cursors must already be capped
   * to what was dispatched to the device (see DeliveryPump.dispatchedUpTo): they are not checked again.
   */
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
 * @param delivery where acks are written: cursors of all devices in one call, Welcomes per device
 * @param onError called with a failed write's error (the acks of that write are dropped: the
 *   entries will be delivered again)
 */
export function createAckBuffer(
  delivery: Pick<DeliveryService, "ack" | "advanceCursors">,
  onError: (error: unknown) => void,
  intervalMs = ACK_FLUSH_INTERVAL_MS,
): AckBuffer {
  const pending = new Map<string, Pending>();
  /** Per device, a promise settled once every write of its acks started so far is done. */
  const writing = new Map<string, Promise<void>>();
  let timer: NodeJS.Timeout | undefined;

  /** Writes the pending acks of `deviceIds` (cursor upserts together; order does not matter: they only move forward). */
  const write = (deviceIds: readonly string[]): Promise<void> => {
    const positions: CursorPosition[] = [];
    const welcomes: [string, string[]][] = [];
    const taken: string[] = [];
    for (const deviceId of deviceIds) {
      const acks = pending.get(deviceId);
      if (!acks) continue;
      pending.delete(deviceId);
      taken.push(deviceId);
      for (const [groupId, seq] of acks.cursors) positions.push({ deviceId, groupId, seq });
      if (acks.welcomeIds.size > 0) welcomes.push([deviceId, [...acks.welcomeIds]]);
    }
    const advance = async () => {
      for (let i = 0; i < positions.length; i += ACK_WRITE_CHUNK) {
        await delivery.advanceCursors(positions.slice(i, i + ACK_WRITE_CHUNK));
      }
    };
    const done = Promise.all([
      advance(),
      ...welcomes.map(([deviceId, ids]) => delivery.ack(deviceId, [], ids)),
    ])
      .then(() => undefined)
      .catch(onError);
    for (const deviceId of taken) {
      const all = Promise.all([writing.get(deviceId), done]).then(() => undefined);
      writing.set(deviceId, all);
      void all.then(() => {
        if (writing.get(deviceId) === all) writing.delete(deviceId);
      });
    }
    return Promise.all(deviceIds.map((d) => writing.get(d))).then(() => undefined);
  };

  const flushAll = () => {
    timer = undefined;
    return write([...pending.keys()]);
  };

  return {
    add(deviceId, cursors, welcomeIds) {
      if (cursors.length === 0 && welcomeIds.length === 0) return;
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
      return write([deviceId]);
    },
    async close() {
      if (timer) clearTimeout(timer);
      await flushAll();
      await Promise.all(writing.values());
    },
  };
}
