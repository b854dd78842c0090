import { FEDERATION_PREFIX, FederationEmpty, type VollyError } from "@volly/protocol";
import { periodicJob } from "../services/periodic-job.js";
import type { FederationContext } from "./federation-context.js";
import type { GroupHubs } from "./group-hubs.js";

/** Most cursors in one report (the schema's limit). */
const MAX_PER_REPORT = 1000;

/**
 * A follower's reports to hubs of where its devices' delivery stands in their groups: every
 * `intervalMs`, for each mirrored group, the cursors of this server's member devices that moved
 * since the last report go to the hub (`POST …/groups/:id/cursors`), so the hub's retention prunes
 * entries every member device has acknowledged, as it does for its own devices. Only the groups
 * whose cursors moved here since the last run are read (the delivery's acks are watched in place);
 * the first run after a start reads every mirrored group. Best effort: a report that fails is made
 * again at the next run.
 */
export interface CursorReports {
  /** Starts the periodic reports. */
  start(): void;
  /** Stops them and waits for the run in progress. */
  stop(): Promise<void>;
}

/**
 * Builds the {@link CursorReports}, and makes the delivery's acks note the groups whose cursors
 * moved (in place, on `ctx.services.delivery`).
 */
export function createCursorReports(
  ctx: FederationContext,
  hubs: GroupHubs,
  options: { intervalMs?: number } = {},
): CursorReports {
  const { store } = ctx.service;
  /** "group device" → the seq last reported to the hub. */
  const reported = new Map<string, number>();
  /** Groups whose cursors moved since the last run; undefined until the first run (all groups). */
  let moved: Set<string> | undefined;
  const note = (groupIds: Iterable<string>) => {
    if (!moved) return;
    for (const groupId of groupIds) moved.add(groupId);
  };
  const { delivery } = ctx.services;
  const advance = delivery.advanceCursors.bind(delivery);
  delivery.advanceCursors = async (positions) => {
    await advance(positions);
    note(positions.map((p) => p.groupId));
  };
  const ack = delivery.ack.bind(delivery);
  delivery.ack = async (deviceId, cursors, welcomeIds) => {
    await ack(deviceId, cursors, welcomeIds);
    note(cursors.map((c) => c.groupId));
  };

  /** The mirrored groups to report on this run, with their hubs. */
  const groupsToReport = async (): Promise<{ groupId: string; hub: string }[]> => {
    const since = moved;
    moved = new Set();
    if (!since) return store.federation.listMirrors();
    const groups: { groupId: string; hub: string }[] = [];
    for (const groupId of since) {
      const hub = await hubs.hubOf(groupId);
      if (hub !== undefined) groups.push({ groupId, hub });
    }
    return groups;
  };

  const reportGroup = async (groupId: string, hub: string) => {
    const readers = await store.retention.readers(groupId);
    const remote = await store.federation.homesOf(readers.map((r) => r.deviceId));
    const moved = readers.filter(
      (r) => !remote.has(r.deviceId) && r.cursor > (reported.get(`${groupId} ${r.deviceId}`) ?? 0),
    );
    for (let i = 0; i < moved.length; i += MAX_PER_REPORT) {
      const chunk = moved.slice(i, i + MAX_PER_REPORT);
      await ctx.caller.request(hub, "POST", `${FEDERATION_PREFIX}/groups/${groupId}/cursors`, {
        body: { cursors: chunk.map((r) => ({ deviceId: r.deviceId, seq: r.cursor })) },
        response: FederationEmpty,
      });
      if (reported.size > 100_000) reported.clear();
      for (const r of chunk) reported.set(`${groupId} ${r.deviceId}`, r.cursor);
    }
  };

  const job = periodicJob(
    async (stopped) => {
      for (const mirror of await groupsToReport()) {
        if (stopped()) {
          note([mirror.groupId]);
          continue;
        }
        await reportGroup(mirror.groupId, mirror.hub).catch((error: unknown) => {
          note([mirror.groupId]); // tried again at the next run
          ctx.log.warn(
            { groupId: mirror.groupId, server: mirror.hub, code: (error as VollyError).code },
            "federation: cursors not reported",
          );
        });
      }
    },
    options.intervalMs ?? 10_000,
    (error) => ctx.log.error({ err: String(error) }, "federation: cursor reports failed"),
  );
  return { start: () => job.start(), stop: () => job.stop() };
}
