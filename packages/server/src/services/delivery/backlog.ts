import type { GroupMessageEvent, WelcomeEvent } from "@volly/protocol";
import type { ServiceContext } from "../context.js";
import { toGroupMessageEvent, toWelcomeEvent } from "./events.js";

/** Where a device's delivery of one group starts: entries with seq > afterSeq. */
export interface SyncPoint {
  groupId: string;
  /** max(durable cursor, joined_seq). */
  afterSeq: number;
}

/** A page of one group's log for one device. */
export interface GroupPage {
  /** false when the device has no membership (current or ended) in the group; `entries` is then empty. */
  readable: boolean;
  /**
   * Seq at which the device's membership ended (it reads nothing after it), or null while it is a
   * member. When set and the page is not full, the device has read everything it ever will.
   */
  leftSeq: number | null;
  entries: GroupMessageEvent[];
}

/** What a device has yet to receive: its Welcome inbox and, per group, the log past its cursor. */
export interface BacklogReader {
  /**
   * Where delivery starts for each group the device reads: its current memberships, and ended ones
   * whose last entries (up to left_seq) it has not acknowledged yet.
   */
  syncPoints(deviceId: string): Promise<SyncPoint[]>;
  /**
   * Up to `limit` log entries of one group with max(afterSeq, joined_seq) < seq ≤ left_seq (no upper
   * bound while a member), in seq order, without the device's own entries.
   */
  readGroup(deviceId: string, groupId: string, afterSeq: number, limit: number): Promise<GroupPage>;
  /** The device's unacknowledged Welcomes, oldest first. */
  pendingWelcomes(deviceId: string): Promise<WelcomeEvent[]>;
  /** One unacknowledged Welcome of the device, if any. */
  pendingWelcome(deviceId: string, welcomeId: string): Promise<WelcomeEvent | undefined>;
  /**
   * Everything the device has not acknowledged: pending Welcomes, then for every group (in group id
   * order) the entries after max(cursor, joined_seq) not sent by the device, in seq order.
   */
  backlog(deviceId: string): Promise<{ welcomes: WelcomeEvent[]; messages: GroupMessageEvent[] }>;
}

/** Page size the backlog is read with. */
const BACKLOG_PAGE = 500;

/** Builds the {@link BacklogReader}. */
export function createBacklogReader({ store }: ServiceContext): BacklogReader {
  const reader: BacklogReader = {
    async syncPoints(deviceId) {
      const [memberships, cursors] = await Promise.all([
        store.groups.listMemberships(deviceId),
        store.cursors.listForDevice(deviceId),
      ]);
      const points: SyncPoint[] = [];
      for (const m of memberships) {
        const afterSeq = Math.max(cursors.get(m.groupId) ?? 0, m.joinedSeq);
        if (m.leftSeq === null || afterSeq < m.leftSeq) points.push({ groupId: m.groupId, afterSeq });
      }
      return points;
    },

    async readGroup(deviceId, groupId, afterSeq, limit) {
      const membership = await store.groups.findMembership(groupId, deviceId);
      if (!membership) return { readable: false, leftSeq: null, entries: [] };
      const { joinedSeq, leftSeq } = membership;
      const after = Math.max(afterSeq, joinedSeq);
      if (leftSeq !== null && after >= leftSeq) return { readable: true, leftSeq, entries: [] };
      const entries = await store.log.readAfter(groupId, after, {
        excludeSender: deviceId,
        ...(leftSeq !== null ? { upToSeq: leftSeq } : {}),
        limit,
      });
      return { readable: true, leftSeq, entries: entries.map(toGroupMessageEvent) };
    },

    async pendingWelcomes(deviceId) {
      return (await store.welcomes.listPending(deviceId)).map(toWelcomeEvent);
    },

    async pendingWelcome(deviceId, welcomeId) {
      const welcome = await store.welcomes.findPending(deviceId, welcomeId);
      return welcome && toWelcomeEvent(welcome);
    },

    async backlog(deviceId) {
      const welcomes = await reader.pendingWelcomes(deviceId);
      const messages: GroupMessageEvent[] = [];
      for (const point of await reader.syncPoints(deviceId)) {
        let after = point.afterSeq;
        for (;;) {
          const page = await reader.readGroup(deviceId, point.groupId, after, BACKLOG_PAGE);
          messages.push(...page.entries);
          const last = page.entries.at(-1);
          if (!last || page.entries.length < BACKLOG_PAGE) break;
          after = last.seq;
        }
      }
      return { welcomes, messages };
    },
  };
  return reader;
}
